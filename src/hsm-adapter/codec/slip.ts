/**
 * SLIP framing (§1.1, RFC 1055 style), as used on the serial line, the muxd socket and inside the
 * DKS TLS stream.
 */
import { HAL_RPC_MAX_PKT_SIZE } from '../constants';
import { FrameTooLarge } from '../errors';

export const SLIP_END = 0xc0;
export const SLIP_ESC = 0xdb;
export const SLIP_ESC_END = 0xdc;
export const SLIP_ESC_ESC = 0xdd;

/** `C0`, the payload with C0 -> DB DC and DB -> DB DD, `C0` (the leading END flushes line noise, §1.1). */
export function slipEncode(payload: Uint8Array): Buffer {
  let specials = 0;
  for (const b of payload) if (b === SLIP_END || b === SLIP_ESC) specials++;
  const out = Buffer.allocUnsafe(payload.length + specials + 2);
  let o = 0;
  out[o++] = SLIP_END;
  for (const b of payload) {
    if (b === SLIP_END) {
      out[o++] = SLIP_ESC;
      out[o++] = SLIP_ESC_END;
    } else if (b === SLIP_ESC) {
      out[o++] = SLIP_ESC;
      out[o++] = SLIP_ESC_ESC;
    } else {
      out[o++] = b;
    }
  }
  out[o] = SLIP_END;
  return out;
}

/**
 * Streaming SLIP decoder. `push` accepts any chunking and returns the frames it completed.
 *
 * Like libhal's `hal_slip_process_char` (§1.1): END with nothing accumulated is skipped (so
 * `C0 … C0` framing yields no empty frames), and ESC followed by anything but DC/DD keeps that
 * byte as-is. Two deliberate differences: a frame whose decoded size would exceed `maxFrameSize`
 * throws `FrameTooLarge` instead of silently dropping bytes, and END clears a pending ESC instead of
 * carrying it into the next frame (a static flag in the C code).
 *
 * Memory is bounded by `maxFrameSize` at all times. After `FrameTooLarge` the decoder is poisoned:
 * every later `push` throws again, because the stream can no longer be trusted; drop the connection.
 * Frames completed earlier in the chunk that overflowed are discarded with it.
 */
export class SlipDecoder {
  readonly maxFrameSize: number;
  private readonly buf: Buffer;
  private len = 0;
  private escaped = false;
  private poisoned: FrameTooLarge | undefined;

  constructor(options: { maxFrameSize?: number } = {}) {
    const max = options.maxFrameSize ?? HAL_RPC_MAX_PKT_SIZE;
    if (!(Number.isInteger(max) && max > 0))
      throw new RangeError(`"maxFrameSize" expected a positive integer, got ${max}`);
    this.maxFrameSize = max;
    this.buf = Buffer.alloc(max);
  }

  /** Decoded bytes of the frame in progress. */
  get pending(): number {
    return this.len;
  }

  push(chunk: Uint8Array): Buffer[] {
    if (this.poisoned) throw this.poisoned;
    const frames: Buffer[] = [];
    for (let b of chunk) {
      if (b === SLIP_END) {
        this.escaped = false;
        if (this.len > 0) frames.push(this.take());
        continue;
      }
      if (b === SLIP_ESC) {
        this.escaped = true;
        continue;
      }
      if (this.escaped) {
        this.escaped = false;
        if (b === SLIP_ESC_END) b = SLIP_END;
        else if (b === SLIP_ESC_ESC) b = SLIP_ESC;
      }
      if (this.len === this.maxFrameSize) {
        this.reset();
        this.poisoned = new FrameTooLarge(this.maxFrameSize + 1, this.maxFrameSize);
        throw this.poisoned;
      }
      this.buf[this.len++] = b;
    }
    return frames;
  }

  /** Copies the frame out and zeroes the scratch bytes: frames may carry PINs (LOGIN, SET_PIN). */
  private take(): Buffer {
    const frame = Buffer.from(this.buf.subarray(0, this.len));
    this.reset();
    return frame;
  }

  private reset(): void {
    this.buf.fill(0, 0, this.len);
    this.len = 0;
    this.escaped = false;
  }
}
