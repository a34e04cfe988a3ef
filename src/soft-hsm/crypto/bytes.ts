import { randomBytes, timingSafeEqual } from 'node:crypto';
import { CryptoArgumentError } from './errors';

/** Randomness is an input (STYLE §3): the soft HSM passes its own, tests pass a seeded one. */
export type Rng = (n: number) => Uint8Array;

/** The operating system's CSPRNG, for production wiring. */
export const systemRng: Rng = (n) => new Uint8Array(randomBytes(n));

/** Asserts `value` is a Uint8Array, optionally of one of the allowed lengths. */
export function abytes(value: unknown, field: string, ...lengths: number[]): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) {
    throw new CryptoArgumentError(field, `"${field}" expected Uint8Array, got ${typeof value}`);
  }
  if (lengths.length > 0 && !lengths.includes(value.length)) {
    throw new CryptoArgumentError(
      field,
      `"${field}" expected ${lengths.join(' or ')} bytes, got ${value.length}`,
    );
  }
}

/** Asserts `value` is an integer in [min, max]. */
export function aint(value: unknown, field: string, min: number, max: number): asserts value is number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new CryptoArgumentError(
      field,
      `"${field}" expected an integer in ${min}..${max}, got ${String(value)}`,
    );
  }
}

/** Asks `rng` for `n` bytes and checks it delivered exactly that. */
export function randomFrom(rng: Rng, n: number): Uint8Array {
  const out = rng(n);
  abytes(out, 'rng output', n);
  return out;
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, p) => sum + p.length, 0));
  let pos = 0;
  for (const p of parts) {
    out.set(p, pos);
    pos += p.length;
  }
  return out;
}

/** Constant-time for equal lengths; different lengths are public and return false at once. */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

export function u32be(n: number): Uint8Array {
  aint(n, 'u32', 0, 0xffffffff);
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, n);
  return out;
}

export function readU32be(b: Uint8Array, offset: number): number {
  return ((b[offset] << 24) | (b[offset + 1] << 16) | (b[offset + 2] << 8) | b[offset + 3]) >>> 0;
}

/** A Uint8Array over a node Buffer's memory, so wiping it wipes the Buffer too (no stray copy). */
export function viewOf(b: Buffer): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.length);
}

/** Zeroes scratch buffers that held key material (STYLE §10). */
export function wipe(...buffers: Uint8Array[]): void {
  for (const b of buffers) b.fill(0);
}
