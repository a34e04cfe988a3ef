/** Randomness and scratch-buffer lifecycle of the soft HSM crypto layer (byte helpers: src/lib/bytes). */
import { randomBytes } from 'node:crypto';
import { abytes } from '../../lib/bytes';

/** Randomness is an input (docs/style.md §3): the soft HSM passes its own, tests pass a seeded one. */
export type Rng = (n: number) => Uint8Array;

/** The operating system's CSPRNG, for production wiring. */
export const systemRng: Rng = (n) => new Uint8Array(randomBytes(n));

/** Asks `rng` for `n` bytes and checks it delivered exactly that. */
export function randomFrom(rng: Rng, n: number): Uint8Array {
  const out = rng(n);
  abytes(out, 'rng output', n);
  return out;
}

/** A Uint8Array over a node Buffer's memory, so wiping it wipes the Buffer too (no stray copy). */
export function viewOf(b: Buffer): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.length);
}

/** Zeroes scratch buffers that held key material (docs/style.md §10). */
export function wipe(...buffers: Uint8Array[]): void {
  for (const b of buffers) b.fill(0);
}
