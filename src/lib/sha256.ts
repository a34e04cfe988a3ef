/** SHA-256 (FIPS 180-4) through node:crypto. */
import { createHash, hash } from 'node:crypto';

/** The digest as a Buffer of its own (not a slice of Node's pool), so wiping it touches nothing else. */
export function sha256(data: Uint8Array): Buffer {
  return hash('sha256', data, 'buffer');
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
