/** A bare SLIP client over a socket, for the soft HSM server specs: raw bytes in, frames out. */
import * as net from 'node:net';
import { SlipDecoder, slipEncode } from '../../src/hsm-adapter/codec';

export class SlipClient {
  private readonly decoder = new SlipDecoder();
  private readonly frames: Buffer[] = [];
  private waiting: (() => void) | undefined;
  readonly closed: Promise<void>;

  private constructor(readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.frames.push(...this.decoder.push(chunk));
      this.waiting?.();
    });
    socket.on('error', () => undefined);
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.once('close', () => this.waiting?.());
  }

  static connect(target: { path: string } | { host: string; port: number }): Promise<SlipClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(target as net.NetConnectOpts);
      socket.once('connect', () => resolve(new SlipClient(socket)));
      socket.once('error', reject);
    });
  }

  get isClosed(): boolean {
    return this.socket.destroyed;
  }

  writeRaw(bytes: Uint8Array): void {
    this.socket.write(bytes);
  }

  /** The next frame from the server (rejects if the connection closes first). */
  async next(): Promise<Buffer> {
    while (this.frames.length === 0) {
      if (this.socket.destroyed) throw new Error('connection closed by the server');
      await new Promise<void>((resolve) => (this.waiting = resolve));
    }
    return this.frames.shift()!;
  }

  /** SLIP-encodes and sends one request payload, resolves with the reply payload. */
  async call(payload: Uint8Array): Promise<Buffer> {
    this.socket.write(slipEncode(payload));
    return this.next();
  }

  close(): Promise<void> {
    this.socket.end();
    return this.closed;
  }
}

/** Status word of a reply payload. */
export const statusWord = (reply: Buffer) => reply.readUInt32BE(8);
/** Client-handle word of a reply payload. */
export const clientWord = (reply: Buffer) => reply.readUInt32BE(4);
