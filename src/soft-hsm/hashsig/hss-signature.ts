/**
 * HSS signatures from outside (RFC 8554 §6.2 format, §6.3 verification):
 *   u32str(Nspk) || (lms_signature || lms_public_key) × Nspk || lms_signature
 * Every read is bounded by the input and every length follows from a type code, so a hostile
 * signature fails with HashsigMalformed instead of being read past its end.
 */
import { abytes, BoundedReader } from './bytes';
import { HashsigMalformed } from './errors';
import {
  encodeLmsPublicKey,
  LmsPublicKeyParts,
  LmsSignatureParts,
  lmsVerifyParts,
  readLmsPublicKey,
  readLmsSignature,
} from './lms';
import { HSS_MAX_LEVELS } from './params';

export interface HssSignatureParts {
  /** Nspk = L − 1 signed public keys: level k's signature of level k+1's public key, and that key. */
  readonly signedPublicKeys: readonly {
    readonly signature: LmsSignatureParts;
    readonly publicKey: LmsPublicKeyParts;
  }[];
  /** The bottom level's signature of the message. */
  readonly signature: LmsSignatureParts;
  /**
   * Per level 0 .. L−1, the leaf that signed (q) and its tree's identifier I. Level 0's I is only
   * in the HSS public key, so it is null here: hssSignatureIndexPath fills it in.
   */
  readonly indexPath: readonly { readonly I: Uint8Array | null; readonly q: number }[];
}

/** Parses an HSS signature strictly: known types, q < 2^h, exact total length. Fields are views. */
export function parseHssSignature(signature: Uint8Array): HssSignatureParts {
  const reader = new BoundedReader(abytes('signature', signature), 'HSS signature');
  const nspk = reader.u32('Nspk');
  if (nspk > HSS_MAX_LEVELS - 1)
    reader.fail(`Nspk = ${nspk} exceeds ${HSS_MAX_LEVELS - 1} (L ≤ ${HSS_MAX_LEVELS})`);
  const signedPublicKeys: HssSignatureParts['signedPublicKeys'][number][] = [];
  for (let k = 0; k < nspk; k++) {
    const sig = readLmsSignature(reader);
    signedPublicKeys.push({ signature: sig, publicKey: readLmsPublicKey(reader) });
  }
  const last = readLmsSignature(reader);
  reader.end();
  const indexPath = [
    { I: null, q: (signedPublicKeys[0]?.signature ?? last).q },
    ...signedPublicKeys.map((s, k) => ({
      I: s.publicKey.I,
      q: (signedPublicKeys[k + 1]?.signature ?? last).q,
    })),
  ];
  return { signedPublicKeys, signature: last, indexPath };
}

export interface HssPublicKeyParts {
  readonly levels: number;
  readonly top: LmsPublicKeyParts;
}

/** u32str(L) || lms_public_key (§6.1), L in 1..8. */
export function parseHssPublicKey(publicKey: Uint8Array): HssPublicKeyParts {
  const reader = new BoundedReader(abytes('publicKey', publicKey), 'HSS public key');
  const levels = reader.u32('L');
  if (levels < 1 || levels > HSS_MAX_LEVELS) reader.fail(`L = ${levels} is outside 1..${HSS_MAX_LEVELS}`);
  const top = readLmsPublicKey(reader);
  reader.end();
  return { levels, top };
}

/**
 * The leaves a signature used, top-down: [{ I, q }] per level, for reuse detection (a leaf is
 * identified by its tree's I and q). Throws HashsigMalformed when the signature's level count
 * does not match the key's. It does not verify the signature.
 */
export function hssSignatureIndexPath(
  publicKey: Uint8Array,
  signature: Uint8Array,
): { I: Uint8Array; q: number }[] {
  const pub = parseHssPublicKey(publicKey);
  const sig = parseHssSignature(signature);
  if (sig.indexPath.length !== pub.levels) {
    throw new HashsigMalformed(
      'HSS signature',
      `has ${sig.indexPath.length} levels, the public key ${pub.levels}`,
    );
  }
  return sig.indexPath.map((level) => ({ I: level.I ?? pub.top.I, q: level.q }));
}

/** RFC 8554 §6.3 Algorithm for HSS verification. False for any invalid or malformed input. */
export function hssVerify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  abytes('publicKey', publicKey);
  abytes('message', message);
  abytes('signature', signature);
  let pub: HssPublicKeyParts;
  let sig: HssSignatureParts;
  try {
    pub = parseHssPublicKey(publicKey);
    sig = parseHssSignature(signature);
  } catch (err) {
    if (err instanceof HashsigMalformed) return false;
    throw err;
  }
  if (sig.signedPublicKeys.length + 1 !== pub.levels) return false;
  let key = pub.top;
  for (const signed of sig.signedPublicKeys) {
    if (!lmsVerifyParts(key, encodeLmsPublicKey(signed.publicKey), signed.signature)) return false;
    key = signed.publicKey;
  }
  return lmsVerifyParts(key, message, sig.signature);
}
