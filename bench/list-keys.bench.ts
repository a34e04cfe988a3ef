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
import { createHash, generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { loadConfig } from '../src/app/config';
import { CUSTODY_KEY_FLAGS } from '../src/app/custody/hsm-calls';
import { blob, hsm, key, streamName } from '../src/domain';
import { openSqliteEventStore, type EventStore, type JsonObject } from '../src/event-store';
import { startServer } from '../src/server/server';
import { startLoadGenerator } from './http-load';
import type { Emit } from './run';
import { progress, round, tempDir } from './util';

export const LIST_KEYS = 10_000;
const ROUNDS = 7;
const APPEND_BATCH = 256;

type Decided = { stream: string; events: { type: string; data: object }[] };

function decided<S, C extends { type: string }, E extends { type: string; data: object }>(
  decider: { decide(c: C, s: S): readonly E[]; evolve(s: S, e: E): S; initialState(): S },
  stream: string,
  commands: C[],
): Decided {
  let state = decider.initialState();
  const events: E[] = [];
  for (const command of commands) {
    const out = decider.decide(command, state);
    for (const e of out) state = decider.evolve(state, e);
    events.push(...out);
  }
  return { stream, events };
}

async function appendAll(store: EventStore, items: Decided[]): Promise<void> {
  for (let i = 0; i < items.length; i += APPEND_BATCH) {
    await Promise.all(
      items.slice(i, i + APPEND_BATCH).map((d) =>
        store.append(
          d.stream,
          d.events.map((e) => ({
            type: e.type,
            data: e.data as JsonObject,
            metadata: { operatorId: 'bench', at: new Date(0).toISOString() },
          })),
          { expectedRevision: 'no_stream' },
        ),
      ),
    );
  }
}

/** Writes the HSM and `LIST_KEYS` key histories into a fresh ledger under `dataDir`. */
export async function seed(dataDir: string): Promise<void> {
  const store = await openSqliteEventStore(dataDir);
  try {
    const hsmId = randomUUID();
    const at = new Date(Date.UTC(2026, 11, 1)).toISOString();
    await appendAll(store, [
      decided(hsm.hsmDecider, streamName('hsm', hsmId), [
        {
          type: 'RegisterHsm',
          data: { hsmId, name: 'hsm-a', endpoint: 'unix:/nowhere.sock', capacity: 1000, at },
        },
      ]),
    ]);
    const keys: Decided[] = [];
    const blobs: Decided[] = [];
    for (let i = 0; i < LIST_KEYS; i++) {
      const keyId = randomUUID();
      const spki = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({
        type: 'spki',
        format: 'der',
      });
      const commands: key.KeyCommand[] = [
        {
          type: 'RecordGeneratedKey',
          data: {
            keyId,
            hsmId,
            hsmName: randomUUID(),
            flags: CUSTODY_KEY_FLAGS,
            publicKey: spki.toString('base64'),
            attributes: { 3: Buffer.from(`bench key ${i}`).toString('base64') },
            copyId: 'c0',
            at,
            keyType: 'ec',
            params: { curve: 'P-256' },
          },
        },
      ];
      if (i % 2 === 1) {
        const bytes = randomBytes(160);
        const sha256 = createHash('sha256').update(bytes).digest('hex');
        const opId = randomUUID();
        blobs.push(
          decided(blob.blobDecider, streamName('blob', sha256), [
            {
              type: 'StoreBlob',
              data: { sha256, keyId, bytesBase64: bytes.toString('base64'), kind: 'raw', at },
            },
          ]),
        );
        commands.push(
          { type: 'StartRawExport', data: { keyId, opId, hsmId, hsmKekDomainId: 'kd-bench', at } },
          {
            type: 'CompleteRawExport',
            data: {
              keyId,
              opId,
              blobSha256: sha256,
              kekDomainId: 'kd-bench',
              storedBlob: { sha256, keyId, kind: 'raw' },
              at,
            },
          },
          { type: 'RecordDeletedFromHsm', data: { keyId, hsmId, reason: 'evicted after raw export', at } },
        );
      }
      keys.push(decided(key.keyDecider, streamName('key', keyId), commands));
    }
    await appendAll(store, blobs);
    await appendAll(store, keys);
  } finally {
    await store.close();
  }
}

export async function listKeysBenchmark(emit: Emit): Promise<void> {
  const tmp = tempDir('list-keys');
  const token = randomBytes(24).toString('base64url');
  const load = startLoadGenerator();
  try {
    progress(`seeding a ledger with ${LIST_KEYS} keys (every other one raw-exported and evicted)`);
    await seed(tmp.dir);
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
