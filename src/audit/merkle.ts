/**
 * The Merkle Tree Hash of RFC 9162 §2.1 (unchanged from RFC 6962 §2.1) over SHA-256, and a tree
 * that answers roots, inclusion proofs (§2.1.3.1) and consistency proofs (§2.1.4.1) for any size
 * up to its own. The ledger's tree has the 32-byte hash of each event as leaf data, in global
 * order (docs/architecture.md §6): ledger position p is leaf index p − 1.
 *
 * The tree keeps the hash of every complete aligned subtree, level by level, in flat byte arrays:
 * 64 bytes per leaf, plus the slack of arrays that double as they grow (17 MB at 200,000 leaves).
 * Every node of the §2.1.1 recursion over D[0:size] is either such a subtree or lies on the right
 * edge, where its hash is the fold of at most log2(size) stored subtrees; no answer needs more
 * than one right-edge fold: O(log n) hashes per query. An append costs one node hash, amortised.
 */
import { abytes, aint } from '../lib/bytes';
import { ArgumentError } from '../lib/errors';
import { sha256, sha256Into } from '../lib/sha256';

export const HASH_BYTES = 32;

/** §2.1.1: MTH({}) = SHA-256() */
export function emptyRoot(): Buffer {
  return sha256(new Uint8Array(0));
}

/** §2.1.1: MTH({d(0)}) = SHA-256(0x00 || d(0)); the 0x00 prefix separates leaves from nodes. */
export function leafHash(data: Uint8Array): Buffer {
  abytes(data, 'leaf data');
  const input = new Uint8Array(1 + data.length);
  input.set(data, 1);
  return sha256(input);
}

/** §2.1.1: SHA-256(0x01 || left || right). */
export function nodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  abytes(left, 'left', HASH_BYTES);
  abytes(right, 'right', HASH_BYTES);
  const input = new Uint8Array(1 + 2 * HASH_BYTES);
  input[0] = 0x01;
  input.set(left, 1);
  input.set(right, 1 + HASH_BYTES);
  return sha256(input);
}

/** The largest power of two smaller than n (n ≥ 2): §2.1.1's k. */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/**
 * The §2.1.1 definition applied literally to leaf data, recursing on the split: the reference
 * the tree is tested against. O(n) hashes; fine for tests and small inputs.
 */
export function mth(leaves: readonly Uint8Array[]): Buffer {
  const of = (lo: number, hi: number): Buffer => {
    if (hi - lo === 0) return emptyRoot();
    if (hi - lo === 1) return leafHash(leaves[lo]);
    const k = splitPoint(hi - lo);
    return nodeHash(of(lo, lo + k), of(lo + k, hi));
  };
  return of(0, leaves.length);
}

/** One level of complete subtrees: entry i covers leaves [i·2^level, (i+1)·2^level). */
class Level {
  bytes = Buffer.alloc(HASH_BYTES * 64);
  count = 0;

  push(hash: Uint8Array): void {
    this.reserve();
    this.bytes.set(hash, this.count * HASH_BYTES);
    this.count++;
  }

  /** Pushes SHA-256(input), hashed straight into the level. */
  pushDigestOf(input: Uint8Array): void {
    this.reserve();
    sha256Into(input, this.bytes, this.count * HASH_BYTES);
    this.count++;
  }

  private reserve(): void {
    if ((this.count + 1) * HASH_BYTES > this.bytes.length) {
      const grown = Buffer.alloc(this.bytes.length * 2);
      this.bytes.copy(grown);
      this.bytes = grown;
    }
  }

  /** A view into the level: callers copy before handing it out. */
  at(index: number): Uint8Array {
    return this.bytes.subarray(index * HASH_BYTES, (index + 1) * HASH_BYTES);
  }
}

/** An append-only RFC 9162 §2.1 tree; every hash it returns is a fresh Buffer of its own. */
export class MerkleTree {
  private readonly levels: Level[] = [new Level()];
  /** 0x01 ‖ left ‖ right for the carries of `appendLeafHash`: its one hot loop allocates no input. */
  private readonly nodeInput = Buffer.alloc(1 + 2 * HASH_BYTES, 0x01);
  /** 0x00 ‖ data for `append` of 32-byte leaf data. */
  private readonly leafInput = Buffer.alloc(1 + HASH_BYTES, 0x00);

  get size(): number {
    return this.levels[0].count;
  }

