/**
 * Reuse detection on the indices every HSS signature carries in the clear (RFC 8554 §6.2: one
 * LMS signature per level, each with its leaf q; the identifier I of every tree below the top
 * comes with the signed public key of that tree). docs/architecture.md §3 "Observed state".
 *
 * Facts the rules rest on:
 * - every leaf signs once: a top leaf signs exactly one level-1 tree, a level-1 leaf exactly one
 *   level-2 tree, and so on; the bottom leaf signs the message;
 * - the HSM only moves forward (docs/libhal-rpc.md §7.3), so within one copy the q-tuples strictly increase
 *   lexicographically;
 * - copies own disjoint top-level ranges, so a new top leaf must lie in the signing copy's range.
 *   A copy may go on using the subtree below the last top leaf it used even after that leaf left
 *   its range (a transit export gives the source `[q, mid)` with q = its next unused leaf, while
 *   the current lower trees still hang from q − 1).
 */
import { InvalidCommand } from '../errors';
import { contains, formatRange, type Range } from './intervals';
import { type HashsigParams, treeHeight } from './params';

export type PathLevel = { readonly q: number; readonly I: string };
/** Top level first: `[{q, I}]` for L = 1, `[{q0, I0}, {q1, I1}, …]` for HSS. */
export type IndexPath = readonly PathLevel[];

export type ReuseRule = 'repeated' | 'not-increasing' | 'tree-reused' | 'outside-range';
export type PathVerdict =
  { readonly ok: true } | { readonly ok: false; readonly rule: ReuseRule; readonly detail: string };

/** Shape checks (the app has verified the signature; a bad path is a bug, not reuse). */
export function checkIndexPath(params: HashsigParams, path: IndexPath, field: string): void {
  if (!Array.isArray(path) || path.length !== params.levels) {
    throw new InvalidCommand(
      `"${field}" expected ${params.levels} levels (L), got ${Array.isArray(path) ? path.length : typeof path}`,
    );
  }
  const leaves = 2 ** treeHeight(params);
  path.forEach((level, i) => {
    if (!Number.isInteger(level?.q) || level.q < 0 || level.q >= leaves) {
      throw new InvalidCommand(
        `"${field}[${i}].q" expected a leaf index in [0, ${leaves}), got ${String(level?.q)}`,
      );
    }
    if (typeof level.I !== 'string' || !/^[0-9a-f]{32}$/.test(level.I)) {
      throw new InvalidCommand(
        `"${field}[${i}].I" expected 32 lowercase hex characters, got ${JSON.stringify(level.I)}`,
      );
    }
  });
  if (path[0]!.I !== params.I) {
    throw new InvalidCommand(
      `"${field}[0].I" is ${path[0]!.I}, but this key's top tree is ${params.I}: not a signature of this key`,
    );
  }
}

/** `q0/I1:q1/…`, e.g. `17` or `17/9c1e…:4`. */
export function formatPath(path: IndexPath): string {
  return path.map((l, i) => (i === 0 ? `${l.q}` : `${l.I.slice(0, 4)}…:${l.q}`)).join('/');
}

/** Lexicographic order of the q-tuples: negative when a < b. */
export function comparePaths(a: IndexPath, b: IndexPath): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    if (a[i]!.q !== b[i]!.q) return a[i]!.q - b[i]!.q;
  }
  return a.length - b.length;
}

/** May a copy that last used `last` and owns `owned` now use `path`? */
export function judgePath(last: IndexPath | null, owned: Range, path: IndexPath): PathVerdict {
  const q0 = path[0]!.q;
  if (last === null || q0 !== last[0]!.q) {
    if (last !== null && q0 < last[0]!.q) {
      return reuse(
        'not-increasing',
        `top-level index ${q0} is below ${last[0]!.q}, which this copy has already used`,
      );
    }
    if (!contains(owned, q0)) {
      return reuse(
        'outside-range',
        `top-level index ${q0} lies outside this copy's range ${formatRange(owned)}`,
      );
    }
    return { ok: true };
  }
  // Same top leaf: the path continues the subtree below it; every tree on the way must be the one
  // the parent leaf already signed, and the first differing q must move forward.
  for (let level = 1; level < path.length; level++) {
    if (path[level]!.I !== last[level]!.I) {
      return reuse(
        'tree-reused',
        `leaf ${formatPath(path.slice(0, level))} signed level-${level} tree ${last[level]!.I.slice(0, 8)}… and now ${path[level]!.I.slice(0, 8)}…`,
      );
    }
    if (path[level]!.q > last[level]!.q) return { ok: true };
    if (path[level]!.q < last[level]!.q) {
      return reuse(
        'not-increasing',
        `index path ${formatPath(path)} is below ${formatPath(last)}, already used`,
      );
    }
  }
  return reuse('repeated', `index path ${formatPath(path)} was already used`);
}

function reuse(rule: ReuseRule, detail: string): PathVerdict {
  return { ok: false, rule, detail };
}
