/**
 * A bare socket client for abusing a server: writes whatever bytes it is given and collects the
 * SLIP frames that come back, or notices the server hanging up.
 */
import { connect, type Socket } from 'node:net';
import { SlipDecoder } from '../../../src/hsm-adapter/codec';

export type RawAddress = { path: string } | { host: string; port: number };

export class RawClient {
  private readonly decoder = new SlipDecoder();
  private readonly frames: Buffer[] = [];
  private wake: (() => void) | undefined;
  private isClosed = false;
  /** Resolves when the server (or we) closed the socket. */
  readonly closed: Promise<void>;

  private constructor(private readonly socket: Socket) {
    let resolveClosed!: () => void;
    this.closed = new Promise((resolve) => (resolveClosed = resolve));
    socket.on('data', (chunk: Buffer) => {
      this.frames.push(...this.decoder.push(chunk));
      this.wake?.();
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.isClosed = true;
      resolveClosed();
      this.wake?.();
    });
  }

  static open(address: RawAddress): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = connect(address);
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve(new RawClient(socket));
      });
    });
  }

  get isOpen(): boolean {
    return !this.isClosed;
  }

  /** Frames received and not yet taken. */
  get pending(): number {
    return this.frames.length;
  }

  write(bytes: Uint8Array): Promise<void> {
    return new Promise((resolve) => {
      if (this.isClosed) return resolve();
      this.socket.write(bytes, () => resolve());
    });
  }

  /** The next frame, 'closed' if the server hung up first, or 'timeout'. */
  async next(timeoutMs = 5000): Promise<Buffer | 'closed' | 'timeout'> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const frame = this.frames.shift();
      if (frame) return frame;
      if (this.isClosed) return 'closed';
      const left = deadline - Date.now();
      if (left <= 0) return 'timeout';
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** Lets the event loop run so that two writes reach the peer as two reads. */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 1));
}
