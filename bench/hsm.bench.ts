import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Curve, KeyFlag, User } from '../src/hsm-adapter/constants';
import { Hsm } from '../src/hsm-adapter/hsm';
import { lmsBenchmarks } from './lms';
import type { Emit } from './run';
import { perSecond, progress, round, splitCpus, tempDir, type CpuSplit, median } from './util';

const ROOT = path.resolve(__dirname, '..');
const PIN = 'bench-pin-1234';
/** Signing connections: one request in flight on each keeps the server busy while replies travel. */
const CONNECTIONS = 8;
const ROUNDS = 7;
const PER_ROUND = 3_000;

function cli(args: string[], cpus?: CpuSplit): ChildProcess {
  const argv = ['-r', '@swc-node/register', path.join(ROOT, 'src/cli/main.ts'), ...args];
  const [command, commandArgs] = cpus ? cpus.wrap(process.execPath, argv) : [process.execPath, argv];
  return spawn(command, commandArgs, { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
}

async function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => child.on('exit', (code) => resolve(code)));
}

/**
 * The soft HSM runs in its own process (as it would beside muxd), on a CPU of its own when the
 * machine has two or more (see splitCpus), like an HSM with its own processor.
 */
async function startSoftHsm(
  dir: string,
  cpus?: CpuSplit,
): Promise<{ socket: string; stop(): Promise<void> }> {
  const state = path.join(dir, 'hsm');
  const socket = path.join(dir, 'hsm.sock');
  const init = cli(['soft-hsm', 'init', '--state', state, '--kek-generate', '--pin', PIN]);
  if ((await exited(init)) !== 0) throw new Error('soft-hsm init failed');
  const server = cli(
    ['soft-hsm', 'serve', '--state', state, '--socket', socket, '--pin-delay-ms', '0'],
    cpus,
  );
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
  const cpus = splitCpus();
  const placement = cpus
    ? { hsmCpus: cpus.server, benchCpus: cpus.client }
    : { hsmCpus: 'any', benchCpus: 'any' };
  progress(
    cpus
      ? `soft HSM pinned to CPU ${cpus.server}, this process to CPU ${cpus.client}`
      : 'soft HSM and this process share all CPUs (KEYLEDGER_BENCH_PIN=0, no taskset, or one CPU)',
  );
  const soft = await startSoftHsm(tmp.dir, cpus);
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
    // Warm-up: both processes' JITs take a few thousand signs to reach their steady state.
    await timed(5 * PER_ROUND, CONNECTIONS, () => hsm.sign(key.handle, { data: digest }));
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
      ...placement,
      rounds: rpcRounds,
    });
    await hsm.delete(key.handle);
  } finally {
    await hsm.disconnect();
    await soft.stop();
    cpus?.restore();
    tmp.remove();
  }
  lmsBenchmarks(emit);
}
