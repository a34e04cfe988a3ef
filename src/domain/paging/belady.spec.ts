import fc from 'fast-check';
import { belady } from './belady';

/** The definition, quadratic: on a miss with a full set, scan ahead for each resident's next use. */
function beladyByDefinition(trace: readonly string[], capacity: number): { hits: number; misses: number } {
  const resident = new Set<string>();
  let hits = 0;
  trace.forEach((keyId, i) => {
    if (resident.has(keyId)) {
      hits++;
      return;
    }
    if (resident.size >= capacity) {
      let farthest = '';
      let farthestAt = -1;
      for (const id of resident) {
        const next = trace.indexOf(id, i + 1);
        const at = next === -1 ? Infinity : next;
        if (at > farthestAt) [farthest, farthestAt] = [id, at];
      }
      resident.delete(farthest);
    }
    resident.add(keyId);
  });
  return { hits, misses: trace.length - hits };
}

const chars = (text: string) => [...text];

describe("Belady's MIN", () => {
  it.each([
    // Silberschatz, Galvin, Gagne, "Operating System Concepts", optimal replacement: 9 page faults.
    ['the textbook string, 3 frames', '70120304230321201701', 3, { hits: 11, misses: 9 }],
    // a, b, c (pages out b: a is needed first), a hit, b (pages out a: never needed again), c hit.
    ['a cycle one longer than the capacity', 'abcabc', 2, { hits: 2, misses: 4 }],
    ['capacity 1: only immediate repeats hit', 'aabba', 1, { hits: 2, misses: 3 }],
    ['capacity 1, no repeats', 'abab', 1, { hits: 0, misses: 4 }],
    ['room for every key: only first requests miss', 'abcabcabc', 3, { hits: 6, misses: 3 }],
    ['an empty trace', '', 2, { hits: 0, misses: 0 }],
  ])('%s', (_label, text, capacity, expected) => {
    expect(belady(chars(text), capacity)).toEqual(expected);
  });

  it('refuses a capacity below 1', () => {
    expect(() => belady(['a'], 0)).toThrow('"capacity" expected an integer in [1,');
  });

  it('agrees with the definition on random traces (property)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.nat(12).map((k) => `k${k}`),
          { maxLength: 200 },
        ),
        fc.integer({ min: 1, max: 8 }),
        (trace, capacity) => {
          expect(belady(trace, capacity)).toEqual(beladyByDefinition(trace, capacity));
        },
      ),
      { seed: 1966, numRuns: 300 },
    );
  });
});
