import { openSqliteEventStore, StreamDeleted, type EventStore } from '../../src/event-store';
import { chainedEventStore } from '../../src/event-store/chained-event-store';
import { copyLedger } from '../../src/event-store/ledger-copy';
import { openPostgresEventStore } from '../../src/event-store/postgres-event-store';
import { ledgerUrl, useTestDatabase } from '../support/postgres';
import { makeTempDir, removeTempDir } from '../support/temp-dir';

const database = useTestDatabase();

describe('copyLedger', () => {
  const open: EventStore[] = [];
  const dirs: string[] = [];
  const sqlite = async () => {
    const dir = await makeTempDir('kl-copy-');
    dirs.push(dir);
    const store = await openSqliteEventStore(dir);
    open.push(store);
    return store;
  };
  const postgres = async () => {
    const store = await openPostgresEventStore(ledgerUrl(database().url));
    open.push(store);
    return store;
  };
  afterEach(async () => {
    await Promise.all(open.splice(0).map((s) => s.close()));
    await Promise.all(dirs.splice(0).map((d) => removeTempDir(d)));
  });

  async function filled(): Promise<EventStore> {
    const source = await sqlite();
    const chained = chainedEventStore(source);
    await chained.append('key-1', [{ type: 'Made', data: { n: 1.5, s: 'é' } }]);
    await chained.append('blob-1', [{ type: 'Stored', data: { bytes: 'AAAA' } }]);
    await chained.append('key-1', [
      { type: 'Moved', data: { to: 'b' } },
      { type: 'Moved', data: { to: 'c' } },
    ]);
    await source.tombstone('blob-1');
    await chained.append('key-2', [{ type: 'Made', data: {} }]);
    return source;
  }

  it('copies SQLite into PostgreSQL and back: same events, same stored text, tombstones kept', async () => {
    const source = await filled();
    const middle = await postgres();
    const progress: number[] = [];
    const first = await copyLedger(source, middle, ({ copied }) => progress.push(copied));
    expect(first).toMatchObject({ events: 5, streams: 3, tombstoned: 1 });
    expect(progress.at(-1)).toBe(5);
    await expect(middle.readStream('blob-1')).rejects.toBeInstanceOf(StreamDeleted);
    const back = await sqlite();
    const second = await copyLedger(middle, back);
    expect(second.digest).toBe(first.digest);
    const strip = (events: Awaited<ReturnType<EventStore['readAll']>>) =>
      events.map(({ recordedAt: _, ...rest }) => rest);
    expect(strip(await back.readAll())).toEqual(strip(await source.readAll()));
    // The chain still links: appending through the decorator continues it.
    await chainedEventStore(back).append('key-1', [{ type: 'Moved', data: { to: 'd' } }]);
  });

  it('refuses a target that is not empty, and writes nothing to it', async () => {
    const source = await filled();
    const target = await postgres();
    await target.append('other', [{ type: 'There', data: {} }]);
    await expect(copyLedger(source, target)).rejects.toThrow('the target ledger is not empty');
    expect(await target.headPosition()).toBe(1);
  });
});
