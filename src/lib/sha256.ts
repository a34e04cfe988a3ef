/** SHA-256 (FIPS 180-4) through node:crypto. */
import { createHash, hash } from 'node:crypto';

/** The digest as a Buffer of its own (not a slice of Node's pool), so wiping it touches nothing else. */
export function sha256(data: Uint8Array): Buffer {
  return hash('sha256', data, 'buffer');
}

/**
 * Writes the digest into `target` at `offset` (32 bytes) without allocating a buffer for it: the
 * Merkle tree's hot path. Node makes its own ArrayBuffer for every digest it returns as bytes,
 * which costs about twice the hashing of a short input; a 'binary' (latin1) string carries the same 32
 * bytes, one per character, for a fraction of that.
 */
export function sha256Into(data: Uint8Array, target: Buffer, offset: number): void {
  target.write(hash('sha256', data, 'binary'), offset, 32, 'binary');
}

/** Lowercase hex, the form the ledger names blobs and public keys by. */
export function sha256Hex(data: Uint8Array): string {
  return hash('sha256', data, 'hex');
}

/** SHA-256 over the concatenation of `parts` without building it (the message may be large). */
export function sha256Parts(...parts: Uint8Array[]): Buffer {
  const h = createHash('sha256');
  for (const part of parts) h.update(part);
  return h.digest();
}
