/**
 * The transit KEK under the RSA KEKEK (docs/libhal-rpc.md §5.3 step 6, §5.4): RSAES-PKCS1-v1_5
 * (RFC 8017 §7.2), block type 02, built here and pushed through the raw RSA operation of
 * node:crypto (RSA_NO_PADDING). Decryption never reports a padding failure: like libhal it
 * substitutes a random KEK, so the caller sees only the later unwrap failure (Bleichenbacher).
 */
import { constants, privateDecrypt, publicEncrypt, type KeyObject } from 'node:crypto';
import { abytes } from '../../lib/bytes';
import { UnsupportedKeyError } from '../../lib/errors';
import { randomFrom, viewOf, wipe, type Rng } from './bytes';
import { ResultTooLongError } from './errors';
import { KEK_LENGTH } from './keywrap';

/** RFC 8017 §7.2.1: 00 02, at least 8 PS octets, 00. */
const PKCS1_OVERHEAD = 11;

function rsaKey(key: KeyObject, needPrivate: boolean): number {
  if (key.asymmetricKeyType !== 'rsa' || (needPrivate && key.type !== 'private')) {
    throw new UnsupportedKeyError(
      `KEKEK must be an RSA ${needPrivate ? 'private' : 'public or private'} key`,
    );
  }
  return Math.ceil((key.asymmetricKeyDetails?.modulusLength ?? 0) / 8);
}

/** Modulus length in bytes: the length of every ciphertext and signature under this key. */
export function rsaModulusBytes(key: KeyObject): number {
  return rsaKey(key, false);
}

/** §5.3 step 6: EM = 00 02 PS 00 KEK with PS non-zero random, then the raw public operation. */
export function encryptKek(kekek: KeyObject, kek: Uint8Array, rng: Rng): Uint8Array {
  const k = rsaKey(kekek, false);
  abytes(kek, 'kek', KEK_LENGTH);
  if (kek.length > k - PKCS1_OVERHEAD) {
    throw new ResultTooLongError(`a ${k}-byte RSA modulus cannot carry a ${kek.length}-byte KEK`);
  }
  const em = new Uint8Array(k);
  em[1] = 0x02;
  fillNonZero(em.subarray(2, k - kek.length - 1), rng);
  em.set(kek, k - kek.length);
  try {
    return new Uint8Array(publicEncrypt({ key: kekek, padding: constants.RSA_NO_PADDING }, em));
  } finally {
    wipe(em);
  }
}

function fillNonZero(ps: Uint8Array, rng: Rng): void {
  let filled = 0;
  while (filled < ps.length) {
    const chunk = randomFrom(rng, ps.length - filled);
    for (const b of chunk) if (b !== 0 && filled < ps.length) ps[filled++] = b;
    wipe(chunk);
  }
}

/**
 * §5.4: the raw private operation, then libhal's check — 00 02, the first zero after them at
 * index ≥ 11, exactly 32 bytes after it. Any failure (including a ciphertext that is not k bytes
 * or not below the modulus) yields a random KEK of the same shape, chosen without a branch on
 * the secret data.
 */
export function decryptKek(kekek: KeyObject, ciphertext: Uint8Array, rng: Rng): Uint8Array {
  const k = rsaKey(kekek, true);
  abytes(ciphertext, 'kek ciphertext');
  const out = randomFrom(rng, KEK_LENGTH);
  if (ciphertext.length !== k) return out;
  let em: Uint8Array;
  try {
    em = viewOf(privateDecrypt({ key: kekek, padding: constants.RSA_NO_PADDING }, ciphertext));
  } catch {
    return out; // c ≥ n: public information, but keep the same outcome
  }
  let bad = em.length ^ k;
  bad |= em[0] | (em[1] ^ 0x02);
  let found = 0;
  let sep = 0;
  for (let i = 2; i < k; i++) {
    const isZero = ((em[i] - 1) >>> 31) & 1; // em[i] is 0..255: only 0 goes negative
    const first = isZero & (found ^ 1);
    sep |= -first & i;
    found |= isZero;
  }
  bad |= found ^ 1;
  bad |= ((sep - 11) >>> 31) & 1; // separator before index 11
  bad |= sep ^ (k - KEK_LENGTH - 1); // not exactly 32 bytes after it
  const ok = (((bad | -bad) >>> 31) & 1) ^ 1;
  const mask = -ok & 0xff;
  for (let i = 0; i < KEK_LENGTH; i++) out[i] = (em[k - KEK_LENGTH + i] & mask) | (out[i] & ~mask & 0xff);
  wipe(em);
  return out;
}
