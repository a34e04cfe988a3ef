/**
 * Hashsig (LMS/HSS) private keys in the soft HSM (docs/libhal-rpc.md §7): parameter checks, keygen,
 * rebuild from (I, SEED, q_start, q_end) on import, the per-signature state advance, and the two
 * ways a key's top-tree range is split off (§7.6 transit export, §9.2 raw export).
 *
 * What is stored per key: the PKCS#8 of §7.4 (seed all-zero unless EXPORTABLE, as libhal writes
 * it) and a state record `{ hss, frozen? }`, both wrapped under the master KEK. `hss` is the
 * hashsig module's plain-data state (top tree q/qStart/qEnd and the lower trees), `frozen` the
 * range handed out by a raw export: a frozen key signs nothing (HASHSIG_KEY_EXHAUSTED) and a
 * second raw export returns the same range again.
 */
import { KeyFlag, HAL_RPC_MAX_PKT_SIZE } from '../hsm-adapter/constants';
import { equalBytes } from '../lib/bytes';
import { buildHashsigPrivateKeyInfo, type HashsigPrivateKey } from '../lib/pkcs8';
import { hssSignatureLength, isLmotsType, isLmsType, LmotsType, lmsParams } from '../lib/rfc8554-params';
import {
  hssGenerateKey,
  hssLoadKey,
  lmsGenerateTree,
  hssSign,
  hssStateFromJSON,
  hssStateToJSON,
  type HssKey,
  type HssPrivateState,
  type HssPrivateStateJSON,
  type LmsTree,
} from './hashsig';
import type { Rng } from './crypto/bytes';
import { fail } from './status';

export interface HashsigParams {
  readonly levels: number;
  readonly lmsType: number;
  readonly lmotsType: number;
}

export interface Range {
  readonly qStart: number;
  readonly qEnd: number;
}

export interface HashsigStoredState {
  readonly hss: HssPrivateState;
  readonly frozen?: Range;
}

/** §7.1 parameter checks, in libhal's order. */
export function checkHashsigParams(p: HashsigParams, rpc: string): void {
  if (!Number.isInteger(p.levels) || p.levels < 1 || p.levels > 8) throw fail('BAD_ARGUMENTS', rpc);
  // libhal does not range-check lms_type before use (undefined behaviour); we answer BAD_ARGUMENTS.
  if (!isLmsType(p.lmsType) || !isLmotsType(p.lmotsType)) throw fail('BAD_ARGUMENTS', rpc);
  // W1: a private LM-OTS record would not fit a keystore block.
  if (p.lmotsType === LmotsType.W1) throw fail('UNSUPPORTED_KEY', rpc);
  if (hssSignatureLength(p.levels, p.lmsType, p.lmotsType) > HAL_RPC_MAX_PKT_SIZE)
    throw fail('UNSUPPORTED_KEY', rpc);
}

/** §7.1: hashsig keys must be DIGITALSIGNATURE and TOKEN (keygen, import, raw import). */
export function checkHashsigFlags(flags: number, rpc: string): void {
  const need = KeyFlag.USAGE_DIGITALSIGNATURE | KeyFlag.TOKEN;
  if ((flags & need) !== need) throw fail('FORBIDDEN', rpc);
}

export function encodeHashsigState(s: HashsigStoredState): Buffer {
  return Buffer.from(
    JSON.stringify({ hss: hssStateToJSON(s.hss), ...(s.frozen ? { frozen: s.frozen } : {}) }),
    'utf8',
  );
}

export function decodeHashsigState(bytes: Uint8Array): HashsigStoredState {
  let json: { hss: HssPrivateStateJSON; frozen?: Range };
  try {
    json = JSON.parse(Buffer.from(bytes).toString('utf8')) as typeof json;
  } catch {
    // Never the parser's message: it quotes the input, which holds SEEDs.
    throw new Error('hashsig state: not valid JSON');
  }
  const hss = hssStateFromJSON(json.hss);
  const f = json.frozen;
  if (f !== undefined && !(Number.isInteger(f.qStart) && Number.isInteger(f.qEnd) && f.qStart <= f.qEnd))
    throw new Error('hashsig state: malformed "frozen" range');
  return f ? { hss, frozen: { qStart: f.qStart, qEnd: f.qEnd } } : { hss };
}

/** The PKCS#8 of §7.4 for a state and a range; `seed` included only if asked (EXPORTABLE keys). */
export function hashsigPkcs8(hss: HssPrivateState, range: Range, withSeed: boolean): Uint8Array {
  return buildHashsigPrivateKeyInfo({
    L: hss.levels,
    lmsType: hss.lmsType,
    lmotsType: hss.lmotsType,
    I: hss.top.I,
    T1: hss.top.root,
    seed: withSeed ? hss.top.SEED : new Uint8Array(32),
    qStart: range.qStart,
    qEnd: range.qEnd,
  });
}

/** Trees kept by `TopTreeMemo`: up to H10 (2,047 nodes, 64 KiB each). */
const MEMO_MAX_HEIGHT = 10;

