/**
 * Ways to run the soft HSM under the contract: in process (the `Hsm` client calls the engine's
 * in-process entry, one muxd-style handle per pooled connection), or as a server on a temporary
 * Unix socket or a loopback TCP port, reached through the adapter's socket transport.
 */
import { join } from 'node:path';
import { Hsm, type Endpoint } from '../../src/hsm-adapter';
import { createSoftHsmState, inProcessTransport, SoftHsm, startSoftHsmServer } from '../../src/soft-hsm';
import { makeTempDir, removeTempDir } from '../support/temp-dir';
import {
  PIN,
  User,
  type ConnectOptions,
  type HsmUnderTest,
  type StartHsm,
  type StartOptions,
} from './contract/context';

/** Short wrong-PIN delay: the contract checks the status, not libhal's 5 s (§4.5). */
const PIN_DELAY_MS = 20;

function connectTo(endpoint: Endpoint, options: ConnectOptions = {}): Promise<Hsm> {
  const pin = options.pin === undefined ? PIN : options.pin;
  return Hsm.connect({
    endpoint,
    ...(pin === null ? {} : { pin, user: options.user ?? User.NORMAL }),
    poolSize: options.poolSize ?? 2,
    timeoutMs: 20_000,
  });
}

async function newStateDir(options: StartOptions): Promise<string> {
  const dir = await makeTempDir('hsm-contract-');
  createSoftHsmState(join(dir, 'state'), { kek: options.kek, pin: PIN });
  return dir;
}

export const startInProcess: StartHsm = async (options) => {
  const dir = await newStateDir(options);
  const engine = SoftHsm.open(join(dir, 'state'), { rawExport: options.rawExport, pinDelayMs: PIN_DELAY_MS });
  let handle = 0x1000;
  const endpoint: Endpoint = {
    openSession: () => {
      const transport = inProcessTransport(engine, { handle: handle++ });
      return { call: transport, close: () => void transport.disconnect() };
    },
  };
  const hsm: HsmUnderTest = {
    connect: (o) => connectTo(endpoint, o),
    async stop() {
      engine.close();
      await removeTempDir(dir);
    },
  };
  return hsm;
};

async function startServer(
  options: StartOptions,
  listen: (dir: string) => { socketPath: string } | { port: 0 },
) {
  const dir = await newStateDir(options);
  const server = await startSoftHsmServer({
    stateDir: join(dir, 'state'),
    ...listen(dir),
    rawExport: options.rawExport,
    pinDelayMs: PIN_DELAY_MS,
  });
  const endpoint =
    server.address.type === 'unix'
      ? `unix:${server.address.path}`
      : `tcp://${server.address.host}:${server.address.port}`;
  const hsm: HsmUnderTest = {
    connect: (o) => connectTo(endpoint, o),
    async stop() {
      await server.close();
      await removeTempDir(dir);
    },
  };
  return { hsm, server, endpoint };
}

export const startUnixServer: StartHsm = async (options) =>
  (await startServer(options, (dir) => ({ socketPath: join(dir, 'muxd.rpc') }))).hsm;

export const startTcpServer: StartHsm = async (options) =>
  (await startServer(options, () => ({ port: 0 }))).hsm;

export { startServer };
