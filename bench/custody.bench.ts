/**
 * Custody service benchmarks (`npm run bench -- custody`).
 *
 * Setup:
 * - The service runs in this process as `npm start` runs it: SQLite ledger in a temporary data
 *   directory, the two demo soft HSMs served in this process on Unix sockets, HTTP on loopback.
 * - Key generation and the custody cycle are driven from this process with `fetch`, 8 requests in
 *   flight (each cycle is three fsynced ledger operations, so the client's cost hardly shows).
 * - The sign load comes from a child process (bench/http-load.ts), as an external client's would:
 *   plain HTTP/1.1 over 8 keep-alive connections, one request in flight on each, cycling through
 *   the first 48 keys (a working set the service keeps open handles for). `fetch` in this process would take about as much CPU per request as the service
 *   and run on the event loop being measured.
 * - The batch load (`custody.sign_batch`) comes from the same child: `POST /v1/sign` with 64 items
 *   cycling through the same 48 keys, one batch in flight on each of the 8 connections (the service
 *   signs up to 16 items of a batch at a time); its rate is signatures per second.
 * - Baseline: the same keys signed through the service's own HSM adapter client
 *   (`registry.withHsm`, handles opened beforehand), 8 in flight, from this process.
 * - After a warm-up of each, rounds alternate single REST signs, the baseline and batches, and each
 *   reports its median (and all its rounds), so a burst of load on a shared machine skews every
 *   side alike.
 * - Context: `custody.release_check.verify`, the release check alone (the P-256 verification every
 *   returned RSA/EC signature passes, the service's own call, 8 in flight) with the CPU it takes.
 */
import { createHash, createPublicKey, randomBytes } from 'node:crypto';
import { loadConfig } from '../src/app/config';
import { signatureVerifies } from '../src/app/custody/hsm-calls';
import { HsmRegistry } from '../src/app/hsm-registry/hsm-registry';
import { startServer } from '../src/server/server';
import { checked, startLoadGenerator, type LoadSpec } from './http-load';
import type { Emit } from './run';
import { perSecond, progress, round, tempDir, restCaller, median } from './util';

const CONCURRENCY = 8;
const KEYS = 200;
/**
 * Keys the sign phases use: a working set that fits the service's kept handles (64 per HSM) next
 * to the baseline's own open handles, within the HSM's 256 handle slots.
 */
const SIGN_KEYS = 48;
const ROUNDS = 7;
/** Per round: about a second of each side at the rates measured on the project's 2-core machine. */
const REST_SIGNS_PER_ROUND = 2_000;
const ADAPTER_SIGNS_PER_ROUND = 15_000;
const WARMUP_SIGNS = 3_000;
/** Items of one `POST /v1/sign` request. */
const BATCH = 64;
const BATCH_REQUESTS_PER_ROUND = 64;
const WARMUP_BATCHES = 32;
/** Verifications timed for `custody.release_check.verify` (after as many to warm up). */
const RELEASE_CHECKS = 10_000;

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

