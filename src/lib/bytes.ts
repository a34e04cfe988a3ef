/**
 * Byte helpers: labelled input asserts (noble's `abytes` style, docs/style.md §9), concatenation,
 * comparison, and the big-endian integers of RFC 8554 §3.1.3 (u16str, u32str).
 */
import { timingSafeEqual } from 'node:crypto';
import { ArgumentError } from './errors';

function describe(value: unknown): string {
  if (value instanceof Uint8Array) return `${value.length} bytes`;
  if (typeof value === 'number') return String(value);
  return value === null ? 'null' : typeof value;
}

/** Asserts `value` is a Uint8Array, of one of `lengths` bytes when any are given. */
export function abytes(value: unknown, field: string, ...lengths: number[]): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) {
    throw new ArgumentError(field, `"${field}" expected Uint8Array, got ${describe(value)}`);
  }
  if (lengths.length > 0 && !lengths.includes(value.length)) {
    throw new ArgumentError(field, `"${field}" expected ${lengths.join(' or ')} bytes, got ${value.length}`);
  }
}

/** Asserts `value` is a safe integer in [min, max]. */
export function aint(value: unknown, field: string, min: number, max: number): asserts value is number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new ArgumentError(
      field,
      `"${field}" expected an integer in [${min}, ${max}], got ${describe(value)}`,
    );
  }
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

export function writeU32(dst: Uint8Array, offset: number, value: number): void {
  dst[offset] = value >>> 24;
  dst[offset + 1] = value >>> 16;
  dst[offset + 2] = value >>> 8;
  dst[offset + 3] = value;
}

export function writeU16(dst: Uint8Array, offset: number, value: number): void {
  dst[offset] = value >>> 8;
  dst[offset + 1] = value;
}

/** The caller bounds `offset`: bytes past the end read as 0. */
export function readU32(src: Uint8Array, offset: number): number {
  return ((src[offset] << 24) | (src[offset + 1] << 16) | (src[offset + 2] << 8) | src[offset + 3]) >>> 0;
}

/** u32str(n), RFC 8554 §3.1.3: four bytes, big-endian. */
export function u32str(n: number): Uint8Array {
  aint(n, 'u32', 0, 0xffffffff);
  const out = new Uint8Array(4);
  writeU32(out, 0, n);
  return out;
}
