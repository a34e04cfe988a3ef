/**
 * cryptech_backup's software KEKEK (`setup -s`, docs/libhal-rpc.md §8): an RSA keypair whose
 * private half travels in the setup and backup files as an EncryptedPrivateKeyInfo
 * (id-aes256-wrap-pad) of its PKCS#8, wrapped with RFC 5649 under PBKDF2-HMAC-SHA256(passphrase,
 * salt, 8000 iterations, 32 bytes). The import side unwraps it and loads it on the destination HSM
 * for as long as the import runs.
 *
 * RFC 5649 and PBKDF2 are OpenSSL's (node:crypto `id-aes256-wrap-pad`, `pbkdf2Sync`); a fresh
 * cipher per call, and every buffer that held the wrapping key or the private key is overwritten
 * once it is no longer needed (docs/style.md §10).
 */
import {
  createCipheriv,
  createDecipheriv,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  pbkdf2Sync,
  randomBytes,
} from 'node:crypto';
import { BackupFileError } from './cryptech-backup';
import { equalBytes } from './bytes';
import { DerError } from './errors';
import { buildEncryptedPrivateKeyInfo, parseEncryptedPrivateKeyInfo, parseRsaPrivateKeyInfo } from './pkcs8';
import { OID } from './spki';
import type { ErrorCategory } from '../domain/error-category';

/** cryptech_backup's `SoftKEKEK.wrapper`: PBKDF2-HMAC-SHA256, 8000 iterations, a 256-bit key. */
export const SOFT_KEKEK_ITERATIONS = 8000;
export const SOFT_KEKEK_KEY_BYTES = 32;
/** `SoftKEKEK.gen_salt`: 16 random bytes. */
export const SOFT_KEKEK_SALT_BYTES = 16;

/** RFC 5649 §3: the Alternative Initial Value's constant half (OpenSSL takes it as the IV). */
const AIV = Buffer.from('a65959a6', 'hex');

/** The passphrase does not unwrap the software KEKEK. */
export class WrongPassphrase extends Error {
  static readonly category: ErrorCategory = 'invalid';
  readonly type = 'wrong-passphrase';
  constructor() {
    super(
      'the passphrase does not unwrap the software KEKEK ("kekek_pkcs8"): wrong passphrase, or the file was altered; nothing was imported',
    );
  }
}

/** PBKDF2-HMAC-SHA256(passphrase as UTF-8, salt, 8000, 32): the key `kekek_pkcs8` is wrapped under. */
export function passphraseKey(passphrase: string, salt: Uint8Array): Buffer {
  return pbkdf2Sync(
    Buffer.from(passphrase, 'utf8'),
    salt,
    SOFT_KEKEK_ITERATIONS,
    SOFT_KEKEK_KEY_BYTES,
    'sha256',
  );
}

/** RFC 5649 §4.1 with AES-256 (or AES-128/192 for the RFC's vectors). */
export function aesKeyWrapPad(kek: Uint8Array, plaintext: Uint8Array): Buffer {
  const cipher = createCipheriv(`id-aes${kek.length * 8}-wrap-pad`, kek, AIV);
  return Buffer.concat([cipher.update(plaintext), cipher.final()]);
}

/** RFC 5649 §4.2; undefined when the integrity check fails (wrong key, or altered ciphertext). */
export function aesKeyUnwrapPad(kek: Uint8Array, ciphertext: Uint8Array): Buffer | undefined {
  if (ciphertext.length < 16 || ciphertext.length % 8 !== 0) return undefined;
  try {
    const decipher = createDecipheriv(`id-aes${kek.length * 8}-wrap-pad`, kek, AIV);
    return Buffer.concat([decipher.update(ciphertext), decipher.final()]);
  } catch {
    return undefined;
  }
}

/** A new software KEKEK (`setup -s`): the files' `kekek_pubkey`, `kekek_pkcs8` and `kekek_salt`. */
export function generateSoftKekek(
  passphrase: string,
  bits = 2048,
): { pubkey: Buffer; pkcs8: Buffer; salt: Buffer } {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', {
    modulusLength: bits,
    publicExponent: 65537,
  });
  const plain = privateKey.export({ type: 'pkcs8', format: 'der' });
  const salt = randomBytes(SOFT_KEKEK_SALT_BYTES);
  const key = passphraseKey(passphrase, salt);
  try {
    return {
      pubkey: publicKey.export({ type: 'spki', format: 'der' }),
      pkcs8: Buffer.from(buildEncryptedPrivateKeyInfo(OID.aes256WrapPad, aesKeyWrapPad(key, plain))),
      salt,
    };
  } finally {
    key.fill(0);
    plain.fill(0);
  }
}

/**
 * The software KEKEK's private key (RSA PKCS#8 DER), unwrapped with `passphrase` and checked to be
 * the private half of `pubkey`. The caller overwrites the result once the HSM has it.
 */
export function recoverSoftKekek(
  kekek: { readonly pubkey: Uint8Array; readonly pkcs8: Uint8Array; readonly salt: Uint8Array },
  passphrase: string,
): Buffer {
  let wrapped: Uint8Array;
  try {
    const info = parseEncryptedPrivateKeyInfo(kekek.pkcs8);
    if (info.algorithm !== OID.aes256WrapPad) throw new DerError(0, `algorithm ${info.algorithm}`);
    wrapped = info.data;
  } catch (error) {
    if (error instanceof DerError)
      throw new BackupFileError(
        'kekek_pkcs8',
        `expected an EncryptedPrivateKeyInfo (id-aes256-wrap-pad): ${error.message}`,
      );
    throw error;
  }
  const key = passphraseKey(passphrase, kekek.salt);
  const plain = aesKeyUnwrapPad(key, wrapped);
  key.fill(0);
  if (plain === undefined) throw new WrongPassphrase();
  try {
    parseRsaPrivateKeyInfo(plain);
    const derived = createPublicKey(createPrivateKey({ key: plain, format: 'der', type: 'pkcs8' })).export({
      type: 'spki',
      format: 'der',
    });
    const stated = createPublicKey({ key: Buffer.from(kekek.pubkey), format: 'der', type: 'spki' }).export({
      type: 'spki',
      format: 'der',
    });
    if (!equalBytes(derived, stated))
      throw new BackupFileError('kekek_pkcs8', 'is not the private half of "kekek_pubkey"');
    return plain;
  } catch (error) {
    plain.fill(0);
    if (error instanceof BackupFileError) throw error;
    throw new BackupFileError('kekek_pkcs8', 'unwraps, but not to an RSA private key');
  }
}
