/**
 * AES Key Wrap with Padding, RFC 5649 — the wrapping libhal uses for the keystore (§6.2), raw
 * export (§9.2) and PKEY_EXPORT (§5.3 step 4).
 *
 * Both directions run on OpenSSL's `id-aesN-wrap-pad` (node:crypto; every key use unwraps, so this
 * is on the signing hot path). When OpenSSL refuses a blob, the unwrap is repeated with our own
 * RFC 5649 §4.2 on noble's raw AES block only to tell libhal's three failures apart
 * (`hal_aes_keyunwrap`: KEYWRAP_BAD_MAGIC, _BAD_LENGTH, _BAD_PADDING), which OpenSSL does not.
 * Both implementations are cross-checked in the specs.
 */
import { unsafe as aesBlock } from '@noble/ciphers/aes.js';
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { abytes, readU32 } from '../../lib/bytes';
import { ArgumentError } from '../../lib/errors';
import { wipe } from './bytes';
import { KeywrapError } from './errors';

export { KeywrapError } from './errors';
export type { KeywrapErrorKind } from './errors';

/** libhal's KEK_LENGTH: the HSM wraps under AES-256 only. 16/24-byte KEKs are accepted for the RFC vectors. */
export const KEK_LENGTH = 32;

/** RFC 5649 §3: the high half of the Alternative Initial Value. */
const AIV_MAGIC = 0xa65959a6;

/** RFC 5649's 32-bit MLI, less noble's 2^32 bound on the padded buffer; libhal's largest is 5480 bytes. */
const MAX_PLAINTEXT = 0xffffffff - 7;

/** Ciphertext length for a plaintext of `m` bytes (libhal `hal_aes_keywrap_ciphertext_length`). */
export function wrappedLength(m: number): number {
  return Math.ceil(m / 8) * 8 + 8;
}

function checkKek(kek: unknown): asserts kek is Uint8Array {
  abytes(kek, 'kek', 16, 24, 32);
}

/** RFC 5649 §4.1: wraps `plaintext` (1 … 2^32−8 bytes) under `kek`. */
export function wrapKey(kek: Uint8Array, plaintext: Uint8Array): Uint8Array {
  checkKek(kek);
  abytes(plaintext, 'plaintext');
  if (plaintext.length === 0 || plaintext.length > MAX_PLAINTEXT) {
    throw new ArgumentError(
      'plaintext',
      `"plaintext" expected 1..${MAX_PLAINTEXT} bytes, got ${plaintext.length}`,
    );
  }
  const cipher = createCipheriv(OPENSSL_KWP[kek.length], kek, AIV);
  return Buffer.concat([cipher.update(plaintext), cipher.final()]);
}

const OPENSSL_KWP: Record<number, string> = {
  16: 'id-aes128-wrap-pad',
  24: 'id-aes192-wrap-pad',
  32: 'id-aes256-wrap-pad',
};
/** RFC 5649 §3 Alternative Initial Value (high half): node:crypto takes it as the IV. */
const AIV = Buffer.from('a65959a6', 'hex');

/** OpenSSL's unwrap: the plaintext, or undefined when the blob does not unwrap (any reason). */
function opensslUnwrap(kek: Uint8Array, ciphertext: Uint8Array): Uint8Array | undefined {
  try {
    const decipher = createDecipheriv(OPENSSL_KWP[kek.length], kek, AIV);
    return Buffer.concat([decipher.update(ciphertext), decipher.final()]);
  } catch {
    return undefined;
  }
}

/**
 * RFC 5649 §4.2 unwrap with libhal's checks, in libhal's order:
 * length (multiple of 8, ≥ 16) → AIV magic → MLI range → zero padding.
 */
export function unwrapKey(kek: Uint8Array, ciphertext: Uint8Array): Uint8Array {
  checkKek(kek);
  abytes(ciphertext, 'ciphertext');
  if (ciphertext.length % 8 !== 0 || ciphertext.length < 16) {
    throw new KeywrapError(
      'bad-length',
      `wrapped key must be a multiple of 8 bytes and at least 16, got ${ciphertext.length}`,
    );
  }
  const plain = opensslUnwrap(kek, ciphertext);
  if (plain) return plain;
  const n = ciphertext.length / 8 - 1;
  // Scratch buffer: A || R[1..n] while unwrapping, then the plaintext; wiped on every failure.
  const buf = new Uint8Array(ciphertext);
  const block = new Uint8Array(16);
  const xk = aesBlock.expandKeyDecLE(kek);
  try {
    if (n === 1) {
      // §4.2: a single semiblock pair is one AES-ECB block.
      block.set(buf);
      aesBlock.decryptBlock(xk, block);
      buf.set(block);
    } else {
      inverseW(xk, buf, block, n);
    }
    if (readU32(buf, 0) !== AIV_MAGIC) {
      throw new KeywrapError(
        'bad-magic',
        'wrapped key integrity check failed (AIV mismatch: wrong KEK or corrupted blob)',
      );
    }
    const m = readU32(buf, 4);
    // §3: 8(n−1) < MLI ≤ 8n.
    if (m <= 8 * (n - 1) || m > 8 * n) {
      throw new KeywrapError(
        'bad-length',
        `wrapped key length indicator ${m} is out of range for ${n} semiblocks`,
      );
    }
    let pad = 0;
    for (let i = 8 + m; i < buf.length; i++) pad |= buf[i];
    if (pad !== 0) throw new KeywrapError('bad-padding', 'wrapped key padding is not zero');
    return buf.slice(8, 8 + m);
  } finally {
    wipe(buf, block);
    xk.fill(0);
  }
}

/** RFC 3394 §2.2.2 index-based unwrap W⁻¹, in place on `buf` = A || R[1..n]. */
function inverseW(xk: Uint32Array, buf: Uint8Array, block: Uint8Array, n: number): void {
  for (let j = 5; j >= 0; j--) {
    for (let i = n; i >= 1; i--) {
      // A ^= t, t a 64-bit big-endian integer. t ≤ 6n < 2^32 for any Uint8Array Node can hold
      // (n < 2^29), so only the low 32 bits of A change.
      xorU32be(buf, 4, n * j + i);
      block.set(buf.subarray(0, 8), 0);
      block.set(buf.subarray(8 * i, 8 * i + 8), 8);
      aesBlock.decryptBlock(xk, block);
      buf.set(block.subarray(0, 8), 0);
      buf.set(block.subarray(8, 16), 8 * i);
    }
  }
}

function xorU32be(b: Uint8Array, offset: number, v: number): void {
  b[offset] ^= v >>> 24;
  b[offset + 1] ^= (v >>> 16) & 0xff;
  b[offset + 2] ^= (v >>> 8) & 0xff;
  b[offset + 3] ^= v & 0xff;
}
