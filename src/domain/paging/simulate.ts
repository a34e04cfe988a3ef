import { InvariantViolated } from '../errors';
import type { HitCounts, ReplacementPolicy } from './policy';

/**
 * Runs `trace` through `policy` the way the pager drives it: record every request; on a miss, page
 * out victims while the HSM is full, then page the key in. Every key may be evicted.
 */
export function simulate(policy: ReplacementPolicy, trace: readonly string[]): HitCounts {
  let hits = 0;
  for (const keyId of trace) {
    policy.record(keyId);
    if (policy.has(keyId)) {
      hits++;
      continue;
    }
    while (policy.size >= policy.capacity) {
      const victim = policy.victim(() => true);
      if (victim === undefined) throw new InvariantViolated(`a full policy named no victim for ${keyId}`);
      policy.remove(victim);
    }
    policy.admit(keyId);
  }
  return { hits, misses: trace.length - hits };
}
