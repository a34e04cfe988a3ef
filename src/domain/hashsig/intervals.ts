/**
 * Half-open ranges of hashsig top-level leaf indices, `[start, end)` (libhal q_start/q_end,
 * docs/libhal-rpc.md §7.4). Copies of one key own disjoint ranges (docs/architecture.md §3); this module is the only
 * place that reasons about overlap, so the rule is checked the same way in decide and evolve.
 */
import { InvalidCommand, InvariantViolated } from '../errors';

export type Range = { readonly start: number; readonly end: number };

/** A checked range: integers with 0 ≤ start ≤ end (an empty range is allowed: a spent copy). */
export function range(start: number, end: number, field = 'range'): Range {
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start) {
    throw new InvalidCommand(`"${field}" expected integers 0 ≤ start ≤ end, got [${start}, ${end})`);
  }
  return { start, end };
}

export function isRange(value: unknown): value is Range {
  const r = value as Range | null;
  return (
    typeof r === 'object' &&
    r !== null &&
    Number.isSafeInteger(r.start) &&
    Number.isSafeInteger(r.end) &&
    r.start >= 0 &&
    r.end >= r.start
  );
}

export function size(r: Range): number {
  return r.end - r.start;
}

export function isEmpty(r: Range): boolean {
  return r.end <= r.start;
}

export function contains(r: Range, index: number): boolean {
  return index >= r.start && index < r.end;
}

/** `inner ⊆ outer`; the empty range is inside every range. */
export function containsRange(outer: Range, inner: Range): boolean {
  return isEmpty(inner) || (inner.start >= outer.start && inner.end <= outer.end);
}

export function overlaps(a: Range, b: Range): boolean {
  return !isEmpty(a) && !isEmpty(b) && a.start < b.end && b.start < a.end;
}

export function equals(a: Range, b: Range): boolean {
  return a.start === b.start && a.end === b.end;
}

/** `[start, at)` and `[at, end)`. */
export function splitAt(r: Range, at: number): readonly [Range, Range] {
  if (!Number.isSafeInteger(at) || at < r.start || at > r.end) {
    throw new InvalidCommand(`cannot split ${formatRange(r)} at ${at}: outside the range`);
  }
  return [
    { start: r.start, end: at },
    { start: at, end: r.end },
  ];
}

/** `r` without its indices below `from` (what a copy still owns once it has passed `from − 1`). */
export function from(r: Range, index: number): Range {
  const start = Math.min(Math.max(r.start, index), r.end);
  return { start, end: r.end };
}

/** The union as sorted, non-overlapping, non-adjacent ranges; empty ranges vanish. */
export function union(ranges: readonly Range[]): Range[] {
  const sorted = ranges.filter((r) => !isEmpty(r)).sort((a, b) => a.start - b.start || a.end - b.end);
  const out: Range[] = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (last !== undefined && r.start <= last.end)
      out[out.length - 1] = { start: last.start, end: Math.max(last.end, r.end) };
    else out.push(r);
  }
  return out;
}

export type Labelled = { readonly label: string; readonly range: Range };

/** The first two labelled ranges that overlap, or `null` when all are pairwise disjoint. */
export function firstOverlap(ranges: readonly Labelled[]): readonly [Labelled, Labelled] | null {
  const sorted = ranges.filter((r) => !isEmpty(r.range)).sort((a, b) => a.range.start - b.range.start);
  for (let i = 1; i < sorted.length; i++) {
    if (overlaps(sorted[i - 1]!.range, sorted[i]!.range)) return [sorted[i - 1]!, sorted[i]!];
  }
  return null;
}

/** For evolve: the ledger's history must never give one index to two copies (docs/architecture.md §3). */
export function assertDisjoint(ranges: readonly Labelled[], context: string): void {
  const clash = firstOverlap(ranges);
  if (clash !== null) {
    const [a, b] = clash;
    throw new InvariantViolated(
      `${context}: ${a.label} owns ${formatRange(a.range)} and ${b.label} owns ${formatRange(b.range)}; hashsig copies must own disjoint index ranges`,
    );
  }
}

export function formatRange(r: Range): string {
  return `[${r.start}, ${r.end})`;
}
