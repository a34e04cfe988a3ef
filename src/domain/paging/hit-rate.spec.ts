/**
 * Issue 11's acceptance numbers: on a Zipf(1.0) trace of 10,000 keys and 100,000 requests with 500
 * slots, W-TinyLFU hits at least 0.85 × as often as Belady's MIN; plain LRU does worse.
 *
 * On the small, less skewed estate (Zipf(0.8), 200 keys, 20 slots) no online policy can reach 0.85 of
 * Belady: even keeping the 20 keys the trace asks for most, chosen in hindsight, hits 0.83 × as often.
 * There the test holds W-TinyLFU to 0.9 of that static best instead, and above LRU.
 */
import { belady } from './belady';
import { createPolicy } from './create';
import { hitRate } from './policy';
import { simulate } from './simulate';
import { zipfTrace } from './zipf';

/** The hit rate of keeping, all along, the `capacity` keys the trace requests most. */
function staticBest(trace: readonly string[], capacity: number): number {
  const counts = new Map<string, number>();
  for (const id of trace) counts.set(id, (counts.get(id) ?? 0) + 1);
  const kept = [...counts.values()].sort((a, b) => b - a).slice(0, capacity);
  // Each kept key's first request is still a page-in.
  return kept.reduce((sum, n) => sum + n - 1, 0) / trace.length;
}

describe('hit rates against Belady', () => {
  it.each([
    { keys: 10_000, requests: 100_000, exponent: 1, capacity: 500, ofBelady: 0.85 },
    { keys: 200, requests: 100_000, exponent: 0.8, capacity: 20, ofBelady: 0.75 },
  ])('Zipf($exponent), $keys keys, $capacity slots: W-TinyLFU ≥ $ofBelady × Belady, > LRU', (shape) => {
    const trace = zipfTrace({ ...shape, seed: 11 });
    const best = hitRate(belady(trace, shape.capacity));
    const wTinyLfu = hitRate(simulate(createPolicy('w-tinylfu', shape.capacity), trace));
    const lru = hitRate(simulate(createPolicy('lru', shape.capacity), trace));
    const fixed = staticBest(trace, shape.capacity);
    console.log(
      `Zipf(${shape.exponent}) n=${shape.keys} C=${shape.capacity}: Belady ${best.toFixed(4)}, ` +
        `W-TinyLFU ${wTinyLfu.toFixed(4)} (${(wTinyLfu / best).toFixed(3)}), ` +
        `LRU ${lru.toFixed(4)} (${(lru / best).toFixed(3)}), ` +
        `static best ${fixed.toFixed(4)} (${(fixed / best).toFixed(3)})`,
    );
    expect(wTinyLfu / best).toBeGreaterThanOrEqual(shape.ofBelady);
    expect(wTinyLfu / fixed).toBeGreaterThanOrEqual(0.9);
    expect(lru).toBeLessThan(wTinyLfu);
    expect(wTinyLfu).toBeLessThan(best);
  });
});
