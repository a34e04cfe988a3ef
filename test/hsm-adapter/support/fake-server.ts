/**
 * A scripted SLIP peer on a real socket, for transport tests: each request frame goes to `onFrame`,
 * which may answer with any bytes (including none, or garbage) through the connection it is given.
 */
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { SlipDecoder } from '../../../src/hsm-adapter/codec';
import { makeTempDir, removeTempDir } from '../../support/temp-dir';

export interface FakePeer {
  /** 1-based, in accept order. */
  readonly serial: number;
  readonly socket: Socket;
  /** Every byte received, as sent (SLIP-encoded). */
  readonly received: Buffer[];
  write(bytes: Uint8Array): Promise<void>;
}

export interface FakeServer {
  readonly endpoint: string;
  readonly path?: string;
  readonly peers: FakePeer[];
  /** Peers whose socket has closed, by serial. */
  readonly closedPeers: Set<number>;
  close(): Promise<void>;
}

export type OnFrame = (frame: Buffer, peer: FakePeer) => void | Promise<void>;

export async function startFakeServer(
  onFrame: OnFrame,
  transport: 'unix' | 'tcp' = 'unix',
): Promise<FakeServer> {
  const dir = transport === 'unix' ? await makeTempDir('fake-hsm-') : undefined;
  const peers: FakePeer[] = [];
  const closedPeers = new Set<number>();
  const server: Server = createServer((socket) => {
    const decoder = new SlipDecoder();
    const peer: FakePeer = {
      serial: peers.length + 1,
      socket,
      received: [],
      write: (bytes) =>
        new Promise((resolve) => (socket.destroyed ? resolve() : socket.write(bytes, () => resolve()))),
    };
    peers.push(peer);
    let chain = Promise.resolve();
    socket.on('data', (chunk: Buffer) => {
      peer.received.push(Buffer.from(chunk));
      for (const frame of decoder.push(chunk)) chain = chain.then(() => onFrame(frame, peer));
    });
    socket.on('error', () => undefined);
    socket.on('close', () => closedPeers.add(peer.serial));
  });
  const target = dir ? { path: join(dir, 'fake.rpc') } : { host: '127.0.0.1', port: 0 };
  await new Promise<void>((resolve) => server.listen(target, resolve));
  const endpoint =
    'path' in target ? `unix:${target.path}` : `tcp://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    endpoint,
    path: 'path' in target ? target.path : undefined,
    peers,
    closedPeers,
    async close() {
      for (const peer of peers) peer.socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (dir) await removeTempDir(dir);
    },
  };
}

/** Waits until `condition()` holds, polling; fails naming `what` after `ms`. */
export async function eventually(what: string, condition: () => boolean, ms = 2000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}
