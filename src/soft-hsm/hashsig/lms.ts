/**
 * LMS Merkle trees over LM-OTS leaves (RFC 8554 §5), with the tree nodes cached for signing.
 *
 * Node r of a tree of height h (root r = 1, leaves r = 2^h + q) is
 *   T[r] = H(I || u32str(r) || u16str(D_LEAF) || OTS_PUB_HASH[r − 2^h])   for leaves,
 *   T[r] = H(I || u32str(r) || u16str(D_INTR) || T[2r] || T[2r+1])         otherwise (§5.3).
 *
 * Memory: for h ≤ 15 every node is kept, 2^(h+1)·32 bytes (H15: 2 MiB), and signing only copies
 * the authentication path. For h = 20 and 25 only the top 16 levels are kept (2 MiB); the 32-byte
 * nodes below come from recomputing the height-(h−15) subtree holding the leaf (H20: 32 leaves,
 * H25: 1024 leaves of LM-OTS keys). The last such subtree is memoised, so signing leaves in order
 * recomputes one subtree per 2^(h−15) signatures. Keygen streams the same subtrees, so its memory
 * stays at 2 MiB + 2^(h−14)·32 bytes whatever h is.
 */
import { abytes, aint, equalBytes, writeU16, writeU32 } from '../../lib/bytes';
import { HashsigMalformed } from '../../lib/errors';
import {
  BoundedReader,
  encodeLmsPublicKey,
  readLmsPublicKey,
  readLmsSignature,
  type LmsPublicKeyParts,
  type LmsSignatureParts,
} from '../../lib/rfc8554';
import { LmotsParams, lmotsParams, LmsParams, lmsParams } from '../../lib/rfc8554-params';
import { sha256 } from '../../lib/sha256';
import { candidateFromParts, lmotsPublicKeyWith, lmotsSign, newLeafScratch } from './lmots';
import { chainWipe } from './sha256-chain';

// Domain separation of tree nodes, RFC 8554 §5.3 / §7.1.
const D_LEAF = 0x8282;
const D_INTR = 0x8383;

/** Tree levels kept in memory below the root (see the module comment). */
export const CACHED_HEIGHT = 15;

export interface LmsTree {
  readonly lms: LmsParams;
  readonly ots: LmotsParams;
  readonly I: Uint8Array;
  readonly SEED: Uint8Array;
  /** T[1], the public key value. */
  readonly root: Uint8Array;
  /** Levels below the root kept in `nodes`: min(h, CACHED_HEIGHT). */
  readonly cachedHeight: number;
  /** T[r] at offset 32·r for 1 ≤ r < 2^(cachedHeight+1). */
  readonly nodes: Uint8Array;
  /** For h > CACHED_HEIGHT: the last recomputed bottom subtree (public values only). */
  bottom?: { readonly index: number; readonly nodes: Uint8Array };
}

/**
 * Computes the whole tree of (I, SEED) (§5.3). Slow: 2^h·(p·2^w + 2) + 2^h − 1 hashes.
 * `cachedHeight` is for tests of the h > CACHED_HEIGHT layout on small trees.
 */
export function lmsGenerateTree(
  lmsType: number,
  lmotsType: number,
  I: Uint8Array,
  SEED: Uint8Array,
  cachedHeight = CACHED_HEIGHT,
): LmsTree {
  const lms = lmsParams(lmsType);
  const ots = lmotsParams(lmotsType);
  abytes(I, 'I', 16);
  abytes(SEED, 'SEED', 32);
  aint(cachedHeight, 'cachedHeight', 1, CACHED_HEIGHT);
  const top = Math.min(lms.h, cachedHeight);
  const below = lms.h - top;
  const nodes = new Uint8Array(2 ** (top + 1) * 32);
  const tree = { lms, ots, I: I.slice(), SEED: SEED.slice(), cachedHeight: top, nodes };
  if (below === 0) {
    fillSubtree(tree, 1, lms.h, nodes);
  } else {
    const scratch = new Uint8Array(2 ** (below + 1) * 32);
    for (let r = 2 ** top; r < 2 ** (top + 1); r++) {
      fillSubtree(tree, r, below, scratch);
      nodes.set(scratch.subarray(32, 64), 32 * r);
    }
    fillInternal(tree, 1, top, nodes);
  }
  return { ...tree, root: nodes.slice(32, 64) };
}

type TreeKeys = Pick<LmsTree, 'lms' | 'ots' | 'I' | 'SEED'>;

/**
 * Fills `out` with the subtree of `height` levels rooted at global node `root`: local node l at
 * local depth d (2^d ≤ l < 2^(d+1)) is global node root·2^d + (l − 2^d), stored at offset 32·l.
 */
function fillSubtree(tree: TreeKeys, root: number, height: number, out: Uint8Array): void {
  const { lms, ots, I, SEED } = tree;
  const scratch = newLeafScratch(ots, I);
  const leafInput = new Uint8Array(54);
  leafInput.set(I, 0);
  writeU16(leafInput, 20, D_LEAF);
  const width = 2 ** height;
  const first = root * width; // global number of the subtree's first leaf
  try {
    for (let k = 0; k < width; k++) {
      const r = first + k;
      const K = lmotsPublicKeyWith(scratch.st, scratch.kInput, ots, I, r - 2 ** lms.h, SEED);
      writeU32(leafInput, 16, r);
      leafInput.set(K, 22);
      out.set(sha256(leafInput), 32 * (width + k));
    }
  } finally {
    chainWipe(scratch.st);
  }
  fillInternal(tree, root, height, out);
}

