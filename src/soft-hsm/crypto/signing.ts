/**
 * PKEY_SIGN / PKEY_VERIFY semantics for RSA and ECDSA (docs/libhal-rpc.md §3.3) and RSA/EC key
 * generation (PKEY_GENERATE_RSA / _EC). Hashsig signing lives in ../hashsig.
 *
 * RSA: the input *is* the DigestInfo (any string of at most k − 11 bytes), padded EMSA-PKCS1-v1_5
 * type 01 (RFC 8017 §9.2 steps 3–5) by node:crypto `privateEncrypt`; deterministic.
 * ECDSA: the input is the digest; the signature is raw r ‖ s, each padded to the order length.
 * Signed by ./ecdsa.ts (deterministic k, RFC 6979 §3.2; k·G by OpenSSL); the key pair is checked
 * once per key before its first signature, verification of PKEY_VERIFY uses noble.
 * A digest longer than the order is truncated to its leftmost bits (FIPS 186-5 §6.4.1, as OpenSSL
 * does); libhal's `hal_ecdsa_sign` reads the whole digest as e instead, so the two differ only for
 * mismatched pairs such as SHA-384 on P-256.
 */
import {
  constants,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  privateEncrypt,
  publicDecrypt,
  type KeyObject,
} from 'node:crypto';
import { p256, p384, p521 } from '@noble/curves/nist.js';
import { abytes, equalBytes } from '../../lib/bytes';
import { der, encodeDer } from '../../lib/der';
import { ArgumentError } from '../../lib/errors';
import {
  buildEcPrivateKeyInfo,
  buildRsaPrivateKeyInfo,
  parseRsaPrivateKeyInfo,
  type EcPrivateKey,
} from '../../lib/pkcs8';
import { EC_CURVES, buildEcSpki, type EcCurveName, type EcPublicKey } from '../../lib/spki';
import { ecPublicPoint, ecdsaSignDigest, ecdsaSignWithNonces, type EcdsaNonce } from './ecdsa';
import { randomFrom, viewOf, wipe, type Rng } from './bytes';
import type { DigestAlgorithm } from './digest';
import { CryptoSelfCheckError, ResultTooLongError } from './errors';
import { rsaModulusBytes } from './rsa-kek';

export { rsaModulusBytes } from './rsa-kek';

export interface KeyPairDer {
  /** PKCS#8 PrivateKeyInfo in libhal's form. */
  pkcs8: Uint8Array;
  /** SubjectPublicKeyInfo. */
  spki: Uint8Array;
}

// --- RSA ------------------------------------------------------------------------------------------

/** RFC 8017 §9.2 step 2: DigestInfo ::= SEQUENCE { AlgorithmIdentifier (OID, NULL), OCTET STRING }. */
export function rsaDigestInfo(alg: DigestAlgorithm, digest: Uint8Array): Uint8Array {
  abytes(digest, 'digest', alg.digestLength);
  return encodeDer(der.seq(der.seq(der.oid(alg.oid), der.null()), der.octets(digest)));
}

/** A node KeyObject from a stored RSA PKCS#8, without libhal's 0xC0…0xC5 extras (which OpenSSL rejects). */
export function rsaPrivateKeyObject(pkcs8: Uint8Array): KeyObject {
  const parsed = parseRsaPrivateKeyInfo(pkcs8);
  if (parsed.extras === 0) return createPrivateKey({ key: asBuffer(pkcs8), format: 'der', type: 'pkcs8' });
  const standard = buildRsaPrivateKeyInfo(parsed);
  try {
    return createPrivateKey({ key: asBuffer(standard), format: 'der', type: 'pkcs8' });
  } finally {
    wipe(standard);
  }
}

export function publicKeyObject(spki: Uint8Array): KeyObject {
  abytes(spki, 'spki');
  return createPublicKey({ key: asBuffer(spki), format: 'der', type: 'spki' });
}

/** A Buffer over the same memory: node reads it, and no extra copy of key material is left behind. */
function asBuffer(b: Uint8Array): Buffer {
  return Buffer.from(b.buffer, b.byteOffset, b.length);
}

/** PKEY_SIGN for RSA: EMSA-PKCS1-v1_5 type 01 around `digestInfo`, then the private operation. */
export function rsaSign(key: KeyObject, digestInfo: Uint8Array): Uint8Array {
  abytes(digestInfo, 'digestInfo');
  const k = rsaModulusBytes(key);
  if (digestInfo.length > k - 11) {
    throw new ResultTooLongError(
      `a ${k}-byte RSA modulus signs at most ${k - 11} bytes, got ${digestInfo.length}`,
    );
  }
  return new Uint8Array(privateEncrypt({ key, padding: constants.RSA_PKCS1_PADDING }, digestInfo));
}

