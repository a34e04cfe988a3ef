/**
 * LM-OTS one-time signatures on SHA-256 (RFC 8554 §4). Private keys are never stored: x_q[i] is
 * derived on demand from SEED as in RFC 8554 Appendix A,
 *   x_q[i] = H(I || u32str(q) || u16str(i) || u8str(0xff) || SEED),
 * which is itself a chain step with j = 0xff and tmp = SEED.
 */
import { abytes, aint, writeU16, writeU32 } from '../../lib/bytes';
import { BoundedReader } from '../../lib/rfc8554';
import { LmotsParams, lmotsParams } from '../../lib/rfc8554-params';
import { sha256, sha256Parts } from '../../lib/sha256';
import {
  ChainState,
  chainLoad,
  chainRun,
  chainSetPrefix,
  chainStore,
  chainWipe,
  newChainState,
} from './sha256-chain';

const MAX_Q = 0xffffffff;

// Domain separation of K and Q, RFC 8554 §4.3 / §4.4 / §7.1.
const D_PBLC = 0x8080;
const D_MESG = 0x8181;

/** §4.4 Algorithm 2 / §4.5 step 5: the p digits a_i = coef(Q || Cksm(Q), i, w). */
export function lmotsDigits(ots: LmotsParams, Q: Uint8Array): Uint8Array {
  const { w, p, ls } = ots;
  const mask = (1 << w) - 1;
  const perByte = 8 / w;
  const u = 256 / w; // digits of the 32-byte Q
  const out = new Uint8Array(p);
  let sum = 0;
  for (let i = 0; i < u; i++) {
    const a = coef(Q[(i / perByte) | 0], i % perByte, w, mask);
    out[i] = a;
    sum += mask - a;
  }
  const cksm = (sum << ls) & 0xffff; // u16str(Cksm(Q)) is the two bytes after Q
  for (let i = u; i < p; i++) {
    const k = i - u;
    const byte = (k / perByte) | 0 ? cksm & 0xff : cksm >>> 8;
    out[i] = coef(byte, k % perByte, w, mask);
  }
  return out;
}

// §3.1.3 coef(S, i, w): digit number `slot` (from the most significant bits) of one byte.
function coef(byte: number, slot: number, w: number, mask: number): number {
  return (byte >>> (8 - w * slot - w)) & mask;
}

/** §4.4: Q = H(I || u32str(q) || u16str(D_MESG) || C || message). */
function messageHash(I: Uint8Array, q: number, C: Uint8Array, message: Uint8Array): Uint8Array {
  const prefix = new Uint8Array(22);
  prefix.set(I, 0);
  writeU32(prefix, 16, q);
  writeU16(prefix, 20, D_MESG);
  return sha256Parts(prefix, C, message);
}

/** The buffer I || u32str(q) || u16str(D_PBLC) || y[0..p-1] hashed into K (§4.3 step 4, §4.6 step 3). */
function newPublicKeyInput(ots: LmotsParams, I: Uint8Array): Uint8Array {
  const buf = new Uint8Array(22 + 32 * ots.p);
  buf.set(I, 0);
  writeU16(buf, 20, D_PBLC);
  return buf;
}

/**
 * §4.3 Algorithm 1 (with Appendix A keys): K for leaf q, using caller-owned scratch `st` and
 * `kInput` (from newPublicKeyInput with the same I) so tree generation allocates nothing per hash.
 */
export function lmotsPublicKeyWith(
  st: ChainState,
  kInput: Uint8Array,
  ots: LmotsParams,
  I: Uint8Array,
  q: number,
  SEED: Uint8Array,
): Uint8Array {
  const last = (1 << ots.w) - 1;
  chainSetPrefix(st, I, q);
  writeU32(kInput, 16, q);
  for (let i = 0; i < ots.p; i++) {
    chainLoad(st, SEED, 0);
    chainRun(st, i, 0xff, 0x100); // x_q[i]
    chainRun(st, i, 0, last); // y[i] = chain end
    chainStore(st, kInput, 22 + 32 * i);
  }
  return sha256(kInput);
}