export async function custodyBenchmarks(emit: Emit): Promise<void> {
  const tmp = tempDir('custody');
  const token = randomBytes(24).toString('base64url');
  const server = await startServer(loadConfig({ KEYLEDGER_DATA_DIR: tmp.dir, KEYLEDGER_PORT: '0' }), {
    token,
    demoHsms: { pinDelayMs: 0 },
    logLevels: ['error'],
  });
  const load = startLoadGenerator();
  const call = restCaller(server.url, token);
  try {
    progress(`generating ${KEYS} EC P-256 keys on hsm-a`);
    const ids: string[] = [];
    await parallel(KEYS, async () =>
      ids.push((await call<KeyJson>('POST', '/v1/keys', { hsm: 'hsm-a', type: 'ec' })).keyId),
    );

    progress(`cycling ${KEYS} keys: raw export, delete, raw import`);
    const cycles = await parallel(KEYS, async (i) => {
      await call('POST', `/v1/keys/${ids[i]}/raw-export`, { hsm: 'hsm-a' });
      await call('DELETE', `/v1/keys/${ids[i]}/residency/hsm-a`);
      await call('POST', `/v1/keys/${ids[i]}/raw-import`, { hsm: 'hsm-a' });
    });
    emit({ metric: 'custody.cycle', value: cycles, unit: 'cycles/s', keys: KEYS, concurrency: CONCURRENCY });

    // Baseline: the service's own client for hsm-a, the keys' handles opened beforehand.
    const signIds = ids.slice(0, SIGN_KEYS);
    const registry = server.app.get(HsmRegistry);
    const hsmA = await registry.active('hsm-a');
    const digest = createHash('sha256').update(randomBytes(64)).digest();
    const handles = await registry.withHsm(hsmA, async (hsm) => {
      const out: number[] = [];
      for (const id of signIds) {
        const key = await call<KeyJson>('GET', `/v1/keys/${id}`);
        const name = key.holders.find((h) => h.kind === 'hsm' && h.hsm === 'hsm-a')?.hsmKeyName;
        if (!name) throw new Error(`key ${id} is not resident on hsm-a`);
        out.push(await hsm.open(name));
      }
      return out;
    });
    const adapterSigns = (n: number): Promise<number> =>
      registry.withHsm(hsmA, (hsm) => parallel(n, (i) => hsm.sign(handles[i % SIGN_KEYS], { data: digest })));

    const url = new URL(server.url);
    const data = randomBytes(64).toString('base64');
    const restSpec = (total: number): LoadSpec => ({
      host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
      port: Number(url.port),
      token,
      requests: signIds.map((id) => ({ method: 'POST', path: `/v1/keys/${id}/sign`, body: { data } })),
      total,
      connections: CONCURRENCY,
    });

    const batchBody = {
      items: Array.from({ length: BATCH }, (_, i) => ({ keyId: signIds[i % SIGN_KEYS], data })),
    };
    // A batch answers 200 whatever its items did: the load generator counts one with a failed item
    // as an error, and one batch through fetch first says which items failed, if any.
    const batchSpec = (requests: number): LoadSpec => ({
      ...restSpec(requests),
      requests: [{ method: 'POST', path: '/v1/sign', body: batchBody }],
      okBodyIncludes: '"failed":0}',
    });
    const sample = await call<{ signed: number; failed: number; items: unknown[] }>(
      'POST',
      '/v1/sign',
      batchBody,
    );
    if (sample.signed !== BATCH)
      throw new Error(
        `POST /v1/sign signed ${sample.signed} of ${BATCH} items: ${JSON.stringify(sample.items)}`,
      );
    const batchSigns = async (requests: number, what: string): Promise<number> => {
      const result = await load.run(batchSpec(requests));
      checked(result, what);
      return Math.round((result.completed * BATCH) / result.seconds);
    };

    progress(
      `warm-up: ${WARMUP_SIGNS} signs through the REST API (child process), ${WARMUP_SIGNS} through the adapter, ${WARMUP_BATCHES} batches of ${BATCH}`,
    );
    checked(await load.run(restSpec(WARMUP_SIGNS)), 'REST warm-up');
    await adapterSigns(WARMUP_SIGNS);
    await batchSigns(WARMUP_BATCHES, 'batch warm-up');

    progress(
      `${ROUNDS} alternating rounds: ${REST_SIGNS_PER_ROUND} signs through the REST API, ${ADAPTER_SIGNS_PER_ROUND} through the adapter directly (same HSM, same keys), ${BATCH_REQUESTS_PER_ROUND} batches of ${BATCH} through POST /v1/sign`,
    );
    const restRounds: number[] = [];
    const directRounds: number[] = [];
    const batchRounds: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      restRounds.push(checked(await load.run(restSpec(REST_SIGNS_PER_ROUND)), `REST round ${r + 1}`));
      directRounds.push(await adapterSigns(ADAPTER_SIGNS_PER_ROUND));
      batchRounds.push(await batchSigns(BATCH_REQUESTS_PER_ROUND, `batch round ${r + 1}`));
    }
    const rest = median(restRounds);
    const direct = median(directRounds);
    const batched = median(batchRounds);
    const floors = new Map<string, { value: number; rounds: number[] }>();
    // What the HTTP layer alone costs, with the same client: a public route and an authenticated
    // read that touch no HSM. Context for sign_resident, not a target.
    for (const [metric, path] of [
      ['custody.http.get_health', '/health'],
      ['custody.http.get_hsms', '/v1/hsms'],
    ] as const) {
      const spec = { ...restSpec(REST_SIGNS_PER_ROUND), requests: [{ method: 'GET', path }] };
      checked(await load.run(spec), `GET ${path} warm-up`);
      const rates: number[] = [];
      for (let r = 0; r < 3; r++) rates.push(checked(await load.run(spec), `GET ${path}`));
      floors.set(metric, { value: median(rates), rounds: rates });
    }
    // What the release check alone costs (docs/style.md §10): every RSA/EC signature the service
    // returns is first verified with the ledger's public key, as here (the same call, 8 in flight).
    const releaseCheck = await (async () => {
      const key = await call<KeyJson & { publicKey: string }>('GET', `/v1/keys/${signIds[0]}`);
      const signed = await call<{ signature: string }>('POST', `/v1/keys/${signIds[0]}/sign`, { data });
      const publicKey = createPublicKey({
        key: Buffer.from(key.publicKey, 'base64'),
        format: 'der',
        type: 'spki',
      });
      const message = Buffer.from(data, 'base64');
      const signature = Buffer.from(signed.signature, 'base64');
      const check = async () => {
        if (!(await signatureVerifies('ec', publicKey, message, signature)))
          throw new Error('the release check refused a signature the service returned');
      };
      await parallel(RELEASE_CHECKS, check);
      const cpu = process.cpuUsage();
      const rate = await parallel(RELEASE_CHECKS, check);
      const used = process.cpuUsage(cpu);
      return { rate, cpuUs: (used.user + used.system) / RELEASE_CHECKS };
    })();
    emit({
      metric: 'custody.release_check.verify',
      value: releaseCheck.rate,
      unit: 'verifies/s',
      // CPU of this process (all threads) per verification: what each returned signature costs on top.
      cpu_us_per_verify: round(releaseCheck.cpuUs, 1),
      concurrency: CONCURRENCY,
    });
    emit({
      metric: 'custody.adapter_baseline.sign',
      value: direct,
      unit: 'signs/s',
      concurrency: CONCURRENCY,
      rounds: directRounds,
    });
    emit({
      metric: 'custody.sign_resident',
      value: rest,
      unit: 'signs/s',
      ratio: round(rest / direct),
      // Issue 11: the custody work should cost less than the HTTP stack itself (target 0.6).
      ratio_to_http_floor: round(rest / floors.get('custody.http.get_hsms')!.value),
      concurrency: CONCURRENCY,
      rounds: restRounds,
    });
    emit({
      metric: 'custody.sign_batch',
      value: batched,
      unit: 'signs/s',
      ratio: round(batched / direct),
      batch: BATCH,
      concurrency: CONCURRENCY,
      rounds: batchRounds,
    });

    for (const [metric, floor] of floors)
      emit({
        metric,
        value: floor.value,
        unit: 'requests/s',
        concurrency: CONCURRENCY,
        rounds: floor.rounds,
      });
  } finally {
    await load.stop();
    await server.close();
    tmp.remove();
  }
}
