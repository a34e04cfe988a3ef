/**
 * HSS keys (RFC 8554 §6) as libhal runs them (docs/libhal-rpc.md §7): L = 1..8 levels of the same
 * LMS and LM-OTS types; the top tree comes from the caller's (I, SEED) and may be limited to the
 * leaf range [qStart, qEnd); lower trees are drawn from the injected RNG and replaced when used up.
 *
 * Keys are immutable values: hssSign returns the signature together with the next key, and the
 * caller persists `next.state` before releasing the signature. A key that has signed is marked
 * spent, so a stale copy (say, held across an await by a concurrent request) cannot sign again.
 */
import { abytes, aint, concatBytes, equalBytes, u32str, writeU32 } from '../../lib/bytes';
import { ArgumentError, HashsigMalformed } from '../../lib/errors';
import {
  BoundedReader,
  readLmsSignature,
  type LmsPublicKeyParts,
  type LmsSignatureParts,
} from '../../lib/rfc8554';
import {
  HSS_MAX_LEVELS,
  HSS_PUBLIC_KEY_LENGTH,
  hssSignatureLength,
  lmotsParams,
  lmsParams,
} from '../../lib/rfc8554-params';
import { HashsigKeyExhausted, HashsigStaleKey, HashsigStateInconsistent } from './errors';
import { lmsGenerateTree, lmsPublicKey, lmsSign, lmsVerifyParts, LmsTree } from './lms';
import { assertHssPrivateState, HssLowerTreeState, HssPrivateState } from './state';

/** Randomness source: returns `n` fresh random bytes. */
export type Rng = (n: number) => Uint8Array;

export interface HssParams {
  readonly levels: number;
  readonly lmsType: number;
  readonly lmotsType: number;
}

export interface HssKey {
  /** What to persist. */
  readonly state: HssPrivateState;
  /** Runtime caches, index = level; rebuilt from `state` by hssLoadKey. */
  readonly trees: readonly LmsTree[];
}

export interface HssTopSeed {
  readonly I: Uint8Array;
  readonly SEED: Uint8Array;
  /** First top-tree leaf this key may use; default 0. */
  readonly qStart?: number;
  /** One past the last top-tree leaf this key may use; default 2^h. */
  readonly qEnd?: number;
}

// Keys that have signed. Signing is synchronous, so the check and the mark cannot interleave.
const spent = new WeakSet<HssKey>();

/**
 * RFC 8554 §6.1 key generation, also what import after export does (docs/libhal-rpc.md §7.6): the
 * top tree is recomputed from (I, SEED), and with L ≥ 2 fresh lower trees are drawn from `rng`
 * and signed, which consumes top leaf qStart (and leaf 0 of each intermediate tree).
 */
/** How the top tree of (I, SEED) is computed: `lmsGenerateTree`, or a memo of it. */
export type TopTreeSource = (lmsType: number, lmotsType: number, I: Uint8Array, SEED: Uint8Array) => LmsTree;

export function hssGenerateKey(
  params: HssParams,
  seed: HssTopSeed,
  rng: Rng,
  topTree: TopTreeSource = lmsGenerateTree,
): HssKey {
  aint(params.levels, 'levels', 1, HSS_MAX_LEVELS);
  const { h } = lmsParams(params.lmsType);
  lmotsParams(params.lmotsType);
  const qStart = seed.qStart ?? 0;
  aint(qStart, 'qStart', 0, 2 ** h - 1);
  const qEnd = seed.qEnd ?? 2 ** h;
  aint(qEnd, 'qEnd', qStart + 1, 2 ** h);
  const top = topTree(params.lmsType, params.lmotsType, seed.I, seed.SEED);
  const state: HssPrivateState = {
    levels: params.levels,
    lmsType: params.lmsType,
    lmotsType: params.lmotsType,
    top: { I: top.I, SEED: top.SEED, root: top.root, q: qStart, qStart, qEnd },
    lower: [],
  };
  return replaceLowerTrees({ state, trees: [top] }, 0, rng);
}

/**
 * Rebuilds a key from persisted state: recomputes every tree from its (I, SEED) and checks the
 * top root and each lower tree's signature by its parent (a corrupted state is refused rather
 * than signing with keys nobody can verify).
 */
export function hssLoadKey(state: HssPrivateState): HssKey {
  assertHssPrivateState(state);
  const { lmsType, lmotsType } = state;
  const top = lmsGenerateTree(lmsType, lmotsType, state.top.I, state.top.SEED);
  if (!equalBytes(top.root, state.top.root)) {
    throw new HashsigStateInconsistent(
      'top tree root recomputed from (I, SEED) differs from the stored root',
    );
  }
  const trees = [top];
  state.lower.forEach((stored, k) => {
    const tree = lmsGenerateTree(lmsType, lmotsType, stored.I, stored.SEED);
    const parent = trees[k];
    const sig = readStoredSignature(stored.signature, k);
    // The parent leaf must be one this key already used: below the parent's q, and for the top
    // tree inside [qStart, q) — a leaf outside the range belongs to an exported copy.
    const parentQ = k === 0 ? state.top.q : state.lower[k - 1].q;
    const parentStart = k === 0 ? state.top.qStart : 0;
    const used = sig.q >= parentStart && sig.q < parentQ;
    if (!used || !lmsVerifyParts(publicParts(parent), lmsPublicKey(tree), sig)) {
      throw new HashsigStateInconsistent(
        `lower[${k}].signature is not a signature of level ${k + 1}'s public key by a used leaf of level ${k}`,
      );
    }
    trees.push(tree);
  });
  return { state, trees };
}

