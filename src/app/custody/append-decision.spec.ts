import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { blob, hsm } from '../../domain';
import { StreamDeleted } from '../../event-store';
import { openSqliteEventStore, type SqliteEventStore } from '../../event-store/sqlite-event-store';
import { foldStream } from './append-decision';

const registered = (name: string) => ({
  type: 'HsmRegistered',
  data: { hsmId: 'h1', name, endpoint: 'unix:/x', capacity: 10, kekDomainId: null, at: '2026-01-01T00:00:00.000Z' },
});

describe('foldStream (cached per store, caught up from the cached revision)', () => {
  let dir: string;
  let store: SqliteEventStore;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'keyledger-fold-'));
    store = await openSqliteEventStore(dir);
  });
  afterEach(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('sees events appended after a cached fold, and only reads the new ones', async () => {
    await store.append('hsm-h1', [registered('a')]);
    const first = await foldStream(store, 'hsm-h1', hsm.hsmDecider, hsm.isHsmEvent);
    expect(first).toMatchObject({ revision: 0, state: { status: 'active', tamper: null } });

    const reads: unknown[] = [];
    const readStream = store.readStream.bind(store);
    jest.spyOn(store, 'readStream').mockImplementation((stream, options) => {
      reads.push(options);
      return readStream(stream, options);
    });
    expect(await foldStream(store, 'hsm-h1', hsm.hsmDecider, hsm.isHsmEvent)).toEqual(first);
    await store.append('hsm-h1', [{ type: 'HsmReportedTamper', data: { hsmId: 'h1', detail: 'lid', at: '2026-01-02T00:00:00.000Z' } }]);
    const second = await foldStream(store, 'hsm-h1', hsm.hsmDecider, hsm.isHsmEvent);
    expect(second.revision).toBe(1);
    expect(second.state).toMatchObject({ status: 'active', tamper: { detail: 'lid' } });
    expect(second.events.map((e) => e.revision)).toEqual([0, 1]);
    expect(reads).toEqual([{ fromRevision: 1 }, { fromRevision: 1 }]);
    // The earlier result is a value: later events did not change it.
    expect(first.events).toHaveLength(1);
    expect(first.state).toMatchObject({ tamper: null });
  });

  it('still reports a tombstoned stream', async () => {
    await store.append('blob-ab', [
      { type: 'BlobStored', data: { sha256: 'ab', keyId: 'k', kind: 'raw', bytesBase64: 'AA==', at: '2026-01-01T00:00:00.000Z' } },
    ]);
    expect((await foldStream(store, 'blob-ab', blob.blobDecider, blob.isBlobEvent)).state.status).toBe('stored');
    await store.tombstone('blob-ab');
    await expect(foldStream(store, 'blob-ab', blob.blobDecider, blob.isBlobEvent)).rejects.toBeInstanceOf(StreamDeleted);
  });
});
