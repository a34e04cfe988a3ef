/** SHA-256 for the inputs that are not chain steps (RFC 8554 §3.1: H is SHA-256 for every type here). */
import { createHash, hash } from 'node:crypto';

/** One-shot SHA-256, copied into a plain Uint8Array. */
export function sha256(data: Uint8Array): Uint8Array {
  return new Uint8Array(hash('sha256', data, 'buffer'));
}

/** SHA-256 over the concatenation of `parts` without building it (the message may be large). */
export function sha256Parts(...parts: Uint8Array[]): Uint8Array {
  const h = createHash('sha256');
  for (const part of parts) h.update(part);
  return new Uint8Array(h.digest());
}

// Domain-separation constants, RFC 8554 §3.4 / §7.1.
export const D_PBLC = 0x8080;
export const D_MESG = 0x8181;
export const D_LEAF = 0x8282;
export const D_INTR = 0x8383;