/**
 * RFC 8554 §6.2: signs `message` with the next bottom leaf; when the bottom tree is used up,
 * replaces it (and used-up trees above it) with new trees signed by their parents. Randomisers
 * C and new lower trees' I and SEED come from `rng`. Throws HashsigKeyExhausted when no leaf is
 * left and HashsigStaleKey when `key` has signed before; `key.state` is never modified.
 */
export function hssSign(key: HssKey, message: Uint8Array, rng: Rng): { signature: Uint8Array; next: HssKey } {
  abytes(message, 'message');
  const { state } = key;
  if (spent.has(key)) throw new HashsigStaleKey();
  const leaves = 2 ** lmsParams(state.lmsType).h;
  let level = state.levels - 1;
  while (level > 0 && state.lower[level - 1].q >= leaves) level--;
  if (level === 0 && state.top.q >= state.top.qEnd) {
    throw new HashsigKeyExhausted(state.top.q, state.top.qEnd);
  }
  const ready = replaceLowerTrees(key, level, rng);
  const bottom = ready.trees.length - 1;
  const { q, next } = useLeaf(ready, bottom);
  const last = lmsSign(ready.trees[bottom], q, message, draw(rng, 'C', 32));
  const parts: Uint8Array[] = [u32str(state.levels - 1)];
  ready.state.lower.forEach((tree, k) => parts.push(tree.signature, lmsPublicKey(ready.trees[k + 1])));
  parts.push(last);
  const signature = concatBytes(...parts);
  if (signature.length !== hssSignatureLength(state.levels, state.lmsType, state.lmotsType)) {
    throw new HashsigStateInconsistent(
      `signature length ${signature.length} differs from the RFC 8554 §6.2 size`,
    );
  }
  spent.add(key);
  return { signature, next };
}

/** u32str(L) || u32str(lms_type) || u32str(lmots_type) || I || T[1] (RFC 8554 §6.1). */
export function hssPublicKey(state: HssPrivateState): Uint8Array {
  const out = new Uint8Array(HSS_PUBLIC_KEY_LENGTH);
  writeU32(out, 0, state.levels);
  writeU32(out, 4, state.lmsType);
  writeU32(out, 8, state.lmotsType);
  out.set(state.top.I, 12);
  out.set(state.top.root, 28);
  return out;
}

/** Signatures the key can still make, counting lower trees' remaining leaves (docs/libhal-rpc.md §7.3). */
export function hssRemainingSignatures(state: HssPrivateState): bigint {
  const leaves = 2n ** BigInt(lmsParams(state.lmsType).h);
  const L = state.levels;
  // Mixed radix: an unused leaf of level k is worth leaves^(L−1−k) bottom signatures.
  let total = BigInt(state.top.qEnd - state.top.q) * leaves ** BigInt(L - 1);
  state.lower.forEach((tree, k) => {
    total += (leaves - BigInt(tree.q)) * leaves ** BigInt(L - 2 - k);
  });
  return total;
}

/** Regenerates levels from+1 .. L−1, each signed by its parent (RFC 8554 §6.2 step 2). */
function replaceLowerTrees(key: HssKey, from: number, rng: Rng): HssKey {
  let current = key;
  for (let level = from + 1; level < current.state.levels; level++) {
    const { lmsType, lmotsType } = current.state;
    const I = draw(rng, 'I', 16);
    const SEED = draw(rng, 'SEED', 32);
    const tree = lmsGenerateTree(lmsType, lmotsType, I, SEED);
    const parent = current.trees[level - 1];
    const { q, next } = useLeaf(current, level - 1);
    const pub = lmsPublicKey(tree);
    const signature = lmsSign(parent, q, pub, draw(rng, 'C', 32));
    // Verify before release: this signature is replayed in every signature of the new tree.
    const parsed = readLmsSignature(new BoundedReader(signature, 'signed public key'));
    if (!lmsVerifyParts(publicParts(parent), pub, parsed)) {
      throw new HashsigStateInconsistent(
        `level ${level - 1} produced an invalid signature of level ${level}'s key`,
      );
    }
    const lower: HssLowerTreeState[] = next.state.lower.slice(0, level - 1);
    lower.push({ I: tree.I, SEED: tree.SEED, q: 0, signature });
    current = { state: { ...next.state, lower }, trees: [...next.trees.slice(0, level), tree] };
  }
  return current;
}

/** Takes the next leaf of `level` (the caller checked one is left) and returns the advanced key. */
function useLeaf(key: HssKey, level: number): { q: number; next: HssKey } {
  const { state } = key;
  if (level === 0) {
    return {
      q: state.top.q,
      next: { ...key, state: { ...state, top: { ...state.top, q: state.top.q + 1 } } },
    };
  }
  const tree = state.lower[level - 1];
  const lower = state.lower.slice();
  lower[level - 1] = { ...tree, q: tree.q + 1 };
  return { q: tree.q, next: { ...key, state: { ...state, lower } } };
}

function readStoredSignature(bytes: Uint8Array, k: number): LmsSignatureParts {
  try {
    const reader = new BoundedReader(bytes, `lower[${k}].signature`);
    const sig = readLmsSignature(reader);
    reader.end();
    return sig;
  } catch (err) {
    if (err instanceof HashsigMalformed) throw new HashsigStateInconsistent(err.message, { cause: err });
    throw err;
  }
}

function publicParts(tree: LmsTree): LmsPublicKeyParts {
  return { lmsType: tree.lms.code, lmotsType: tree.ots.code, I: tree.I, root: tree.root };
}

function draw(rng: Rng, label: string, n: number): Uint8Array {
  const bytes = rng(n);
  if (!(bytes instanceof Uint8Array) || bytes.length !== n) {
    throw new ArgumentError('rng', `rng for "${label}" expected to return ${n} bytes`);
  }
  return bytes.slice();
}