/**
 * The top trees of the hashsig keys this HSM built lately, by (types, I), so that importing a key
 * it held before (a key paged out and in again) does not recompute the same tree from SEED: a
 * third of what an L2 H5/W8 import costs. A hit must have the same SEED; the tree is public data
 * plus the SEED the caller brought. Bounded, least recently used first out.
 */
export class TopTreeMemo {
  private readonly trees = new Map<string, LmsTree>();

  constructor(private readonly limit = 256) {}

  readonly tree = (lmsType: number, lmotsType: number, I: Uint8Array, SEED: Uint8Array): LmsTree => {
    const id = `${lmsType}/${lmotsType}/${Buffer.from(I).toString('hex')}`;
    const hit = this.trees.get(id);
    this.trees.delete(id);
    const tree = hit && equalBytes(hit.SEED, SEED) ? hit : lmsGenerateTree(lmsType, lmotsType, I, SEED);
    if (lmsParams(lmsType).h <= MEMO_MAX_HEIGHT) {
      this.trees.set(id, tree);
      if (this.trees.size > this.limit) this.trees.delete(this.trees.keys().next().value!);
    }
    return tree;
  };

  clear(): void {
    this.trees.clear();
  }
}

/** PKEY_GENERATE_HASHSIG (§7.5): fresh I and SEED from the RNG, whole top-tree range. */
export function generateHashsig(
  p: HashsigParams,
  exportable: boolean,
  rng: Rng,
  memo?: TopTreeMemo,
): { pkcs8: Uint8Array; key: HssKey } {
  const I = rng(16);
  const SEED = rng(32);
  const key = hssGenerateKey(p, { I, SEED }, rng, memo?.tree);
  const range = { qStart: 0, qEnd: 2 ** lmsParams(p.lmsType).h };
  return { pkcs8: hashsigPkcs8(key.state, range, exportable), key };
}

/**
 * Import (§7.6) and raw import (§9.2): recompute the top tree from SEED for leaves
 * [q_start, q_end), fresh lower trees from the RNG. An empty range cannot sign
 * (HASHSIG_KEY_EXHAUSTED); a SEED that does not give T1 (a non-exportable key's zero seed, or a
 * damaged blob) is refused as ASN1_PARSE_FAILED.
 */
export function rebuildHashsig(priv: HashsigPrivateKey, rng: Rng, rpc: string, memo?: TopTreeMemo): HssKey {
  checkHashsigParams({ levels: priv.L, lmsType: priv.lmsType, lmotsType: priv.lmotsType }, rpc);
  const leaves = 2 ** lmsParams(priv.lmsType).h;
  if (priv.qEnd > leaves || priv.qStart > priv.qEnd) throw fail('ASN1_PARSE_FAILED', rpc);
  if (priv.qEnd === priv.qStart) throw fail('HASHSIG_KEY_EXHAUSTED', rpc);
  const key = hssGenerateKey(
    { levels: priv.L, lmsType: priv.lmsType, lmotsType: priv.lmotsType },
    { I: priv.I, SEED: priv.seed, qStart: priv.qStart, qEnd: priv.qEnd },
    rng,
    memo?.tree,
  );
  if (!Buffer.from(key.state.top.root).equals(Buffer.from(priv.T1))) throw fail('ASN1_PARSE_FAILED', rpc);
  return key;
}

/** A loaded key for signing: reuses cached trees when the state is the one they were built for. */
export function loadHssKey(state: HssPrivateState, cached: HssKey | undefined): HssKey {
  if (cached && Buffer.from(cached.state.top.I).equals(Buffer.from(state.top.I))) return { ...cached, state };
  return hssLoadKey(state);
}

/** One signature and the state to persist before releasing it (§7.3). */
export function signHashsig(
  stored: HashsigStoredState,
  key: HssKey,
  message: Uint8Array,
  rng: Rng,
  rpc: string,
): { signature: Uint8Array; next: HssKey } {
  if (stored.frozen) throw fail('HASHSIG_KEY_EXHAUSTED', rpc);
  return hssSign(key, message, rng);
}

/**
 * §7.6 transit export partition: the source keeps [q, new_end), the copy gets [new_end, q_end).
 * Returns the source's new state and the copy's range.
 */
export function partitionForTransit(
  stored: HashsigStoredState,
  rpc: string,
): { source: HssPrivateState; copy: Range } {
  const { top } = stored.hss;
  const end = stored.frozen ? top.q : top.qEnd;
  const newEnd = Math.floor((top.q + end) / 2);
  if (newEnd <= top.q) throw fail('HASHSIG_KEY_EXHAUSTED', rpc);
  return { source: { ...stored.hss, top: { ...top, qEnd: newEnd } }, copy: { qStart: newEnd, qEnd: end } };
}

/**
 * §9.2 raw export: the blob gets the whole remaining range [q, q_end) and the source is frozen
 * with an empty range; an already frozen key hands out the same range again.
 */
export function rangeForRawExport(stored: HashsigStoredState): { frozen: Range; changed: boolean } {
  if (stored.frozen) return { frozen: stored.frozen, changed: false };
  return { frozen: { qStart: stored.hss.top.q, qEnd: stored.hss.top.qEnd }, changed: true };
}
