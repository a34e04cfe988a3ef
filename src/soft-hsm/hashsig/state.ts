/**
 * The HSS private state as plain data, for the soft HSM to persist after every signature
 * (docs/libhal-rpc.md §7.3: q is written before the signature is returned). Trees are not stored:
 * hssLoadKey recomputes them from I and SEED.
 *
 * Shape (all byte fields are Uint8Array; hssStateToJSON turns them into lowercase hex):
 *   { levels, lmsType, lmotsType,
 *     top:   { I(16), SEED(32), root(32) = T[1], q, qStart, qEnd },   // level 0, leaves [qStart, qEnd)
 *     lower: [{ I(16), SEED(32), q, signature }] }                  // levels 1..L−1, top-down
 * `q` is the next unused leaf of that tree; a lower tree's `signature` is its parent's LMS
 * signature of its public key (RFC 8554 §6.2 signed_pub_key).
 */
import { abytes, aint } from '../../lib/bytes';
import { ArgumentError } from '../../lib/errors';
import { HSS_MAX_LEVELS, lmotsParams, lmsParams, lmsSignatureLength } from '../../lib/rfc8554-params';

export interface HssTopTreeState {
  readonly I: Uint8Array;
  /** Secret: regenerates every LM-OTS key of the top tree (RFC 8554 Appendix A). */
  readonly SEED: Uint8Array;
  readonly root: Uint8Array;
  readonly q: number;
  readonly qStart: number;
  readonly qEnd: number;
}

export interface HssLowerTreeState {
  readonly I: Uint8Array;
  /** Secret: drawn from the injected RNG when the tree was (re)generated. */
  readonly SEED: Uint8Array;
  readonly q: number;
  readonly signature: Uint8Array;
}

export interface HssPrivateState {
  readonly levels: number;
  readonly lmsType: number;
  readonly lmotsType: number;
  readonly top: HssTopTreeState;
  readonly lower: readonly HssLowerTreeState[];
}

/** Checks field sizes and ranges (not the cryptographic consistency: hssLoadKey does that). */
export function assertHssPrivateState(state: HssPrivateState): HssPrivateState {
  if (typeof state !== 'object' || state === null)
    throw new ArgumentError('state', '"state" expected an object');
  aint(state.levels, 'levels', 1, HSS_MAX_LEVELS);
  const lms = lmsParams(state.lmsType);
  const ots = lmotsParams(state.lmotsType);
  const leaves = 2 ** lms.h;
  const { top } = state;
  abytes(top.I, 'top.I', 16);
  abytes(top.SEED, 'top.SEED', 32);
  abytes(top.root, 'top.root', 32);
  aint(top.qStart, 'top.qStart', 0, leaves - 1);
  aint(top.qEnd, 'top.qEnd', top.qStart + 1, leaves);
  aint(top.q, 'top.q', top.qStart, top.qEnd);
  if (!Array.isArray(state.lower) || state.lower.length !== state.levels - 1) {
    throw new ArgumentError('lower', `"lower" expected ${state.levels - 1} trees for ${state.levels} levels`);
  }
  state.lower.forEach((tree, k) => {
    abytes(tree.I, `lower[${k}].I`, 16);
    abytes(tree.SEED, `lower[${k}].SEED`, 32);
    aint(tree.q, `lower[${k}].q`, 0, leaves);
    abytes(tree.signature, `lower[${k}].signature`, lmsSignatureLength(lms, ots));
  });
  return state;
}

export interface HssPrivateStateJSON {
  levels: number;
  lmsType: number;
  lmotsType: number;
  top: { I: string; SEED: string; root: string; q: number; qStart: number; qEnd: number };
  lower: { I: string; SEED: string; q: number; signature: string }[];
}

export function hssStateToJSON(state: HssPrivateState): HssPrivateStateJSON {
  const { top } = assertHssPrivateState(state);
  return {
    levels: state.levels,
    lmsType: state.lmsType,
    lmotsType: state.lmotsType,
    top: {
      I: hex(top.I),
      SEED: hex(top.SEED),
      root: hex(top.root),
      q: top.q,
      qStart: top.qStart,
      qEnd: top.qEnd,
    },
    lower: state.lower.map((t) => ({ I: hex(t.I), SEED: hex(t.SEED), q: t.q, signature: hex(t.signature) })),
  };
}

export function hssStateFromJSON(json: HssPrivateStateJSON): HssPrivateState {
  if (typeof json !== 'object' || json === null || typeof json.top !== 'object' || json.top === null) {
    throw new ArgumentError('state', '"state" expected an object with "top"');
  }
  const lower = Array.isArray(json.lower) ? json.lower : [];
  return assertHssPrivateState({
    levels: json.levels,
    lmsType: json.lmsType,
    lmotsType: json.lmotsType,
    top: {
      I: unhex('top.I', json.top.I),
      SEED: unhex('top.SEED', json.top.SEED),
      root: unhex('top.root', json.top.root),
      q: json.top.q,
      qStart: json.top.qStart,
      qEnd: json.top.qEnd,
    },
    lower: lower.map((t, k) => ({
      I: unhex(`lower[${k}].I`, t.I),
      SEED: unhex(`lower[${k}].SEED`, t.SEED),
      q: t.q,
      signature: unhex(`lower[${k}].signature`, t.signature),
    })),
  });
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('hex');
}

function unhex(label: string, text: unknown): Uint8Array {
  if (typeof text !== 'string' || !/^(?:[0-9a-f]{2})*$/.test(text)) {
    throw new ArgumentError(label, `"${label}" expected lowercase hex of whole bytes`);
  }
  return new Uint8Array(Buffer.from(text, 'hex'));
}