  /** Appends leaf data (here: an event's 32-byte hash); returns the new leaf's index. */
  append(data: Uint8Array): number {
    if (data.length !== HASH_BYTES) return this.appendLeafHash(leafHash(data));
    // The common case, without leafHash's allocation: 0x00 ‖ data in a buffer of the tree's own.
    this.leafInput.set(data, 1);
    const index = this.size;
    this.levels[0].pushDigestOf(this.leafInput);
    this.carry();
    return index;
  }

  /** Appends a leaf by its §2.1.1 leaf hash, SHA-256(0x00 || data); returns its index. */
  appendLeafHash(hash: Uint8Array): number {
    abytes(hash, 'leaf hash', HASH_BYTES);
    const index = this.size;
    this.levels[0].push(hash);
    this.carry();
    return index;
  }

  /** Each carry after a leaf completes one subtree a level up: one hash per append, amortised. */
  private carry(): void {
    for (let level = 0; this.levels[level].count % 2 === 0; level++) {
      const below = this.levels[level];
      if (level + 1 === this.levels.length) this.levels.push(new Level());
      // The two children are the level's last 64 bytes, left then right: nodeHash's input, inlined.
      below.bytes.copy(this.nodeInput, 1, (below.count - 2) * HASH_BYTES, below.count * HASH_BYTES);
      this.levels[level + 1].pushDigestOf(this.nodeInput);
    }
  }

  /** MTH(D[0:size]), §2.1.1. */
  root(size = this.size): Buffer {
    this.checkSize(size, 'size');
    return size === 0 ? emptyRoot() : this.rangeHash(0, size);
  }

  /** PATH(index, D[0:size]), §2.1.3.1: sibling hashes from the leaf up to the root. */
  inclusionProof(index: number, size = this.size): Buffer[] {
    this.checkSize(size, 'size');
    if (size === 0)
      throw new ArgumentError('index', '"index" has no leaf to prove: the tree of size 0 is empty');
    aint(index, 'index', 0, size - 1);
    const path: Buffer[] = [];
    let lo = 0;
    let hi = size;
    while (hi - lo > 1) {
      const k = splitPoint(hi - lo);
      if (index < lo + k) {
        path.push(this.rangeHash(lo + k, hi));
        hi = lo + k;
      } else {
        path.push(this.rangeHash(lo, lo + k));
        lo += k;
      }
    }
    return path.reverse();
  }

  /** PROOF(size1, D[0:size2]) = SUBPROOF(size1, D[0:size2], true), §2.1.4.1; 0 < size1 ≤ size2. */
  consistencyProof(size1: number, size2 = this.size): Buffer[] {
    this.checkSize(size2, 'size2');
    // The §2.1.4.1 recursion has no case for m = 0: the empty tree is a prefix of every tree.
    aint(size1, 'size1', 1, Number.MAX_SAFE_INTEGER);
    if (size1 > size2)
      throw new ArgumentError('size1', `"size1" expected at most size2 ${size2}, got ${size1}`);
    const proof: Buffer[] = [];
    let lo = 0;
    let hi = size2;
    let whole = true; // §2.1.4.1's b: the current subtree's hash is the verifier's own first root
    while (size1 !== hi) {
      const k = splitPoint(hi - lo);
      if (size1 - lo <= k) {
        proof.push(this.rangeHash(lo + k, hi));
        hi = lo + k;
      } else {
        proof.push(this.rangeHash(lo, lo + k));
        lo += k;
        whole = false;
      }
    }
    if (!whole) proof.push(this.rangeHash(lo, hi));
    return proof.reverse();
  }

  private checkSize(size: number, field: string): void {
    aint(size, field, 0, this.size);
  }

  /**
   * MTH(D[lo:hi]) for a node of the §2.1.1 recursion: lo is a multiple of the smallest power of
   * two ≥ hi − lo, so the range splits, largest first, into complete aligned subtrees (one per
   * bit of hi − lo) whose hashes fold from the right exactly as the recursion would.
   */
  private rangeHash(lo: number, hi: number): Buffer {
    const parts: Uint8Array[] = [];
    for (let level = this.levels.length - 1, at = lo; level >= 0; level--) {
      const width = 2 ** level;
      if (hi - at >= width) {
        parts.push(this.levels[level].at(at / width));
        at += width;
      }
    }
    let hash: Buffer = Buffer.alloc(HASH_BYTES); // not Buffer.from: that may hand out a slice of Node's pool
    hash.set(parts[parts.length - 1]);
    for (let i = parts.length - 2; i >= 0; i--) hash = nodeHash(parts[i], hash);
    return hash;
  }
}
