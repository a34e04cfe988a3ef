/**
 * The client side of cryptech_muxd's stream handling (docs/libhal-rpc.md §1.3 step 2): the stream is
 * cut at each END (`C0`), chunks shorter than 9 bytes (the empty frame made by a leading END, or
 * junk) are discarded, the rest are SLIP-decoded. Memory is bounded by the SlipDecoder's maximum
 * frame size; a frame over it throws `FrameTooLarge` and the framer stays poisoned.
 */
import { SLIP_END, SlipDecoder } from '../../hsm-adapter/codec';

/** muxd discards chunks (up to and including the END) shorter than this. */
export const MUXD_MIN_CHUNK = 9;

export class MuxdFramer {
  private readonly decoder: SlipDecoder;
  /** Encoded bytes of the chunk in progress (without its END). */
  private pendingEncoded = 0;

  constructor(maxFrameSize?: number) {
    this.decoder = new SlipDecoder({ maxFrameSize });
  }

  /** Returns the request payloads completed by `chunk`, in order. */
  push(chunk: Uint8Array): Buffer[] {
    const out: Buffer[] = [];
    let start = 0;
    for (let i = 0; i < chunk.length; i++) {
      if (chunk[i] !== SLIP_END) continue;
      const encoded = this.pendingEncoded + (i + 1 - start);
      const frames = this.decoder.push(chunk.subarray(start, i + 1));
      this.pendingEncoded = 0;
      start = i + 1;
      if (encoded >= MUXD_MIN_CHUNK) out.push(...frames);
      else for (const f of frames) f.fill(0);
    }
    if (start < chunk.length) {
      this.decoder.push(chunk.subarray(start));
      this.pendingEncoded += chunk.length - start;
    }
    return out;
  }
}
