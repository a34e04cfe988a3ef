/**
 * The keyspace arithmetic of libhal's hashsig export (docs/libhal-rpc.md §7.6) and raw export (§9.2), so
 * the app can predict a partition and the key decider can check the one it is handed.
 */
import { from, type Range } from './intervals';

export type Partition = { readonly sourceRange: Range; readonly exportedRange: Range };

/**
 * PKEY_EXPORT with the source's next leaf `q` and range end `q_end_old`: `new_end =
 * floor((q + q_end_old) / 2)`; the source keeps `[q, new_end)`, the copy gets `[new_end, q_end_old)`.
 * `null` when `new_end == q` (fewer than 2 leaves left: HASHSIG_KEY_EXHAUSTED).
 */
export function transitPartition(owned: Range, q: number): Partition | null {
  const rest = from(owned, q);
  const mid = Math.floor((rest.start + rest.end) / 2);
  if (mid === rest.start) return null;
  return { sourceRange: { start: rest.start, end: mid }, exportedRange: { start: mid, end: rest.end } };
}

/** EXPORT_RAW gives the blob the whole remaining range: `q_start := q`, `q_end` unchanged. */
export function rawExportRange(owned: Range, q: number): Range {
  return from(owned, q);
}
