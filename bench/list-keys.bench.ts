/**
 * `custody.list_keys_10k`: `GET /v1/keys` on a ledger of 10,000 keys.
 *
 * The ledger is seeded directly through the store with the events the custody deciders make (a
 * registered HSM, 10,000 EC P-256 keys with labels, every other key raw-exported to a stored blob
 * and evicted), so the figure measures the read path, not key generation. The service then starts
 * on that data directory (no HSM is called by a list) and the request is timed from the load
 * generator's child process, one connection, one request in flight; the value is the median time
 * of one whole answer (about 10,000 key views) over several rounds.
 */
import { randomBytes } from 'node:crypto';
import { loadConfig } from '../src/app/config';
import { startServer } from '../src/server/server';
import { startLoadGenerator } from './http-load';
import type { Emit } from './run';
import { seedKeys } from './seed';
import { progress, round, tempDir } from './util';

export const LIST_KEYS = 10_000;
const ROUNDS = 7;
export async function listKeysBenchmark(emit: Emit): Promise<void> {
  const tmp = tempDir('list-keys');
  const token = randomBytes(24).toString('base64url');
  const load = startLoadGenerator();
  try {
    progress(`seeding a ledger with ${LIST_KEYS} keys (every other one raw-exported and evicted)`);
    await seedKeys(tmp.dir, LIST_KEYS);
    const server = await startServer(loadConfig({ KEYLEDGER_DATA_DIR: tmp.dir, KEYLEDGER_PORT: '0' }), {
      token,
      logLevels: ['error'],
    });
    try {
      const url = new URL(server.url);
      const spec = {
        host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
        port: Number(url.port),
        token,
        requests: [{ method: 'GET', path: '/v1/keys' }],
        total: 3,
        connections: 1,
      };
      const first = Date.now();
      const warm = await load.run({ ...spec, total: 1 });
      if (warm.errors > 0) throw new Error(`GET /v1/keys failed: ${warm.firstError}`);
      progress(
        `first GET /v1/keys answered after ${Date.now() - first} ms (read models catching up included)`,
      );
      const rounds: number[] = [];
      for (let r = 0; r < ROUNDS; r++) {
        const result = await load.run(spec);
        if (result.errors > 0) throw new Error(`GET /v1/keys failed: ${result.firstError}`);
        rounds.push(round((result.seconds * 1000) / result.completed, 1));
      }
      const sorted = [...rounds].sort((a, b) => a - b);
      emit({
        metric: 'custody.list_keys_10k',
        value: sorted[Math.floor(sorted.length / 2)],
        unit: 'ms',
        keys: LIST_KEYS,
        rounds,
      });
    } finally {
      await server.close();
    }
  } finally {
    await load.stop();
    tmp.remove();
  }
}