/** Computes local nodes 1 .. 2^height − 1 of `out` from its bottom level (§5.3, D_INTR nodes). */
function fillInternal(tree: TreeKeys, root: number, height: number, out: Uint8Array): void {
  const input = new Uint8Array(86);
  input.set(tree.I, 0);
  writeU16(input, 20, D_INTR);
  for (let d = height - 1; d >= 0; d--) {
    for (let k = 0; k < 2 ** d; k++) {
      const l = 2 ** d + k;
      writeU32(input, 16, root * 2 ** d + k);
      input.set(out.subarray(64 * l, 64 * l + 64), 22);
      out.set(sha256(input), 32 * l);
    }
  }
}

/** path[0..h−1]: the siblings of the nodes from leaf q up to the root (§5.4.1). */
export function lmsAuthPath(tree: LmsTree, q: number): Uint8Array {
  const h = tree.lms.h;
  aint(q, 'q', 0, 2 ** h - 1);
  const top = tree.cachedHeight;
  const path = new Uint8Array(32 * h);
  let node = 2 ** h + q;
  for (let i = 0; i < h; i++, node = Math.floor(node / 2)) {
    const sibling = node ^ 1;
    const depth = h - i;
    if (depth <= top) {
      path.set(tree.nodes.subarray(32 * sibling, 32 * sibling + 32), 32 * i);
    } else {
      const below = h - top;
      const index = Math.floor(q / 2 ** below); // which depth-`top` subtree holds leaf q
      const local = 2 ** (depth - top) + (sibling - (2 ** top + index) * 2 ** (depth - top));
      const nodes = bottomSubtree(tree, index, below);
      path.set(nodes.subarray(32 * local, 32 * local + 32), 32 * i);
    }
  }
  return path;
}

function bottomSubtree(tree: LmsTree, index: number, height: number): Uint8Array {
  if (tree.bottom?.index !== index) {
    const nodes = new Uint8Array(2 ** (height + 1) * 32);
    fillSubtree(tree, 2 ** tree.cachedHeight + index, height, nodes);
    tree.bottom = { index, nodes };
  }
  return tree.bottom.nodes;
}

/** u32str(type) || u32str(otstype) || I || T[1] (§5.3). */
export function lmsPublicKey(tree: LmsTree): Uint8Array {
  return encodeLmsPublicKey({ lmsType: tree.lms.code, lmotsType: tree.ots.code, I: tree.I, root: tree.root });
}

/**
 * §5.4.1: u32str(q) || lmots_signature || u32str(type) || path. The caller owns the state: it
 * must never pass the same q twice.
 */
export function lmsSign(tree: LmsTree, q: number, message: Uint8Array, C: Uint8Array): Uint8Array {
  aint(q, 'q', 0, 2 ** tree.lms.h - 1);
  const ots = lmotsSign(tree.ots.code, tree.I, q, tree.SEED, message, C);
  const path = lmsAuthPath(tree, q);
  const sig = new Uint8Array(4 + ots.length + 4 + path.length);
  writeU32(sig, 0, q);
  sig.set(ots, 4);
  writeU32(sig, 4 + ots.length, tree.lms.code);
  sig.set(path, 8 + ots.length);
  return sig;
}

/** §5.4.2 Algorithms 6 and 6a on parsed parts: true when the candidate root equals T[1]. */
export function lmsVerifyParts(pub: LmsPublicKeyParts, message: Uint8Array, sig: LmsSignatureParts): boolean {
  if (sig.lmotsType !== pub.lmotsType || sig.lmsType !== pub.lmsType) return false;
  const { h } = lmsParams(pub.lmsType);
  const Kc = candidateFromParts(lmotsParams(pub.lmotsType), sig.C, sig.y, pub.I, sig.q, message);
  const leaf = new Uint8Array(54);
  leaf.set(pub.I, 0);
  let node = 2 ** h + sig.q;
  writeU32(leaf, 16, node);
  writeU16(leaf, 20, D_LEAF);
  leaf.set(Kc, 22);
  let tmp = sha256(leaf);
  const inner = new Uint8Array(86);
  inner.set(pub.I, 0);
  writeU16(inner, 20, D_INTR);
  for (let i = 0; node > 1; i++, node = Math.floor(node / 2)) {
    const sibling = sig.path.subarray(32 * i, 32 * i + 32);
    writeU32(inner, 16, Math.floor(node / 2));
    inner.set(node & 1 ? sibling : tmp, 22);
    inner.set(node & 1 ? tmp : sibling, 54);
    tmp = sha256(inner);
  }
  return equalBytes(tmp, pub.root);
}

/** §5.4.2 Algorithm 6: verifies an LMS signature under an LMS public key; false on any malformation. */
export function lmsVerify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  abytes(message, 'message');
  abytes(publicKey, 'publicKey');
  abytes(signature, 'signature');
  try {
    const pr = new BoundedReader(publicKey, 'LMS public key');
    const pub = readLmsPublicKey(pr);
    pr.end();
    const sr = new BoundedReader(signature, 'LMS signature');
    const sig = readLmsSignature(sr);
    sr.end();
    return lmsVerifyParts(pub, message, sig);
  } catch (err) {
    if (err instanceof HashsigMalformed) return false;
    throw err;
  }
}