/** PKEY_VERIFY for RSA: public operation, type 01 padding check, then compare with `digestInfo`. */
export function rsaVerify(key: KeyObject, digestInfo: Uint8Array, signature: Uint8Array): boolean {
  abytes(digestInfo, 'digestInfo');
  abytes(signature, 'signature');
  if (signature.length !== rsaModulusBytes(key)) return false;
  let recovered: Uint8Array;
  try {
    recovered = new Uint8Array(publicDecrypt({ key, padding: constants.RSA_PKCS1_PADDING }, signature));
  } catch {
    return false;
  }
  return equalBytes(recovered, digestInfo);
}

/**
 * PKEY_GENERATE_RSA: `bits` a multiple of 8 (libhal's API check) in 512 … 8192, `publicExponent`
 * big-endian (e.g. 01 00 01), odd, 3 … 2^32−1 (node:crypto's range).
 */
export function generateRsaKey(bits: number, publicExponent: Uint8Array): KeyPairDer {
  if (!Number.isSafeInteger(bits) || bits % 8 !== 0 || bits < 512 || bits > 8192) {
    throw new ArgumentError('key_bits', `"key_bits" expected a multiple of 8 in 512..8192, got ${bits}`);
  }
  abytes(publicExponent, 'public_exponent');
  let e = 0;
  for (const b of publicExponent) e = e * 256 + b;
  if (publicExponent.length === 0 || e < 3 || e > 0xffffffff || e % 2 === 0) {
    throw new ArgumentError(
      'public_exponent',
      `"public_exponent" expected an odd integer in 3..2^32-1, got ${e}`,
    );
  }
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: bits, publicExponent: e });
  return {
    pkcs8: viewOf(privateKey.export({ type: 'pkcs8', format: 'der' })),
    spki: viewOf(publicKey.export({ type: 'spki', format: 'der' })),
  };
}

// --- ECDSA ----------------------------------------------------------------------------------------

const NOBLE = { 'P-256': p256, 'P-384': p384, 'P-521': p521 } as const;

/** RFC 6979 deterministic k, high S allowed (as OpenSSL and libhal produce), no prehash: input is the digest. */
const VERIFY_OPTS = { prehash: false, lowS: false } as const;

/** PKEY_SIGN for ECDSA: raw r ‖ s over `digest`, each half the order length (64/96/132 bytes). */
const checkedPairs = new WeakMap<Uint8Array, Uint8Array>();

function checkEcKeyPair(key: EcPrivateKey): void {
  if (checkedPairs.get(key.d) === key.point) return;
  if (!equalBytes(ecPublicPoint(key.curve, key.d), key.point)) {
    throw new CryptoSelfCheckError(`EC ${key.curve} private key does not match its stored public point`);
  }
  checkedPairs.set(key.d, key.point);
}

/**
 * With `nonces` (the engine passes its precomputed pool, see EcdsaNoncePool) k is random as in
 * libhal; without, k is deterministic per RFC 6979.
 */
export function ecdsaSign(key: EcPrivateKey, digest: Uint8Array, nonces?: () => EcdsaNonce): Uint8Array {
  const curve = EC_CURVES[key.curve];
  abytes(key.d, 'ec.d', curve.scalarBytes);
  abytes(digest, 'digest');
  if (digest.length === 0) throw new ArgumentError('digest', '"digest" must not be empty');
  // A stored point that does not belong to d would otherwise leave here unnoticed: check the pair
  // once per key (OpenSSL, cheap), instead of a full verification of every signature.
  checkEcKeyPair(key);
  return nonces
    ? ecdsaSignWithNonces(key.curve, key.d, digest, nonces)
    : ecdsaSignDigest(key.curve, key.d, digest);
}

/** PKEY_VERIFY for ECDSA: false for any malformed or non-matching signature. */
export function ecdsaVerify(key: EcPublicKey, digest: Uint8Array, signature: Uint8Array): boolean {
  const curve = EC_CURVES[key.curve];
  abytes(key.point, 'ec.point', 1 + 2 * curve.scalarBytes);
  abytes(digest, 'digest');
  abytes(signature, 'signature');
  if (signature.length !== 2 * curve.scalarBytes || digest.length === 0) return false;
  try {
    return NOBLE[key.curve].verify(signature, digest, key.point, VERIFY_OPTS);
  } catch {
    return false;
  }
}

/**
 * PKEY_GENERATE_EC from the HSM's RNG (a seed reduced mod n, FIPS 186-5 A.4.1), so that a seeded
 * RNG gives reproducible keys in tests. Returns libhal's PKCS#8 form and the SPKI.
 */
export function generateEcKey(curveName: EcCurveName, rng: Rng): KeyPairDer & { key: EcPrivateKey } {
  const noble = NOBLE[curveName];
  if (!noble)
    throw new ArgumentError('curve', `"curve" expected P-256, P-384 or P-521, got ${String(curveName)}`);
  const seed = randomFrom(rng, noble.lengths.seed ?? 0);
  const d = noble.utils.randomSecretKey(seed);
  wipe(seed);
  const key: EcPrivateKey = { curve: curveName, d, point: noble.getPublicKey(d, false) };
  return { pkcs8: buildEcPrivateKeyInfo(key), spki: buildEcSpki(key), key };
}
