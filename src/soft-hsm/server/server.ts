/**
 * The soft HSM as a cryptech_muxd replacement (docs/libhal-rpc.md §1.3): SLIP over a Unix stream
 * socket (mode 0600) or TCP, one muxd handle per connection (counter from `unix_time << 4`, +1
 * per connection), LOGOUT_ALL at start, LOGOUT for a connection's handle when it goes away.
 * Nothing a client sends can stop the server: every connection's failures stay in it.
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { RPC } from '../../hsm-adapter/codec';
import { SoftHsm } from '../soft-hsm';
import type { RandomSource } from '../options';
import { MuxdConnection } from './connection';
import { RpcDispatcher } from './dispatcher';

export type SoftHsmAddress =
  | { readonly type: 'unix'; readonly path: string }
  | { readonly type: 'tcp'; readonly host: string; readonly port: number };

export interface SoftHsmServerOptions {
  readonly stateDir: string;
  /** Unix socket path; give this or `port`. */
  readonly socketPath?: string;
  /** TCP host (default 127.0.0.1) and port (0 = any free port). */
  readonly host?: string;
  readonly port?: number;
  readonly capacity?: number;
  readonly rawExport?: boolean;
  readonly pinDelayMs?: number;
  readonly rng?: RandomSource;
  /** Precompute ECDSA nonces on a worker thread (SoftHsmOptions.ecdsaWorker). Default false. */
  readonly ecdsaWorker?: boolean;
  /** Milliseconds since the epoch; seeds the muxd handle counter. Default Date.now. */
  readonly clock?: () => number;
  /** One short line per event worth telling an operator (never secrets). */
  readonly log?: (line: string) => void;
}

export interface SoftHsmServer {
  readonly address: SoftHsmAddress;
  /** The engine behind the socket (tests inspect it; do not call it while clients are connected). */
  readonly hsm: SoftHsm;
  /** Stops listening, drops clients, closes the engine and removes the socket file. */
  close(): Promise<void>;
}

/** Whether something accepts connections on a Unix socket path. */
function socketInUse(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.connect(socketPath);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
}

function listen(
  server: net.Server,
  target: { path: string } | { host: string; port: number },
): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(target, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** Binds a Unix socket with mode 0600 from the start: bind a private name, chmod, rename into place. */
async function listenUnix(server: net.Server, socketPath: string): Promise<void> {
  if (fs.existsSync(socketPath)) {
    if (await socketInUse(socketPath)) throw new Error(`${socketPath} is in use by another server`);
    fs.rmSync(socketPath, { force: true });
  }
  const staging = path.join(path.dirname(socketPath), `.${path.basename(socketPath)}.${process.pid}.tmp`);
  fs.rmSync(staging, { force: true });
  await listen(server, { path: staging });
  fs.chmodSync(staging, 0o600);
  fs.renameSync(staging, socketPath);
}

export async function startSoftHsmServer(options: SoftHsmServerOptions): Promise<SoftHsmServer> {
  if ((options.socketPath === undefined) === (options.port === undefined))
    throw new Error('startSoftHsmServer: give exactly one of "socketPath" and "port"');
  const log = options.log ?? (() => undefined);
  const hsm = SoftHsm.open(options.stateDir, {
    capacity: options.capacity,
    rawExport: options.rawExport,
    pinDelayMs: options.pinDelayMs,
    rng: options.rng,
    ecdsaWorker: options.ecdsaWorker,
    log,
  });
  const dispatcher = new RpcDispatcher(hsm, { log });
  // §1.3 step 6: muxd logs everybody out when it starts.
  await dispatcher.dispatch(RPC.LOGOUT_ALL.encodeRequest({}, 0));

  const now = (options.clock ?? Date.now)();
  let nextHandle = (Math.floor(now / 1000) * 16) % 2 ** 32;
  const connections = new Set<{ socket: net.Socket; conn: MuxdConnection; done: Promise<void> }>();

  const server = net.createServer({ allowHalfOpen: false }, (socket) => {
    const handle = nextHandle;
    nextHandle = (nextHandle + 1) % 2 ** 32;
    const conn = new MuxdConnection(handle, dispatcher, {
      write: (bytes) => {
        if (!socket.destroyed) socket.write(bytes);
      },
      drop: (reason) => {
        log(`soft-hsm: dropping connection 0x${handle.toString(16)}: ${reason}`);
        socket.destroy();
      },
    });
    let resolveDone!: () => void;
    const entry = { socket, conn, done: new Promise<void>((r) => (resolveDone = r)) };
    connections.add(entry);
    socket.on('data', (chunk: Buffer) => conn.receive(chunk));
    socket.on('error', () => undefined); // 'close' follows; nothing to report per client
    socket.on('close', () => {
      conn
        .closed()
        .catch((error: unknown) =>
          log(`soft-hsm: logout of 0x${handle.toString(16)} failed: ${String(error)}`),
        )
        .finally(() => {
          connections.delete(entry);
          resolveDone();
        });
    });
  });
  server.on('error', (error) => log(`soft-hsm: server error: ${error.message}`));

  let address: SoftHsmAddress;
  try {
    if (options.socketPath !== undefined) {
      await listenUnix(server, options.socketPath);
      address = { type: 'unix', path: options.socketPath };
    } else {
      const host = options.host ?? '127.0.0.1';
      await listen(server, { host, port: options.port! });
      const a = server.address() as net.AddressInfo;
      address = { type: 'tcp', host: a.address, port: a.port };
    }
  } catch (error) {
    hsm.close();
    throw error;
  }

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const { socket } of connections) socket.destroy();
      });
      await Promise.all([...connections].map((c) => c.done));
      hsm.close();
      if (address.type === 'unix') fs.rmSync(address.path, { force: true });
    })());

  return { address, hsm, close };
}
