/**
 * `npm run bench -- paging`: the key paging policy (docs/architecture.md §4 "Key paging").
 *
 * - `paging.zipf_hit_rate`: W-TinyLFU's hit rate (the share of requests served without a page-in) on
 *   issue 11's trace, Zipf(1.0) over 10,000 keys, 100,000 requests, 500 slots, seed 11 (the trace of
 *   src/domain/paging/hit-rate.spec.ts). `ratio` is against Belady's MIN on the same trace, the
 *   offline optimum; LRU's figures ride along. Deterministic: the same numbers on every machine.
 * - `paging.throughput`: signs/s over REST (8 keep-alive connections from a child process) with
 *   Zipf(1.0) popularity over 2,000 EC keys on one HSM of 200 slots, the service paging as needed;
 *   `ratio` against the same load over keys that are all resident (no paging), rounds alternating,
 *   medians. `hit_rate` is the share of the paging rounds' requests that needed no page-in, counted
 *   from the ledger's page-in events.
 */
import { randomBytes } from 'node:crypto';
import { loadConfig } from '../src/app/config';
import { EVENT_STORE } from '../src/app/tokens';
import type { EventStore } from '../src/event-store';
import { paging } from '../src/domain';
import { startServer } from '../src/server/server';
import { checked, startLoadGenerator, type LoadSpec } from './http-load';
import type { Emit } from './run';
import { progress, round, tempDir, restCaller, median } from './util';

const TRACE = { keys: 10_000, requests: 100_000, exponent: 1, seed: 11 } as const;
const CAPACITY = 500;
const TARGET = 0.85;

export async function pagingPolicyBenchmarks(emit: Emit): Promise<void> {
  progress(
    `Zipf(${TRACE.exponent}) trace: ${TRACE.keys} keys x ${TRACE.requests} requests, ${CAPACITY} slots`,
  );
  const trace = paging.zipfTrace(TRACE);
  const belady = paging.hitRate(paging.belady(trace, CAPACITY));
  const wTinyLfu = paging.hitRate(paging.simulate(paging.createPolicy('w-tinylfu', CAPACITY), trace));
  const lru = paging.hitRate(paging.simulate(paging.createPolicy('lru', CAPACITY), trace));
  emit({
    metric: 'paging.zipf_hit_rate',
    value: round(wTinyLfu, 4),
    unit: 'fraction',
    ratio: round(wTinyLfu / belady),
    belady: round(belady, 4),
    lru: round(lru, 4),
    lru_ratio: round(lru / belady),
    keys: TRACE.keys,
    requests: TRACE.requests,
    capacity: CAPACITY,
    exponent: TRACE.exponent,
    seed: TRACE.seed,
    target: TARGET,
  });
}

const LIVE = { keys: 2_000, capacity: 200, exponent: 1, requestsPerRound: 4_000, rounds: 3, connections: 8 };

/** The service as `npm start` runs it, one demo HSM of LIVE.capacity slots, the pager on. */
export async function pagingThroughputBenchmark(emit: Emit): Promise<void> {
  const tmp = tempDir('paging');
  const token = randomBytes(24).toString('base64url');
  const server = await startServer(loadConfig({ KEYLEDGER_DATA_DIR: tmp.dir, KEYLEDGER_PORT: '0' }), {
    token,
    demoHsms: { pinDelayMs: 0, capacity: LIVE.capacity },
    logLevels: ['error'],
  });
  const load = startLoadGenerator();
  const call = restCaller(server.url, token);
  try {
    // One HSM: the demo's second leaves its KEK domain (recorded as zeroized).
    await call('POST', '/v1/hsms/hsm-b/zeroized');
    progress(`generating ${LIVE.keys} EC keys on hsm-a (${LIVE.capacity} slots: the pager pages keys out)`);
    const ids: string[] = new Array<string>(LIVE.keys);
    let next = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < LIVE.keys) {
          const i = next++;
          ids[i] = (await call<{ keyId: string }>('POST', '/v1/keys', { hsm: 'hsm-a', type: 'ec' })).keyId;
        }
      }),
    );
    const url = new URL(server.url);
    const data = randomBytes(32).toString('base64');
    const spec = (keyIds: readonly string[]): LoadSpec => ({
      host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
      port: Number(url.port),
      token,
      requests: keyIds.map((id) => ({ method: 'POST', path: `/v1/keys/${id}/sign`, body: { data } })),
      total: keyIds.length,
      connections: LIVE.connections,
    });
    // Page-ins of a round: KeyRawImportStarted events with reason paging after `from`.
    const store = server.app.get<EventStore>(EVENT_STORE);
    const pageInsSince = async (from: number): Promise<number> => {
      let count = 0;
      for (let at = from; ;) {
        const page = await store.readAll({ fromPosition: at, maxCount: 4096 });
        if (page.length === 0) return count;
        for (const e of page) if (e.type === 'KeyRawImportStarted' && e.data.reason === 'paging') count++;
        at = page[page.length - 1]!.position;
      }
    };

    const pagingRounds: number[] = [];
    const residentRounds: number[] = [];
    let requests = 0;
    let misses = 0;
    for (let r = -1; r < LIVE.rounds; r++) {
      const trace = paging
        .zipfTrace({
          keys: LIVE.keys,
          requests: LIVE.requestsPerRound,
          exponent: LIVE.exponent,
          seed: 100 + r,
        })
        .map((name) => ids[Number(name.slice(4))]!);
      const head = await store.headPosition();
      progress(
        `round ${r + 2}/${LIVE.rounds + 1}: ${trace.length} Zipf signs (paging), then as many over resident keys`,
      );
      const paged = checked(await load.run(spec(trace)), 'paging round');
      const after = await call<{ keys: Record<string, unknown> }>('GET', '/v1/hsms/hsm-a/keys');
      // Resident keys only: the ones hsm-a holds now, in the same Zipf order of popularity.
      const resident = Object.keys(after.keys).filter((k) => ids.includes(k));
      const residentTrace = paging
        .zipfTrace({
          keys: resident.length,
          requests: LIVE.requestsPerRound,
          exponent: LIVE.exponent,
          seed: 200 + r,
        })
        .map((name) => resident[Number(name.slice(4))]!);
      const direct = checked(await load.run(spec(residentTrace)), 'resident round');
      if (r < 0) continue; // warm-up
      pagingRounds.push(paged);
      residentRounds.push(direct);
      requests += trace.length;
      misses += await pageInsSince(head);
    }
    const value = median(pagingRounds);
    const baseline = median(residentRounds);
    emit({
      metric: 'paging.throughput',
      value,
      unit: 'signs/s',
      ratio: round(value / baseline),
      baseline,
      keys: LIVE.keys,
      capacity: LIVE.capacity,
      requests,
      hit_rate: round(1 - misses / requests, 4),
      connections: LIVE.connections,
      rounds: { paging: pagingRounds, resident: residentRounds },
      target: 0.5,
    });
  } finally {
    await load.stop();
    await server.close();
    tmp.remove();
  }
}
