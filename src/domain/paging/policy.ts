/**
 * The replacement policy of one HSM's resident set (docs/architecture.md §4 "Key paging"): which key to
 * page out when a page-in needs a slot. Pure bookkeeping over key ids; the pager does the paging, and
 * tells the policy what happened.
 */
export interface ReplacementPolicy {
  /** Key slots the policy plans for; the caller keeps `size` at or below it. */
  readonly capacity: number;
  /** Resident keys. */
  readonly size: number;
  /** A request for `keyId` was seen, hit or miss: frequency learns from every request, recency from hits. */
  record(keyId: string): void;
  /** `keyId` became resident (paged in, or found on the HSM at start-up); a resident key stays as it is. */
  admit(keyId: string): void;
  /** `keyId` left the HSM (evicted, deleted, destroyed); an unknown key is ignored. */
  remove(keyId: string): void;
  /**
   * The resident key to page out to make room, skipping those `evictable` refuses (pinned, in use,
   * being moved); undefined when none may go. Changes nothing: the caller calls `remove` once the
   * page-out succeeded, and the key stays resident if it failed.
   */
  victim(evictable: (keyId: string) => boolean): string | undefined;
  has(keyId: string): boolean;
  /** The resident keys, each once, in no promised order. */
  residents(): string[];
  /**
   * A new capacity, e.g. when the HSM answers NO_KEY_SLOTS_AVAILABLE below the configured one. Nothing
   * is evicted here: above the new capacity the caller pages out `victim`s until `size` fits.
   */
  resize(capacity: number): void;
}

/** Requests served from a resident key (`hits`) and requests that needed a page-in (`misses`). */
export interface HitCounts {
  readonly hits: number;
  readonly misses: number;
}

export function hitRate({ hits, misses }: HitCounts): number {
  return hits + misses === 0 ? 0 : hits / (hits + misses);
}
