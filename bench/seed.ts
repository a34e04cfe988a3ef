/**
 * Seeds a fresh ledger straight through the store with the events the custody deciders make, so a
 * benchmark or a test gets thousands of keys in a second instead of generating them on an HSM: one
 * registered HSM (`hsm-a`, never reached), `count` EC P-256 keys labelled `bench key <i>`, every
 * other one raw-exported to a stored blob and evicted. Used by the list-keys and reports benchmarks
 * and by the reports' HTML acceptance test (test/e2e/reports-html.e2e.spec.ts).
 */
import { createHash, generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { CUSTODY_KEY_FLAGS } from '../src/app/custody/hsm-calls';
import { blob, hsm, key, streamName } from '../src/domain';
import { openSqliteEventStore, type EventStore, type JsonObject } from '../src/event-store';
import { chainedEventStore } from '../src/event-store/chained-event-store';

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
            metadata: { operatorId: 'bench', at: (e.data as { at: string }).at },
          })),
          { expectedRevision: 'no_stream' },
        ),
      ),
    );
  }
}

/** Writes the HSM and `count` key histories into a fresh ledger under `dataDir`; returns the key ids in order. */
export async function seedKeys(dataDir: string, count: number): Promise<string[]> {
  // Chained, as the service writes: the service refuses a ledger written before the chain.
  const store = chainedEventStore(await openSqliteEventStore(dataDir));
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
    const ids: string[] = [];
    const blobs: Decided[] = [];
    for (let i = 0; i < count; i++) {
      const keyId = randomUUID();
      ids.push(keyId);
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
    return ids;
  } finally {
    await store.close();
  }
}
