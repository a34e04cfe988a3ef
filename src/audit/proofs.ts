/**
 * Verifying inclusion proofs (RFC 9162 §2.1.3.2) and consistency proofs (§2.1.4.2) against roots
 * of the RFC 9162 §2.1 tree of ./merkle.ts.
 *
 * Verdicts are booleans. Every value that may come from a log or a stored checkpoint is judged,
 * and a malformed one is `false`, not an exception: a hash that is not 32 bytes, index ≥ size,
 * size1 > size2, size1 = 0, a proof with one entry too many or too few. Only arguments of the
 * wrong JavaScript type (not a Uint8Array, not a non-negative safe integer, a proof that is not
 * an array) throw a labelled ArgumentError: that is a bug in the caller, not a verdict.
 *
 * Sizes go up to 2^53 − 1, so halving is division, not a 32-bit shift.
 */
import { abytes, aint, equalBytes } from '../lib/bytes';
import { ArgumentError } from '../lib/errors';
import { HASH_BYTES, nodeHash } from './merkle';

const half = (n: number): number => Math.floor(n / 2);
const odd = (n: number): boolean => n % 2 === 1;

function isPowerOfTwo(n: number): boolean {
  let p = 1;
  while (p < n) p *= 2;
  return p === n;
}

function checkTypes(proof: unknown, hashes: Record<string, unknown>, sizes: Record<string, unknown>): void {
  if (!Array.isArray(proof)) throw new ArgumentError('proof', '"proof" expected an array of hashes');
  proof.forEach((p, i) => abytes(p, `proof[${i}]`));
  for (const [field, value] of Object.entries(hashes)) abytes(value, field);
  for (const [field, value] of Object.entries(sizes)) aint(value, field, 0, Number.MAX_SAFE_INTEGER);
}

const allHashes = (...hashes: readonly Uint8Array[]): boolean => hashes.every((h) => h.length === HASH_BYTES);

/** Whether `proof` shows the leaf with hash `leafHash` at `index` in the tree of `size` leaves with root `root`. */
export function verifyInclusion(
  leafHash: Uint8Array,
  index: number,
  size: number,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): boolean {
  checkTypes(proof, { leafHash, root }, { index, size });
  if (index >= size || !allHashes(leafHash, root, ...proof)) return false;
  // fn walks the leaf's ancestors, sn those of the last leaf; where they meet, the path turns left.
  let fn = index;
  let sn = size - 1;
  let r: Uint8Array = leafHash;
  for (const p of proof) {
    if (sn === 0) return false; // more entries than levels
    if (odd(fn) || fn === sn) {
      r = nodeHash(p, r);
      // A right-edge node with no right sibling rises without hashing.
      while (!odd(fn) && fn !== 0) [fn, sn] = [half(fn), half(sn)];
    } else {
      r = nodeHash(r, p);
    }
    [fn, sn] = [half(fn), half(sn)];
  }
  return sn === 0 && equalBytes(r, root);
}

/**
 * Whether `proof` shows that the tree of `size1` leaves with root `root1` is a prefix of the tree
 * of `size2` leaves with root `root2`. Equal sizes need an empty proof and equal roots (§2.1.4.1:
 * SUBPROOF(m, D[m], true) is empty); size1 = 0 is refused, as no proof exists from the empty tree.
 */
export function verifyConsistency(
  size1: number,
  size2: number,
  proof: readonly Uint8Array[],
  root1: Uint8Array,
  root2: Uint8Array,
): boolean {
  checkTypes(proof, { root1, root2 }, { size1, size2 });
  if (size1 === 0 || size1 > size2 || !allHashes(root1, root2, ...proof)) return false;
  if (size1 === size2) return proof.length === 0 && equalBytes(root1, root2);
  if (proof.length === 0) return false;
  // A first tree that is a complete subtree is left out of the proof: the verifier holds it.
  const path = isPowerOfTwo(size1) ? [root1, ...proof] : proof;
  let fn = size1 - 1;
  let sn = size2 - 1;
  while (odd(fn)) [fn, sn] = [half(fn), half(sn)];
  let fr: Uint8Array = path[0];
  let sr: Uint8Array = path[0];
  for (const c of path.slice(1)) {
    if (sn === 0) return false; // more entries than levels
    if (odd(fn) || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      while (!odd(fn) && fn !== 0) [fn, sn] = [half(fn), half(sn)];
    } else {
      sr = nodeHash(sr, c); // a node only the second tree has
    }
    [fn, sn] = [half(fn), half(sn)];
  }
  return sn === 0 && equalBytes(fr, root1) && equalBytes(sr, root2);
}
