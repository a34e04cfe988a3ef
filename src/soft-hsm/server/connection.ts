/**
 * One client connection as cryptech_muxd serves it (docs/libhal-rpc.md §1.3), independent of the
 * socket type: bytes in → requests, each with bytes 4..7 overwritten by the connection's handle,
 * answered one at a time in order → SLIP frames out. When the client goes away, LOGOUT is sent
 * for the handle (logging it out and deleting its volatile keys) after any request still queued.
 */
import { RPC, slipEncode } from '../../hsm-adapter/codec';
import { HAL_RPC_MAX_PKT_SIZE } from '../../hsm-adapter/constants';
import type { RpcDispatcher } from './dispatcher';
import { MuxdFramer } from './muxd-framer';

/** Requests a client may have waiting before it is considered hostile and dropped. */
export const MAX_QUEUED_REQUESTS = 64;

export interface ConnectionIo {
  /** Sends bytes to the client. */
  write(bytes: Buffer): void;
  /** Closes the connection from our side (protocol violation). */
  drop(reason: string): void;
}

export class MuxdConnection {
  private readonly framer = new MuxdFramer(HAL_RPC_MAX_PKT_SIZE);
  private readonly queue: Buffer[] = [];
  private running = false;
  private open = true;
  private idle: Promise<void> = Promise.resolve();
  private wake: (() => void) | undefined;

  constructor(
    /** The 32-bit handle muxd gave this connection. */
    readonly handle: number,
    private readonly dispatcher: RpcDispatcher,
    private readonly io: ConnectionIo,
  ) {}

  /** Bytes from the client. A garbled or oversized frame drops this connection only. */
  receive(chunk: Uint8Array): void {
    if (!this.open) return;
    let frames: Buffer[];
    try {
      frames = this.framer.push(chunk);
    } catch (error) {
      this.fail(`bad frame: ${(error as Error).message}`);
      return;
    }
    for (const frame of frames) {
      if (this.queue.length >= MAX_QUEUED_REQUESTS) {
        this.fail(`more than ${MAX_QUEUED_REQUESTS} requests queued without reading replies`);
        return;
      }
      this.queue.push(frame);
    }
    this.pump();
  }

  /**
   * The client disconnected: finishes queued requests (their replies go nowhere), then sends
   * LOGOUT for this handle. Resolves when done.
   */
  async closed(): Promise<void> {
    if (this.open) {
      this.open = false;
      this.queue.push(RPC.LOGOUT.encodeRequest({}, this.handle));
      this.pump();
    }
    await this.drained();
  }

  private fail(reason: string): void {
    if (!this.open) return;
    this.io.drop(reason);
    void this.closed();
  }

  private drained(): Promise<void> {
    return this.running || this.queue.length > 0 ? this.idle : Promise.resolve();
  }

  private pump(): void {
    if (this.running || this.queue.length === 0) return;
    this.running = true;
    this.idle = new Promise((resolve) => (this.wake = resolve));
    void this.work();
  }

  private async work(): Promise<void> {
    while (this.queue.length > 0) {
      const frame = this.queue.shift()!;
      // §1.3 step 3: the client-handle word is muxd's, whatever the client sent.
      if (frame.length >= 8) frame.writeUInt32BE(this.handle, 4);
      try {
        const outcome = await this.dispatcher.dispatch(frame);
        if ('drop' in outcome) this.fail(outcome.drop);
        else if (this.open) this.io.write(slipEncode(outcome.reply));
      } catch (error) {
        // The dispatcher answers every request; anything else is a bug, and stays in this connection.
        this.fail(`internal error: ${String((error as Error)?.message ?? error).slice(0, 200)}`);
      } finally {
        frame.fill(0);
      }
    }
    this.running = false;
    this.wake?.();
  }
}
