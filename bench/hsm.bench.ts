import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Curve, KeyFlag, User } from '../src/hsm-adapter/constants';
import { Hsm } from '../src/hsm-adapter/hsm';
import { lmsBenchmarks } from './lms';
import type { Emit } from './run';
import { perSecond, progress, round, tempDir } from './util';

const ROOT = path.resolve(__dirname, '..');
const PIN = 'bench-pin-1234';
/** Signing connections: one request in flight on each keeps the server busy while replies travel. */
const CONNECTIONS = 8;
const ROUNDS = 7;
const PER_ROUND = 3_000;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function cli(args: string[]): ChildProcess {
  return spawn(process.execPath, ['-r', '@swc-node/register', path.join(ROOT, 'src/cli/main.ts'), ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
}

async function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => child.on('exit', (code) => resolve(code)));
}

/** The soft HSM runs in its own process (as it would beside muxd), so client and server each have a core. */
async function startSoftHsm(dir: string): Promise<{ socket: string; stop(): Promise<void> }> {
  const state = path.join(dir, 'hsm');
  const socket = path.join(dir, 'hsm.sock');
  const init = cli(['soft-hsm', 'init', '--state', state, '--kek-generate', '--pin', PIN]);
  if ((await exited(init)) !== 0) throw new Error('soft-hsm init failed');
  const server = cli(['soft-hsm', 'serve', '--state', state, '--socket', socket, '--pin-delay-ms', '0']);
  for (let i = 0; i < 300 && !fs.existsSync(socket); i++) await new Promise((r) => setTimeout(r, 50));
  if (!fs.existsSync(socket)) throw new Error('soft-hsm serve did not create its socket');
  return {
    socket,
    stop: async () => {
      server.kill('SIGTERM');
      await exited(server);
    },
  };
}

async function timed(n: number, concurrency: number, op: () => Promise<unknown>): Promise<number> {
  let next = 0;
  const start = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next++ < n) await op();
    }),
  );
  return perSecond(n, start);
}

export async function hsmBenchmarks(emit: Emit): Promise<void> {
  const tmp = tempDir('hsm');
  const soft = await startSoftHsm(tmp.dir);
  const hsm = await Hsm.connect({
    endpoint: `unix:${soft.socket}`,
    user: User.NORMAL,
    pin: PIN,
    poolSize: CONNECTIONS,
  });
  try {
    progress('GET_VERSION round trips over a Unix socket, one connection');
    const version = await timed(20_000, 1, () => hsm.getVersion());
    emit({ metric: 'hsm.rpc.get_version', value: version, unit: 'round trips/s', connections: 1 });

    // Rounds alternate between the HSM and node:crypto and each side reports its median, so a burst of
    // load on this shared 2-core machine skews both sides alike instead of one.
    progress(
      `ECDSA P-256 signs: ${ROUNDS} alternating rounds of ${PER_ROUND} through the socket (${CONNECTIONS} connections) and with node:crypto`,
    );
    const key = await hsm.generateEc(Curve.P256, KeyFlag.USAGE_DIGITALSIGNATURE | KeyFlag.TOKEN);
    const digest = createHash('sha256').update('keyledger bench').digest();
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const message = randomBytes(64);
    await timed(500, CONNECTIONS, () => hsm.sign(key.handle, { data: digest })); // warm-up
    const rpcRounds: number[] = [];
    const nodeRounds: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      rpcRounds.push(await timed(PER_ROUND, CONNECTIONS, () => hsm.sign(key.handle, { data: digest })));
      nodeRounds.push(
        await timed(PER_ROUND, 1, async () =>
          sign('sha256', message, { key: privateKey, dsaEncoding: 'ieee-p1363' }),
        ),
      );
    }
    const rpcSigns = median(rpcRounds);
    const nodeSigns = median(nodeRounds);
    emit({ metric: 'node.ecdsa_p256.sign', value: nodeSigns, unit: 'signs/s', rounds: nodeRounds });
    emit({
      metric: 'hsm.ecdsa_p256.sign_rpc',
      value: rpcSigns,
      unit: 'signs/s',
      ratio: round(rpcSigns / nodeSigns),
      connections: CONNECTIONS,
      rounds: rpcRounds,
    });
    await hsm.delete(key.handle);
  } finally {
    await hsm.disconnect();
    await soft.stop();
    tmp.remove();
  }
  lmsBenchmarks(emit);
}
