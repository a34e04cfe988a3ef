import { createHash, randomBytes } from 'node:crypto';
import { loadConfig } from '../src/app/config';
import { HsmRegistry } from '../src/app/hsm-registry/hsm-registry';
import { startServer } from '../src/app/server';
import type { Emit } from './run';
import { perSecond, progress, round, tempDir } from './util';

const CONCURRENCY = 8;

interface KeyJson {
  keyId: string;
  holders: { kind: string; hsm?: string; hsmKeyName?: string }[];
}

async function parallel(n: number, op: (i: number) => Promise<unknown>): Promise<number> {
  let next = 0;
  const start = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      for (let i = next++; i < n; i = next++) await op(i);
    }),
  );
  return perSecond(n, start);
}

/**
 * The service as `npm start` runs it (SQLite ledger, demo soft HSMs on Unix sockets), driven over
 * HTTP on loopback with 8 requests in flight.
 */
export async function custodyBenchmarks(emit: Emit): Promise<void> {
  const tmp = tempDir('custody');
  const token = randomBytes(24).toString('base64url');
  const server = await startServer(loadConfig({ KEYLEDGER_DATA_DIR: tmp.dir, KEYLEDGER_PORT: '0' }), {
    token,
    demoHsms: { pinDelayMs: 0 },
    logLevels: ['error'],
  });
  const call = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const response = await fetch(`${server.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}: ${text}`);
    return (text ? JSON.parse(text) : undefined) as T;
  };
  try {
    const keys = 200;
    progress(`generating ${keys} EC P-256 keys on hsm-a`);
    const ids: string[] = [];
    await parallel(keys, async () =>
      ids.push((await call<KeyJson>('POST', '/v1/keys', { hsm: 'hsm-a', type: 'ec' })).keyId),
    );

    progress(`cycling ${keys} keys: raw export, delete, raw import`);
    const cycles = await parallel(keys, async (i) => {
      await call('POST', `/v1/keys/${ids[i]}/raw-export`, { hsm: 'hsm-a' });
      await call('DELETE', `/v1/keys/${ids[i]}/residency/hsm-a`);
      await call('POST', `/v1/keys/${ids[i]}/raw-import`, { hsm: 'hsm-a' });
    });
    emit({ metric: 'custody.cycle', value: cycles, unit: 'cycles/s', keys, concurrency: CONCURRENCY });

    const data = randomBytes(64).toString('base64');
    const signs = 4_000;
    progress(`${signs} signs through the REST API`);
    await parallel(200, (i) => call('POST', `/v1/keys/${ids[i % keys]}/sign`, { data }));
    const rest = await parallel(signs, (i) => call('POST', `/v1/keys/${ids[i % keys]}/sign`, { data }));

    progress(`${signs} signs through the adapter directly (same HSM, same keys)`);
    const registry = server.app.get(HsmRegistry);
    const hsmA = await registry.active('hsm-a');
    const digest = createHash('sha256').update(randomBytes(64)).digest();
    const handles = await registry.withHsm(hsmA, async (hsm) => {
      const out: number[] = [];
      for (const id of ids) {
        const key = await call<KeyJson>('GET', `/v1/keys/${id}`);
        const name = key.holders.find((h) => h.kind === 'hsm' && h.hsm === 'hsm-a')?.hsmKeyName;
        if (!name) throw new Error(`key ${id} is not resident on hsm-a`);
        out.push(await hsm.open(name));
      }
      return out;
    });
    const direct = await registry.withHsm(hsmA, (hsm) =>
      parallel(signs, (i) => hsm.sign(handles[i % keys], { data: digest })),
    );
    emit({
      metric: 'custody.adapter_baseline.sign',
      value: direct,
      unit: 'signs/s',
      concurrency: CONCURRENCY,
    });
    emit({
      metric: 'custody.sign_resident',
      value: rest,
      unit: 'signs/s',
      ratio: round(rest / direct),
      concurrency: CONCURRENCY,
    });
  } finally {
    await server.close();
    tmp.remove();
  }
}