/** LM-OTS public key value K for leaf q of the tree (I, SEED) (§4.3). */
export function lmotsPublicKey(lmotsType: number, I: Uint8Array, q: number, SEED: Uint8Array): Uint8Array {
  const ots = lmotsParams(lmotsType);
  abytes(I, 'I', 16);
  aint(q, 'q', 0, MAX_Q);
  abytes(SEED, 'SEED', 32);
  const st = newChainState();
  try {
    return lmotsPublicKeyWith(st, newPublicKeyInput(ots, I), ots, I, q, SEED);
  } finally {
    chainWipe(st);
  }
}

/** Scratch for computing many leaves of one tree: see lmotsPublicKeyWith. */
export function newLeafScratch(ots: LmotsParams, I: Uint8Array): { st: ChainState; kInput: Uint8Array } {
  return { st: newChainState(), kInput: newPublicKeyInput(ots, I) };
}

/**
 * §4.5 Algorithm 3: sign `message` with leaf q of (I, SEED). C is the caller's n random bytes.
 * Returns u32str(type) || C || y[0] || … || y[p−1].
 */
export function lmotsSign(
  lmotsType: number,
  I: Uint8Array,
  q: number,
  SEED: Uint8Array,
  message: Uint8Array,
  C: Uint8Array,
): Uint8Array {
  const ots = lmotsParams(lmotsType);
  abytes(I, 'I', 16);
  aint(q, 'q', 0, MAX_Q);
  abytes(SEED, 'SEED', 32);
  abytes(message, 'message');
  abytes(C, 'C', 32);
  const a = lmotsDigits(ots, messageHash(I, q, C, message));
  const sig = new Uint8Array(ots.sigLength);
  writeU32(sig, 0, ots.code);
  sig.set(C, 4);
  const st = newChainState();
  try {
    chainSetPrefix(st, I, q);
    for (let i = 0; i < ots.p; i++) {
      chainLoad(st, SEED, 0);
      chainRun(st, i, 0xff, 0x100); // x_q[i]
      chainRun(st, i, 0, a[i]);
      chainStore(st, sig, 36 + 32 * i);
    }
  } finally {
    chainWipe(st);
  }
  return sig;
}

/**
 * §4.6 Algorithm 4b: the candidate public key Kc from an LM-OTS signature. `expectedType` is the
 * LM-OTS type of the public key (§4.6 step 1c: the signature's type must equal it). Throws
 * HashsigMalformed when the signature cannot be parsed; the caller compares Kc with K.
 */
export function lmotsCandidatePublicKey(
  sig: Uint8Array,
  expectedType: number,
  I: Uint8Array,
  q: number,
  message: Uint8Array,
): Uint8Array {
  abytes(sig, 'LM-OTS signature');
  abytes(I, 'I', 16);
  aint(q, 'q', 0, MAX_Q);
  abytes(message, 'message');
  const reader = new BoundedReader(sig, 'LM-OTS signature');
  const type = reader.u32('type');
  if (type !== expectedType)
    reader.fail(`type ${type} differs from the public key's LM-OTS type ${expectedType}`);
  const ots = lmotsParams(type);
  const C = reader.take('C', 32);
  const y = reader.take('y', 32 * ots.p);
  reader.end();
  return candidateFromParts(ots, C, y, I, q, message);
}

/** Algorithm 4b steps 3–4 on already-delimited C and y (used by the LMS verifier, §5.4.2). */
export function candidateFromParts(
  ots: LmotsParams,
  C: Uint8Array,
  y: Uint8Array,
  I: Uint8Array,
  q: number,
  message: Uint8Array,
): Uint8Array {
  const a = lmotsDigits(ots, messageHash(I, q, C, message));
  const last = (1 << ots.w) - 1;
  const kInput = newPublicKeyInput(ots, I);
  writeU32(kInput, 16, q);
  const st = newChainState();
  chainSetPrefix(st, I, q);
  for (let i = 0; i < ots.p; i++) {
    chainLoad(st, y, 32 * i);
    chainRun(st, i, a[i], last);
    chainStore(st, kInput, 22 + 32 * i);
  }
  return sha256(kInput);
}
