/**
 * Bounded XDR reader (§2, RFC 4506 subset). It never reads past its frame: every read checks the
 * remaining bytes first and throws `XdrOverflow` naming the field. Declared lengths are checked
 * against what remains (and an optional per-field maximum) before anything is allocated.
 *
 * Leniency copied from the C server (§2): padding bytes are skipped, not checked, and an opaque
 * whose padding is cut off at the very end of the frame is accepted.
 */
import { HAL_PKEY_ATTRIBUTE_NIL, HAL_UUID_SIZE } from '../constants';
import { HalStatus, HsmProtocolError, XdrOverflow } from '../errors';

const pad = (n: number) => (4 - (n % 4)) % 4;

export class XdrReader {
  private pos: number;
  private readonly limit: number;

  constructor(
    private readonly buf: Uint8Array,
    start = 0,
    end = buf.length,
  ) {
    if (!(
      Number.isInteger(start) &&
      Number.isInteger(end) &&
      0 <= start &&
      start <= end &&
      end <= buf.length
    ))
      throw new RangeError(`XdrReader: bad bounds [${start}, ${end}) for a ${buf.length}-byte buffer`);
    this.pos = start;
    this.limit = end;
  }

  get offset(): number {
    return this.pos;
  }

  get remaining(): number {
    return this.limit - this.pos;
  }

  private need(field: string, n: number): void {
    if (n > this.remaining) throw new XdrOverflow(field, n, this.remaining, 'frame');
  }

  /** Unsigned 32-bit big-endian word. */
  u32(field: string): number {
    this.need(field, 4);
    const b = this.buf;
    const p = this.pos;
    this.pos = p + 4;
    return ((b[p] << 24) | (b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3]) >>> 0;
  }

  /** Signed 32-bit big-endian word (two's complement). */
  i32(field: string): number {
    return this.u32(field) | 0;
  }

  /**
   * A count word for an array whose elements take at least `minElementSize` bytes each: refused at
   * once if the frame cannot hold that many elements, so no caller loops or allocates on a lie.
   */
  count(field: string, minElementSize: number): number {
    const n = this.u32(field);
    if (n * minElementSize > this.remaining)
      throw new XdrOverflow(field, n * minElementSize, this.remaining, 'frame');
    return n;
  }

  /** Variable-length opaque: length word, data, padding to 4. Returns a copy (never a view of the frame). */
  opaque(field: string, max?: number): Buffer {
    return this.opaqueBody(field, this.u32(field), max);
  }

  /** Attribute value that may be the NIL marker FFFFFFFF instead of a length (§2): NIL gives null. */
  opaqueOrNil(field: string, max?: number): Buffer | null {
    const n = this.u32(field);
    return n === HAL_PKEY_ATTRIBUTE_NIL ? null : this.opaqueBody(field, n, max);
  }

  /** Fixed-length opaque: `length` data bytes and padding, no length word (§2). */
  fixedOpaque(field: string, length: number): Buffer {
    return this.opaqueBody(field, length, undefined);
  }

  /**
   * A key name: variable opaque of exactly 16 bytes (§2). Like the C server, a frame overrun is
   * XDR_BUFFER_OVERFLOW and any other length is KEY_NAME_TOO_LONG (31).
   */
  uuid(field: string): Buffer {
    const n = this.u32(field);
    this.need(field, n);
    if (n !== HAL_UUID_SIZE)
      throw new HsmProtocolError(
        `"${field}" is a ${n}-byte name; key names are 16-byte UUIDs`,
        HalStatus.KEY_NAME_TOO_LONG,
      );
    return this.opaqueBody(field, n, undefined);
  }

  private opaqueBody(field: string, n: number, max: number | undefined): Buffer {
    if (max !== undefined && n > max) throw new XdrOverflow(field, n, max, 'field max');
    this.need(field, n);
    const out = Buffer.from(this.buf.subarray(this.pos, this.pos + n));
    // Padding cut off by the end of the frame is tolerated (§2); a later read then overflows.
    this.pos += Math.min(n + pad(n), this.remaining);
    return out;
  }

  /**
   * Asserts the frame is fully consumed. Response decoders call it (a longer reply than the layout
   * means the peer speaks another protocol version: refuse, do not guess). Request decoders do not:
   * the C server ignores trailing bytes (§3.1), and so does ours, to accept what libhal accepts.
   */
  end(what: string): void {
    if (this.remaining !== 0)
      throw new HsmProtocolError(
        `${this.remaining} unexpected trailing bytes after ${what}`,
        HalStatus.RPC_PROTOCOL_ERROR,
      );
  }
}
