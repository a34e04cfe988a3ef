/**
 * XDR writer (§2). Grows its buffer by doubling and refuses to grow past `maxSize` (by default the
 * 16384-byte packet limit of §1.5) with `FrameTooLarge`. Values are checked as they are written and
 * the error names the field. Buffers it outgrows are zeroed: they may have held PINs.
 */
import { HAL_PKEY_ATTRIBUTE_NIL, HAL_RPC_MAX_PKT_SIZE, HAL_UUID_SIZE } from '../constants';
import { FrameTooLarge } from '../errors';

const pad = (n: number) => (4 - (n % 4)) % 4;

export class XdrWriter {
  private buf: Buffer;
  private len = 0;

  constructor(
    private readonly maxSize = HAL_RPC_MAX_PKT_SIZE,
    initialSize = 256,
  ) {
    this.buf = Buffer.alloc(Math.min(initialSize, maxSize));
  }

  get length(): number {
    return this.len;
  }

  private reserve(field: string, n: number): void {
    const need = this.len + n;
    if (need <= this.buf.length) return;
    if (need > this.maxSize) throw new FrameTooLarge(need, this.maxSize, `packet (writing "${field}")`);
    let size = this.buf.length * 2;
    while (size < need) size *= 2;
    const grown = Buffer.alloc(Math.min(size, this.maxSize));
    this.buf.copy(grown, 0, 0, this.len);
    this.buf.fill(0);
    this.buf = grown;
  }

  /** Unsigned 32-bit word; `value` must be an integer in 0..0xFFFFFFFF. */
  u32(field: string, value: number): this {
    if (!(Number.isInteger(value) && value >= 0 && value <= 0xffffffff))
      throw new RangeError(`"${field}" expected a u32 (integer 0..4294967295), got ${value}`);
    this.reserve(field, 4);
    this.buf.writeUInt32BE(value, this.len);
    this.len += 4;
    return this;
  }

  /** Signed 32-bit word; `value` must be an integer in -2^31..2^31-1. */
  i32(field: string, value: number): this {
    if (!(Number.isInteger(value) && value >= -0x80000000 && value <= 0x7fffffff))
      throw new RangeError(`"${field}" expected an i32 (integer -2147483648..2147483647), got ${value}`);
    return this.u32(field, value >>> 0);
  }

  /** Variable-length opaque: length word, data, zero padding. */
  opaque(field: string, data: Uint8Array): this {
    this.u32(field, data.length);
    return this.fixedOpaque(field, data);
  }

  /** Fixed-length opaque: data and zero padding, no length word. */
  fixedOpaque(field: string, data: Uint8Array): this {
    if (!(data instanceof Uint8Array)) throw new TypeError(`"${field}" expected bytes (Uint8Array)`);
    const total = data.length + pad(data.length);
    this.reserve(field, total);
    this.buf.set(data, this.len);
    // Padding is already zero: buffers come from Buffer.alloc and are only ever appended to.
    this.len += total;
    return this;
  }

  /** A key name: opaque of exactly 16 bytes (§2). */
  uuid(field: string, name: Uint8Array): this {
    if (!(name instanceof Uint8Array) || name.length !== HAL_UUID_SIZE)
      throw new RangeError(
        `"${field}" expected a 16-byte UUID, got ${name instanceof Uint8Array ? name.length : typeof name}`,
      );
    return this.opaque(field, name);
  }

  /** Attribute value, or the NIL marker FFFFFFFF for null (delete, in PKEY_SET_ATTRIBUTES) (§2). */
  opaqueOrNil(field: string, data: Uint8Array | null): this {
    return data === null ? this.u32(field, HAL_PKEY_ATTRIBUTE_NIL) : this.opaque(field, data);
  }

  /** The bytes written so far. The writer must not be used afterwards (the result is a view of its buffer). */
  finish(): Buffer {
    return this.buf.subarray(0, this.len);
  }
}
