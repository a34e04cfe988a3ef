/**
 * `npm run bench -- paging`: the key paging policy (docs/architecture.md §4 "Key paging").
 *
 * - `paging.zipf_hit_rate`: W-TinyLFU's hit rate (the share of requests served without a page-in) on
 *   issue 11's trace, Zipf(1.0) over 10,000 keys, 100,000 requests, 500 slots, seed 11 (the trace of
 *   src/domain/paging/hit-rate.spec.ts). `ratio` is against Belady's MIN on the same trace, the
 *   offline optimum; LRU's figures ride along. Deterministic: the same numbers on every machine.
 */
import { paging } from '../src/domain';
import type { Emit } from './run';
import { progress, round } from './util';

const TRACE = { keys: 10_000, requests: 100_000, exponent: 1, seed: 11 } as const;
const CAPACITY = 500;
const TARGET = 0.85;

export async function pagingPolicyBenchmarks(emit: Emit): Promise<void> {
  progress(
    `Zipf(${TRACE.exponent}) trace: ${TRACE.keys} keys x ${TRACE.requests} requests, ${CAPACITY} slots`,
  );
  const trace = paging.zipfTrace(TRACE);
  const belady = paging.hitRate(paging.belady(trace, CAPACITY));
  const wTinyLfu = paging.hitRate(paging.simulate(paging.createPolicy('w-tinylfu', CAPACITY), trace));
  const lru = paging.hitRate(paging.simulate(paging.createPolicy('lru', CAPACITY), trace));
  emit({
    metric: 'paging.zipf_hit_rate',
    value: round(wTinyLfu, 4),
    unit: 'fraction',
    ratio: round(wTinyLfu / belady),
    belady: round(belady, 4),
    lru: round(lru, 4),
    lru_ratio: round(lru / belady),
    keys: TRACE.keys,
    requests: TRACE.requests,
    capacity: CAPACITY,
    exponent: TRACE.exponent,
    seed: TRACE.seed,
    target: TARGET,
  });
}
