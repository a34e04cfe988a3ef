import { LruPolicy } from './lru';
import { hitRate } from './policy';
import { simulate } from './simulate';
import { WTinyLfuPolicy } from './w-tinylfu';

const keys = (n: number, prefix = 'k') => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

/** Capacity 10: a window of 1 (the last admitted key), probation holding the others. */
function tenAdmitted(): WTinyLfuPolicy {
  const policy = new WTinyLfuPolicy(10);
  for (const id of keys(10)) policy.admit(id);
  return policy;
}

describe('W-TinyLFU with a full HSM', () => {
  it('pages out the new window key when it is no more frequent than probation’s LRU key', () => {
    expect(tenAdmitted().victim(() => true)).toBe('k9');
  });

  it('pages out probation’s LRU key when the window key was asked for more often', () => {
    const policy = tenAdmitted();
    policy.record('k9');
    expect(policy.victim(() => true)).toBe('k0');
  });

  it('protects a probation key that is hit, so the next one in probation goes', () => {
    const policy = tenAdmitted();
    policy.record('k9');
    policy.record('k0');
    expect(policy.victim(() => true)).toBe('k1');
  });

  it('passes over a refused main victim for the next in probation’s LRU order', () => {
    const policy = tenAdmitted();
    policy.record('k9');
    expect(policy.victim((id) => id !== 'k0' && id !== 'k1')).toBe('k2');
  });

  it('passes over a refused window key for the next in the window', () => {
    const policy = new WTinyLfuPolicy(200); // a window of 2
    for (const id of keys(200)) policy.admit(id);
    expect(policy.victim(() => true)).toBe('k198');
    expect(policy.victim((id) => id !== 'k198')).toBe('k199');
  });

  it('falls back to the protected segment when probation has nothing to give', () => {
    const policy = new WTinyLfuPolicy(10); // main 9: protected 7, so 2 stay in probation
    for (const id of keys(10)) {
      policy.admit(id);
      policy.record(id);
    }
    for (const id of keys(9)) policy.record(id); // all of k0 … k8 hit: 7 protected, k0 and k1 demoted
    policy.record('k9');
    policy.record('k9');
    policy.record('k9');
    const probation = ['k0', 'k1'];
    expect(probation).toContain(policy.victim(() => true));
    expect(policy.victim((id) => !probation.includes(id))).toBe('k2');
  });

  it('gives the same victims for the same calls', () => {
    const run = () => {
      const policy = new WTinyLfuPolicy(50);
      const trace = Array.from({ length: 5_000 }, (_, i) => `k${(i * 7919) % 173}`);
      const counts = simulate(policy, trace);
      return { counts, residents: policy.residents() };
    };
    expect(run()).toEqual(run());
  });
});

describe('W-TinyLFU against a one-off scan', () => {
  it('keeps the keys asked for again and again, where LRU loses them all', () => {
    const hot = keys(50, 'hot');
    const scan = keys(1_000, 'scan');
    const warm = Array.from({ length: 20 }, () => hot).flat();
    const trace = [...warm, ...scan, ...hot];
    const tail = (policy: WTinyLfuPolicy | LruPolicy) => {
      simulate(policy, [...warm, ...scan]);
      return simulate(policy, hot);
    };
    expect(tail(new LruPolicy(100))).toEqual({ hits: 0, misses: 50 });
    expect(tail(new WTinyLfuPolicy(100))).toEqual({ hits: 50, misses: 0 });
    expect(hitRate(simulate(new WTinyLfuPolicy(100), trace))).toBeGreaterThan(
      hitRate(simulate(new LruPolicy(100), trace)),
    );
  });
});

describe('resizing W-TinyLFU', () => {
  it('keeps every resident and lets victims bring it under the new capacity', () => {
    const policy = new WTinyLfuPolicy(300);
    simulate(
      policy,
      Array.from({ length: 3_000 }, (_, i) => `k${(i * 31) % 400}`),
    );
    expect(policy.size).toBe(300);
    const before = new Set(policy.residents());
    policy.resize(120);
    expect(new Set(policy.residents())).toEqual(before);
    while (policy.size > 120) policy.remove(policy.victim(() => true)!);
    expect(policy.size).toBe(120);
    policy.resize(500);
    simulate(policy, keys(600, 'n'));
    expect(policy.size).toBe(500);
  });
});
