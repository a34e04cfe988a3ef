import fc from 'fast-check';
import { InvalidCommand, InvariantViolated } from '../errors';
import {
  assertDisjoint,
  contains,
  containsRange,
  firstOverlap,
  formatRange,
  from,
  overlaps,
  range,
  size,
  splitAt,
  union,
} from './intervals';

const r = (start: number, end: number) => ({ start, end });
const arbRange = fc
  .tuple(fc.integer({ min: 0, max: 1000 }), fc.integer({ min: 0, max: 1000 }))
  .map(([a, b]) => r(Math.min(a, b), Math.max(a, b)));

describe('a half-open range', () => {
  it('contains its start and not its end', () => {
    expect(contains(r(4, 8), 4)).toBe(true);
    expect(contains(r(4, 8), 7)).toBe(true);
    expect(contains(r(4, 8), 8)).toBe(false);
    expect(contains(r(4, 4), 4)).toBe(false);
  });

  it('refuses a negative start, an end before its start and fractions', () => {
    expect(() => range(-1, 3)).toThrow(InvalidCommand);
    expect(() => range(5, 3)).toThrow('expected integers 0 ≤ start ≤ end, got [5, 3)');
    expect(() => range(0.5, 3)).toThrow(InvalidCommand);
    expect(range(3, 3)).toEqual(r(3, 3));
  });

  it('formats as [start, end)', () => {
    expect(formatRange(r(0, 32))).toBe('[0, 32)');
  });

  it('drops the indices below a point', () => {
    expect(from(r(4, 10), 7)).toEqual(r(7, 10));
    expect(from(r(4, 10), 2)).toEqual(r(4, 10));
    expect(from(r(4, 10), 12)).toEqual(r(10, 10));
  });
});

describe('splitting a range', () => {
  it('gives [start, at) and [at, end)', () => {
    expect(splitAt(r(0, 32), 16)).toEqual([r(0, 16), r(16, 32)]);
  });

  it('refuses a point outside the range', () => {
    expect(() => splitAt(r(4, 8), 9)).toThrow('cannot split [4, 8) at 9: outside the range');
  });

  it('yields two disjoint halves whose union is the range (property)', () => {
    fc.assert(
      fc.property(arbRange, fc.nat(), (whole, n) => {
        const at = whole.start + (size(whole) === 0 ? 0 : n % (size(whole) + 1));
        const [a, b] = splitAt(whole, at);
        expect(overlaps(a, b)).toBe(false);
        expect(size(a) + size(b)).toBe(size(whole));
        expect(union([a, b])).toEqual(size(whole) === 0 ? [] : [whole]);
        expect(containsRange(whole, a) && containsRange(whole, b)).toBe(true);
      }),
    );
  });
});

describe('overlap and union', () => {
  it('treats adjacent ranges as disjoint and empty ranges as overlapping nothing', () => {
    expect(overlaps(r(0, 4), r(4, 8))).toBe(false);
    expect(overlaps(r(0, 5), r(4, 8))).toBe(true);
    expect(overlaps(r(5, 5), r(0, 10))).toBe(false);
  });

  it('merges overlapping and adjacent ranges', () => {
    expect(union([r(10, 12), r(0, 4), r(4, 6), r(11, 20), r(30, 30)])).toEqual([r(0, 6), r(10, 20)]);
  });

  it('agrees with a membership check index by index (property)', () => {
    fc.assert(
      fc.property(fc.array(arbRange, { maxLength: 6 }), fc.integer({ min: 0, max: 1000 }), (ranges, i) => {
        const inAny = ranges.some((x) => contains(x, i));
        expect(union(ranges).some((x) => contains(x, i))).toBe(inAny);
      }),
    );
  });
});

describe('disjointness of labelled ranges', () => {
  it('names the first two ranges that overlap', () => {
    const clash = firstOverlap([
      { label: 'c0', range: r(0, 16) },
      { label: 'c1', range: r(16, 32) },
      { label: 'c2', range: r(20, 24) },
    ]);
    expect(clash?.map((x) => x.label)).toEqual(['c1', 'c2']);
  });

  it('throws InvariantViolated naming both copies and their ranges', () => {
    expect(() =>
      assertDisjoint(
        [
          { label: 'copy c0', range: r(0, 17) },
          { label: 'copy c1', range: r(16, 32) },
        ],
        'after KeyTransitExported',
      ),
    ).toThrow(
      new InvariantViolated(
        'after KeyTransitExported: copy c0 owns [0, 17) and copy c1 owns [16, 32); hashsig copies must own disjoint index ranges',
      ),
    );
  });

  it('accepts disjoint and empty ranges', () => {
    expect(() =>
      assertDisjoint(
        [
          { label: 'a', range: r(0, 4) },
          { label: 'b', range: r(4, 8) },
          { label: 'c', range: r(2, 2) },
        ],
        'x',
      ),
    ).not.toThrow();
  });
});
