import fc from 'fast-check';
import { overlaps, size, union } from './intervals';
import { rawExportRange, transitPartition } from './partition';

describe('a transit export partition (docs/libhal-rpc.md §7.6)', () => {
  it('gives the source [q, floor((q + end) / 2)) and the copy the rest', () => {
    expect(transitPartition({ start: 0, end: 32 }, 0)).toEqual({
      sourceRange: { start: 0, end: 16 },
      exportedRange: { start: 16, end: 32 },
    });
    expect(transitPartition({ start: 0, end: 32 }, 5)).toEqual({
      sourceRange: { start: 5, end: 18 },
      exportedRange: { start: 18, end: 32 },
    });
  });

  it('halves the source again on a repeated export', () => {
    const first = transitPartition({ start: 0, end: 32 }, 0)!;
    expect(transitPartition(first.sourceRange, 0)).toEqual({
      sourceRange: { start: 0, end: 8 },
      exportedRange: { start: 8, end: 16 },
    });
  });

  it('is exhausted with fewer than 2 leaves left', () => {
    expect(transitPartition({ start: 0, end: 32 }, 31)).toBeNull();
    expect(transitPartition({ start: 0, end: 32 }, 32)).toBeNull();
    expect(transitPartition({ start: 0, end: 32 }, 30)).not.toBeNull();
  });

  it('never overlaps and covers exactly the unused leaves (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 20 }), fc.integer({ min: 0, max: 2 ** 20 }), (a, b) => {
        const owned = { start: 0, end: Math.max(a, b) };
        const q = Math.min(a, b);
        const p = transitPartition(owned, q);
        if (p === null) return expect(size(owned) - q).toBeLessThan(2);
        expect(overlaps(p.sourceRange, p.exportedRange)).toBe(false);
        expect(size(p.sourceRange)).toBeGreaterThan(0);
        expect(union([p.sourceRange, p.exportedRange])).toEqual([{ start: q, end: owned.end }]);
      }),
    );
  });
});

describe('a raw export range (docs/libhal-rpc.md §9.2)', () => {
  it('gives the blob everything from the next leaf to the end', () => {
    expect(rawExportRange({ start: 16, end: 32 }, 20)).toEqual({ start: 20, end: 32 });
  });
});
