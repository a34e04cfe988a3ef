/** Byte helpers for RFC 8554 §3.1.3 encodings: labelled asserts, u32str/u16str writers, a bounded reader. */
import { HashsigInvalidArgument, HashsigMalformed } from './errors';

/** Asserts `value` is a Uint8Array, of exactly `length` bytes when given. */
export function abytes(label: string, value: unknown, length?: number): Uint8Array {
  if (!(value instanceof Uint8Array)) {
    throw new HashsigInvalidArgument(`"${label}" expected Uint8Array, got ${describe(value)}`);
  }
  if (length !== undefined && value.length !== length) {
    throw new HashsigInvalidArgument(`"${label}" expected ${length} bytes, got ${value.length}`);
  }
  return value;
}

/** Asserts `value` is an integer in [min, max]. */
export function aint(label: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new HashsigInvalidArgument(
      `"${label}" expected an integer in [${min}, ${max}], got ${describe(value)}`,
    );
  }
  return value;
}

function describe(value: unknown): string {
  if (value instanceof Uint8Array) return `${value.length} bytes`;
  if (typeof value === 'number') return String(value);
  return value === null ? 'null' : typeof value;
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

export function readU32(src: Uint8Array, offset: number): number {
  return ((src[offset] << 24) | (src[offset + 1] << 16) | (src[offset + 2] << 8) | src[offset + 3]) >>> 0;
}

export function u32str(value: number): Uint8Array {
  const out = new Uint8Array(4);
  writeU32(out, 0, value);
  return out;
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let length = 0;
  for (const p of parts) length += p.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

/**
 * Reads fields from `bytes` without ever going past its end: every read checks the bytes remaining
 * and throws HashsigMalformed naming the structure and field otherwise.
 */
export class BoundedReader {
  private offset = 0;
  constructor(
    private readonly bytes: Uint8Array,
    private readonly what: string,
  ) {}

  get remaining(): number {
    return this.bytes.length - this.offset;
  }

  u32(field: string): number {
    this.need(field, 4);
    const value = readU32(this.bytes, this.offset);
    this.offset += 4;
    return value;
  }

  /** A view (not a copy) of the next `length` bytes. */
  take(field: string, length: number): Uint8Array {
    this.need(field, length);
    const out = this.bytes.subarray(this.offset, this.offset + length);
    this.offset += length;
    return out;
  }

  /** Throws unless every byte was consumed (RFC 8554 §6.3: trailing bytes make a signature invalid). */
  end(): void {
    if (this.remaining !== 0) {
      throw new HashsigMalformed(
        this.what,
        `${this.remaining} unexpected trailing bytes at offset ${this.offset}`,
      );
    }
  }

  fail(detail: string): never {
    throw new HashsigMalformed(this.what, `${detail} (at offset ${this.offset})`);
  }

  private need(field: string, length: number): void {
    if (this.remaining < length) {
      throw new HashsigMalformed(
        this.what,
        `"${field}" needs ${length} bytes at offset ${this.offset}, only ${this.remaining} remain`,
      );
    }
  }
}
