import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { blob, hsm } from '../../domain';
import { StreamDeleted, type EventStore, type ReadStreamOptions } from '../../event-store';
import { openSqliteEventStore, type SqliteEventStore } from '../../event-store/sqlite-event-store';
import { appendDecision, foldStream, OpContext } from './append-decision';

const AT = '2026-01-01T00:00:00.000Z';
const registered = (name: string) => ({
  type: 'HsmRegistered',
  data: { hsmId: 'h1', name, endpoint: 'unix:/x', capacity: 10, kekDomainId: null, at: AT },
});
const tamper = (detail: string) => ({ type: 'ReportTamper' as const, data: { hsmId: 'h1', detail, at: AT } });
const ctx = () => new OpContext({ operatorId: 'spec', role: 'operator' }, { now: () => new Date(AT) });
const fold = (store: EventStore) => foldStream(store, 'hsm-h1', hsm.hsmDecider, hsm.isHsmEvent);
const decide = (store: EventStore, detail: string) =>
  appendDecision(store, 'hsm-h1', hsm.hsmDecider, hsm.isHsmEvent, tamper(detail), ctx(), AT);

/** Records the options of every stream read. */
function spyReads(store: EventStore): (ReadStreamOptions | undefined)[] {
  const reads: (ReadStreamOptions | undefined)[] = [];
  const readStream = store.readStream.bind(store);
  jest.spyOn(store, 'readStream').mockImplementation((stream, options) => {
    reads.push(options);
    return readStream(stream, options);
  });
  return reads;
}

/** The same ledger as a store this process does not write alone (as EventStoreDB is). */
function shared(store: SqliteEventStore): EventStore {
  return {
    kind: 'esdb',
    append: (...args) => store.append(...args),
    readStream: (...args) => store.readStream(...args),
    readAll: (...args) => store.readAll(...args),
    headPosition: () => store.headPosition(),
    subscribeToAll: (...args) => store.subscribeToAll(...args),
    tombstone: (...args) => store.tombstone(...args),
    close: () => store.close(),
  };
}

describe('foldStream (cached per store, caught up from the cached revision)', () => {
  let dir: string;
  let store: SqliteEventStore;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'keyledger-fold-'));
    store = await openSqliteEventStore(dir);
    await store.append('hsm-h1', [registered('a')]);
  });
  afterEach(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  describe('a ledger this process writes alone (SQLite)', () => {
    it('answers a current fold from memory, and after a decision reads only the new events, once', async () => {
      const first = await fold(store);
      expect(first).toMatchObject({ revision: 0, state: { status: 'active', tamper: null } });
      const reads = spyReads(store);
      expect(await fold(store)).toEqual(first);
      expect(reads).toEqual([]);

      await decide(store, 'lid');
      const second = await fold(store);
      expect(second.revision).toBe(1);
      expect(second.state).toMatchObject({ status: 'active', tamper: { detail: 'lid' } });
      expect(second.events.map((e) => e.revision)).toEqual([0, 1]);
      expect(await fold(store)).toEqual(second);
      // The decision's own fold was answered from memory; the first fold after it read revision 1 on.
      expect(reads).toEqual([{ fromRevision: 1 }]);
      // The earlier result is a value: later events did not change it.
      expect(first.events).toHaveLength(1);
      expect(first.state).toMatchObject({ tamper: null });
    });

    it('does not trust a read that a decision landed during', async () => {
      await fold(store);
      await decide(store, 'lid');
      // This read runs before the next decision is written, and returns after it.
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const readStream = store.readStream.bind(store);
      const spy = jest.spyOn(store, 'readStream').mockImplementationOnce(async (stream, options) => {
        const events = await readStream(stream, options);
        await gate;
        return events;
      });
      const slow = fold(store);
      await decide(store, 'probe');
      release();
      expect((await slow).revision).toBe(1);
      spy.mockRestore();
      const reads = spyReads(store);
      const after = await fold(store);
      expect(after.revision).toBe(2);
      expect(after.state).toMatchObject({ tamper: { detail: 'probe' } });
      expect(reads).toEqual([{ fromRevision: 2 }]);
    });

    it('decides again on a fresh read when another writer appended behind the cache', async () => {
      await fold(store);
      await store.append('hsm-h1', [
        { type: 'HsmReportedTamper', data: { hsmId: 'h1', detail: 'lid', at: AT } },
      ]);
      const reads = spyReads(store);
      const decided = await decide(store, 'probe');
      expect(decided.revision).toBe(2);
      expect(reads).toEqual([{ fromRevision: 1 }]);
      expect((await store.readStream('hsm-h1')).map((e) => (e.data as { detail?: string }).detail)).toEqual([
        undefined,
        'lid',
        'probe',
      ]);
      expect((await fold(store)).revision).toBe(2);
    });

    it('reports a stream tombstoned before the hash chain (a blob of a key destroyed then)', async () => {
      await store.append('blob-ab', [
        { type: 'BlobStored', data: { sha256: 'ab', keyId: 'k', kind: 'raw', bytesBase64: 'AA==', at: AT } },
      ]);
      await store.tombstone('blob-ab');
      await expect(foldStream(store, 'blob-ab', blob.blobDecider, blob.isBlobEvent)).rejects.toBeInstanceOf(
        StreamDeleted,
      );
    });
  });

  describe('a ledger other instances write too (EventStoreDB)', () => {
    it('asks the store on every fold, and so sees appends it did not make', async () => {
      const esdb = shared(store);
      expect((await fold(esdb)).revision).toBe(0);
      const reads = spyReads(esdb);
      expect((await fold(esdb)).revision).toBe(0);
      await store.append('hsm-h1', [
        { type: 'HsmReportedTamper', data: { hsmId: 'h1', detail: 'lid', at: AT } },
      ]);
      const second = await fold(esdb);
      expect(second.state).toMatchObject({ tamper: { detail: 'lid' } });
      expect(reads).toEqual([{ fromRevision: 1 }, { fromRevision: 1 }]);
    });
  });
});
