/**
 * `reports.inventory_100k`: `GET /v1/reports/inventory` on a ledger of about 100,000 events (33,000
 * EC keys seeded through the store by bench/seed.ts, every other one raw-exported and evicted: one
 * HSM registration, then per key 1 or 4 key events and a blob event). Every report is built by
 * folding the ledger from its first event (docs/architecture.md §7), so this is the cost of one
 * report at that size: the median of a few requests, JSON and as of half the ledger, and one CSV
 * and one HTML rendering.
 */
import { randomBytes } from 'node:crypto';
import { loadConfig } from '../src/app/config';
import { startServer } from '../src/server/server';
import type { Emit } from './run';
import { seedKeys } from './seed';
import { progress, round, tempDir, median } from './util';

const KEYS = 33_000;
const ROUNDS = 3;

async function timed(url: string, token: string): Promise<{ ms: number; bytes: number }> {
  const started = process.hrtime.bigint();
  const response = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`${url} answered ${response.status}: ${text.slice(0, 200)}`);
  return { ms: round(Number(process.hrtime.bigint() - started) / 1e6, 1), bytes: Buffer.byteLength(text) };
}

export async function reportsBenchmark(emit: Emit): Promise<void> {
  const tmp = tempDir('reports');
  const token = randomBytes(24).toString('base64url');
  try {
    progress(`seeding a ledger with ${KEYS} keys`);
    await seedKeys(tmp.dir, KEYS);
    const server = await startServer(loadConfig({ KEYLEDGER_DATA_DIR: tmp.dir, KEYLEDGER_PORT: '0' }), {
      token,
      logLevels: ['error'],
    });
    try {
      const head = ((await (await fetch(`${server.url}/health`)).json()) as { position: number }).position;
      const base = `${server.url}/v1/reports/inventory`;
      for (const [metric, url] of [
        ['reports.inventory_100k_json', base],
        ['reports.inventory_100k_json_as_of_half', `${base}?asOf=${Math.floor(head / 2)}`],
      ] as const) {
        const runs = [];
        for (let r = 0; r < ROUNDS; r++) runs.push(await timed(url, token));
        emit({
          metric,
          value: median(runs.map((x) => x.ms)),
          unit: 'ms',
          events: head,
          keys: KEYS,
          bytes: runs[0]!.bytes,
          rounds: runs.map((x) => x.ms),
        });
      }
      for (const format of ['csv', 'html']) {
        const run = await timed(`${base}?format=${format}`, token);
        emit({
          metric: `reports.inventory_100k_${format}`,
          value: run.ms,
          unit: 'ms',
          events: head,
          bytes: run.bytes,
        });
      }
    } finally {
      await server.close();
    }
  } finally {
    tmp.remove();
  }
}
