/** Message helpers shared by all deciders' errors (docs/style.md §8: hashes abbreviated, ids and times named). */

/** `3f2a91cc…`: the first 8 hex characters of a SHA-256, enough for a person to match it. */
export function abbr(sha256: string): string {
  return sha256.length > 8 ? `${sha256.slice(0, 8)}…` : sha256;
}

/** `a, b and c` */
export function list(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}
