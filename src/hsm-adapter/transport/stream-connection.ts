/**
 * SLIP over a stream socket: the cryptech_muxd Unix socket (§1.3) or TCP. Requests go out as
 * `C0 payload C0` (§1.1); like the C client's read_matching_packet (§1.2), the reader skips frames
 * too short to hold two words and frames that answer another function.
 */
import { connect as netConnect, type Socket } from 'node:net';
import { HAL_RPC_MAX_PKT_SIZE } from '../constants';
import { SlipDecoder, peekFunc, slipEncode } from '../codec';
import { HsmProtocolError, HsmTransportError } from '../errors';
import { checkTimeout, rpcLabel, SerialConnection } from './connection';

/** Where muxd listens unless `CRYPTECH_RPC_CLIENT_SOCKET_NAME` says otherwise (§1.3). */
export const DEFAULT_MUXD_SOCKET = '/tmp/.cryptech_muxd.rpc';

export type StreamAddress = { readonly path: string } | { readonly host: string; readonly port: number };

export interface StreamConnectOptions {
  /** How long to wait for the socket to connect, in ms. Default 10000. */
  readonly connectTimeoutMs?: number;
}

let serial = 0;

export function describeAddress(address: StreamAddress): string {
  return 'path' in address ? `unix:${address.path}` : `tcp://${address.host}:${address.port}`;
}

export class StreamConnection extends SerialConnection {
  private readonly decoder = new SlipDecoder({ maxFrameSize: HAL_RPC_MAX_PKT_SIZE });

  constructor(
    private readonly socket: Socket,
    label: string,
  ) {
    super(label);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (error) =>
      this.close(
        new HsmTransportError(`connection ${label} failed: ${error.message}`, undefined, { cause: error }),
      ),
    );
    socket.on('end', () => this.close(new HsmTransportError(`${label} closed the connection`)));
    socket.on('close', () => this.close(new HsmTransportError(`connection ${label} closed`)));
  }

  protected exchange(_func: number, request: Uint8Array): void {
    const wire = slipEncode(request);
    // The frame may hold a PIN (LOGIN, SET_PIN): zero our copy once the socket is done with it.
    this.socket.write(wire, () => wire.fill(0));
  }

  protected release(): void {
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    if (this.closed) return;
    let frames: Buffer[];
    try {
      frames = this.decoder.push(chunk);
    } catch (error) {
      // FrameTooLarge: the stream is beyond repair, only this connection is lost.
      this.close(error as Error);
      return;
    }
    for (const frame of frames) {
      const func = peekFunc(frame);
      if (func === undefined) continue;
      const awaiting = this.awaiting;
      if (awaiting === undefined) {
        // Nothing was asked: a reply now would be taken for the next call's (§1.2).
        this.close(
          new HsmProtocolError(
            `${this.label} sent an unsolicited ${frame.length}-byte frame for ${rpcLabel(func)}`,
          ),
        );
        return;
      }
      if (func === awaiting) this.complete(frame);
    }
  }
}

/** Opens a stream connection; rejects with `HsmTransportError` if the peer cannot be reached in time. */
export function connectStream(
  address: StreamAddress,
  options: StreamConnectOptions = {},
): Promise<StreamConnection> {
  const timeoutMs = checkTimeout('connectTimeoutMs', options.connectTimeoutMs ?? 10_000);
  const where = describeAddress(address);
  const label = `${where}#${++serial}`;
  return new Promise((resolve, reject) => {
    const socket =
      'path' in address
        ? netConnect({ path: address.path })
        : netConnect({ host: address.host, port: address.port });
    const fail = (message: string, cause?: Error) => {
      clearTimeout(timer);
      socket.destroy();
      reject(new HsmTransportError(message, undefined, { cause }));
    };
    const timer = setTimeout(
      () => fail(`cannot connect to ${where}: no answer within ${timeoutMs} ms`),
      timeoutMs,
    );
    socket.once('error', (error) => fail(`cannot connect to ${where}: ${error.message}`, error));
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      if ('host' in address) socket.setNoDelay(true);
      resolve(new StreamConnection(socket, label));
    });
  });
}
