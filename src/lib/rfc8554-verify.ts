/**
 * RFC 8554 verification for the service (SHA-256, n = m = 32): LM-OTS §4.6 Algorithm 4b, LMS §5.4.2
 * Algorithms 6/6a, HSS §6.3, on the strict parsers of rfc8554.ts. The custody service checks
 * signatures handed in from outside with it (observed signatures, docs/architecture.md §3): a whole
 * signature against the signed message, or, without the message, only that each lower-level
 * public key is signed by the level above. The simulator verifies with it too (its HSS verify is
 * this one; the product may not import the simulator); it is checked against the RFC's test
 * vectors (test/hashsig/rfc8554-vectors.spec.ts).
 */
import { abytes, equalBytes, writeU16, writeU32 } from './bytes';
import { HashsigMalformed } from './errors';
import {
  encodeLmsPublicKey,
  parseHssPublicKey,
  parseHssSignature,
  type HssPublicKeyParts,
  type HssSignatureParts,
  type LmsPublicKeyParts,
  type LmsSignatureParts,
} from './rfc8554';
import { lmotsParams, lmsParams, type LmotsParams } from './rfc8554-params';
import { sha256, sha256Parts } from './sha256';

// Domain separation, RFC 8554 §7.1.
const D_PBLC = 0x8080;
const D_MESG = 0x8181;
const D_LEAF = 0x8282;
const D_INTR = 0x8383;

/** §3.1.3 coef(S, i, w). */
function coef(S: Uint8Array, i: number, w: number): number {
  return ((1 << w) - 1) & (S[Math.floor((i * w) / 8)]! >>> (8 - (w * (i % (8 / w)) + w)));
}

/** §4.6 Algorithm 4b steps 3–4: the candidate LM-OTS public key Kc. */
function lmotsCandidate(
  ots: LmotsParams,
  I: Uint8Array,
  q: number,
  C: Uint8Array,
  y: Uint8Array,
  message: Uint8Array,
): Uint8Array {
  const prefix = new Uint8Array(22);
  prefix.set(I, 0);
  writeU32(prefix, 16, q);
  writeU16(prefix, 20, D_MESG);
  const Q = sha256Parts(prefix, C, message);
  // Q || Cksm(Q) (§4.4 Algorithm 2).
  const max = (1 << ots.w) - 1;
  let sum = 0;
  for (let i = 0; i < (32 * 8) / ots.w; i++) sum += max - coef(Q, i, ots.w);
  const QC = new Uint8Array(34);
  QC.set(Q, 0);
  writeU16(QC, 32, (sum << ots.ls) & 0xffff);
  // Chain step input: I || u32str(q) || u16str(i) || u8str(j) || tmp.
  const step = new Uint8Array(16 + 4 + 2 + 1 + 32);
  step.set(I, 0);
  writeU32(step, 16, q);
  const K = new Uint8Array(22 + 32 * ots.p);
  K.set(I, 0);
  writeU32(K, 16, q);
  writeU16(K, 20, D_PBLC);
  for (let i = 0; i < ots.p; i++) {
    let tmp: Uint8Array = y.subarray(32 * i, 32 * i + 32);
    writeU16(step, 20, i);
    for (let j = coef(QC, i, ots.w); j < max; j++) {
      step[22] = j;
      step.set(tmp, 23);
      tmp = sha256(step);
    }
    K.set(tmp, 22 + 32 * i);
  }
  return sha256(K);
}

/** §5.4.2 Algorithms 6 and 6a on parsed parts: false on a type mismatch or a wrong root. */
export function lmsVerifyParts(pub: LmsPublicKeyParts, message: Uint8Array, sig: LmsSignatureParts): boolean {
  if (sig.lmotsType !== pub.lmotsType || sig.lmsType !== pub.lmsType) return false;
  const { h } = lmsParams(pub.lmsType);
  const Kc = lmotsCandidate(lmotsParams(pub.lmotsType), pub.I, sig.q, sig.C, sig.y, message);
  const leaf = new Uint8Array(22 + 32);
  leaf.set(pub.I, 0);
  let node = 2 ** h + sig.q;
  writeU32(leaf, 16, node);
  writeU16(leaf, 20, D_LEAF);
  leaf.set(Kc, 22);
  let tmp: Uint8Array = sha256(leaf);
  const inner = new Uint8Array(22 + 64);
  inner.set(pub.I, 0);
  writeU16(inner, 20, D_INTR);
  for (let i = 0; node > 1; i++, node = Math.floor(node / 2)) {
    const sibling = sig.path.subarray(32 * i, 32 * i + 32);
    writeU32(inner, 16, Math.floor(node / 2));
    inner.set(node % 2 === 1 ? sibling : tmp, 22);
    inner.set(node % 2 === 1 ? tmp : sibling, 54);
    tmp = sha256(inner);
  }
  return equalBytes(tmp, pub.root);
}

/**
 * §6.3 steps for the signed public keys only (no message needed): the first level k ≥ 1 whose
 * LMS public key is not signed by level k − 1's, or null when every one is. Level 0 is the HSS
 * public key itself.
 */
export function hssUnsignedLevel(pub: HssPublicKeyParts, sig: HssSignatureParts): number | null {
  let key = pub.top;
  for (let k = 0; k < sig.signedPublicKeys.length; k++) {
    const signed = sig.signedPublicKeys[k]!;
    if (!lmsVerifyParts(key, encodeLmsPublicKey(signed.publicKey), signed.signature)) return k + 1;
    key = signed.publicKey;
  }
  return null;
}

/** RFC 8554 §6.3: true iff `signature` is a valid HSS signature of `message` under `publicKey`. */
export function hssVerify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  abytes(publicKey, 'publicKey');
  abytes(message, 'message');
  abytes(signature, 'signature');
  let pub: HssPublicKeyParts;
  let sig: HssSignatureParts;
  try {
    pub = parseHssPublicKey(publicKey);
    sig = parseHssSignature(signature);
  } catch (error) {
    if (error instanceof HashsigMalformed) return false;
    throw error;
  }
  if (sig.signedPublicKeys.length + 1 !== pub.levels) return false;
  if (hssUnsignedLevel(pub, sig) !== null) return false;
  const bottom = sig.signedPublicKeys[sig.signedPublicKeys.length - 1]?.publicKey ?? pub.top;
  return lmsVerifyParts(bottom, message, sig.signature);
}
