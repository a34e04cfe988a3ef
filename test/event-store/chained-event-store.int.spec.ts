/**
 * The hash chain's decorator over the real SQLite store (docs/architecture.md §6.1): it passes the
 * event-store contract, every ledger it leaves checks clean, a ledger file altered behind its back
 * is caught at the first bad position, and concurrent appenders never fork a chain.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { checkChain, type ChainFinding } from '../../src/audit/chain';
import {
  InvalidEventStoreArgument,
  LEDGER_FILE_NAME,
  LedgerUnavailable,
  WrongExpectedRevision,
  openSqliteEventStore,
  type EventStore,
  type SqliteEventStore,
} from '../../src/event-store';
import { chainedEventStore, MAX_CHAIN_ATTEMPTS } from '../../src/event-store/chained-event-store';
import { makeTempDir, removeTempDir } from '../support/temp-dir';
import { ascending, event, events, readEverything } from './contract/helpers';
import { describeEventStoreContract } from './event-store.contract';

/** What the chain shows of the ledger in `dir`, read by a store of its own (positions are dense). */
async function chainFindings(dir: string): Promise<ChainFinding[]> {
  const store = await openSqliteEventStore(dir);
  try {
    return checkChain(await readEverything(store), { densePositions: true });
  } finally {
    await store.close();
  }
}

/** The store with the port's methods only: the decorator then appends events as objects, as on EventStoreDB. */
function portOnly(store: EventStore): EventStore {
  return {
    kind: store.kind,
    append: (...args) => store.append(...args),
    readStream: (...args) => store.readStream(...args),
    readAll: (...args) => store.readAll(...args),
    headPosition: () => store.headPosition(),
    subscribeToAll: (...args) => store.subscribeToAll(...args),
    tombstone: (...args) => store.tombstone(...args),
    close: () => store.close(),
  };
}

describe.each([
  ['SqliteEventStore', (store: SqliteEventStore): EventStore => store],
  ['SqliteEventStore through the port only', portOnly],
])('chainedEventStore(%s)', (_name, inner) => {
  describeEventStoreContract(
    'the',
    async () => {
      const dir = await makeTempDir('keyledger-chained-contract-');
      const store = chainedEventStore(inner(await openSqliteEventStore(dir)));
      return {
        store,
        async cleanup() {
          await store.close();
          try {
            // Whatever the test did (races, refusals, tombstones), every event it left is linked.
            expect(await chainFindings(dir)).toEqual([]);
          } finally {
            await removeTempDir(dir);
          }
        },
      };
    },
    { chained: true },
  );
});

let dir: string;
let sqlite: SqliteEventStore;
let store: EventStore;

beforeEach(async () => {
  dir = await makeTempDir('keyledger-chained-');
  sqlite = await openSqliteEventStore(dir);
  store = chainedEventStore(sqlite);
});

afterEach(async () => {
  await store.close();
  await removeTempDir(dir);
});

describe('an append through the chain', () => {
  it('links each event to the one before it in its stream, and the first to null', async () => {
    await store.append('key-1', events(2));
    await store.append('key-2', [event('Other')]);
    await store.append('key-1', [event('Third')], { expectedRevision: 1 });
    const read = await readEverything(store);
    const byPosition = (p: number) => read[p - 1]!.metadata;
    expect(read.map((e) => [e.streamName, e.revision, e.metadata.prevHash])).toEqual([
      ['key-1', 0, null],
      ['key-1', 1, byPosition(1).hash],
      ['key-2', 0, null],
      ['key-1', 2, byPosition(2).hash],
    ]);
    expect(checkChain(read, { densePositions: true })).toEqual([]);
  });

  it.each(['hash', 'prevHash'])(
    'refuses caller metadata that carries "%s", and appends nothing',
    async (field) => {
      const append = store.append('key-1', [event('A'), event('B', {}, { operatorId: 'x', [field]: 'ab' })]);
      await expect(append).rejects.toBeInstanceOf(InvalidEventStoreArgument);
      await expect(append).rejects.toThrow(`"events[1].metadata.${field}" expected absent`);
      expect(await store.headPosition()).toBe(0);
    },
  );

  it('hashes what is read back: undefined members dropped, a Date as its ISO text', async () => {
    const at = new Date(Date.UTC(2026, 0, 2));
    await store.append('key-1', [
      { type: 'A', data: { gone: undefined, at } as never, metadata: { note: undefined } },
    ]);
    const [read] = await store.readStream('key-1');
    expect(read!.data).toEqual({ at: at.toISOString() });
    expect(checkChain([read!], { densePositions: true })).toEqual([]);
  });

  it("refuses what the store refuses, with the store's message", async () => {
    const append = store.append('key-1', [event('A'), { type: 'B', data: { n: 1n } as never }]);
    await expect(append).rejects.toBeInstanceOf(InvalidEventStoreArgument);
    await expect(append).rejects.toThrow('"events[1].data" expected JSON-serialisable');
  });

  it('checks the events before the stream, as the store does: a malformed event is refused first', async () => {
    const append = store.append('key-1', [{ type: 'A', data: [1] as never }], { expectedRevision: 5 });
    await expect(append).rejects.toBeInstanceOf(InvalidEventStoreArgument);
    await expect(append).rejects.toThrow('"events[0].data" expected a plain object');
  });

  it('refuses to link to an event written without a hash, naming its stream and position', async () => {
    await sqlite.append('key-1', [event('Old')]);
    const append = store.append('key-1', [event('New')], { expectedRevision: 0 });
    await expect(append).rejects.toBeInstanceOf(LedgerUnavailable);
    await expect(append).rejects.toThrow(
      'stream "key-1" ends with an event without a hash (revision 0, position 1)',
    );
  });
});

describe('another writer on the same ledger file', () => {
  let other: EventStore;
  beforeEach(async () => {
    other = chainedEventStore(await openSqliteEventStore(dir));
  });
  afterEach(() => other.close());

  it('leaves this store a cache that is behind: an append expecting a revision reads the tail it links to', async () => {
    await store.append('key-1', events(2));
    await other.append('key-1', events(2), { expectedRevision: 1 });
    await store.append('key-1', [event('Mine')], { expectedRevision: 3 });
    expect(await chainFindings(dir)).toEqual([]);
  });

  it.each(['any', 'stream_exists'] as const)(
    'an append expecting %s loses its first race, reads the tail and lands after it',
    async (expectedRevision) => {
      await store.append('key-1', events(2));
      await other.append('key-1', events(2), { expectedRevision: 1 });
      const appended = jest.spyOn(sqlite, 'appendEncoded');
      expect(await store.append('key-1', [event('Mine')], { expectedRevision })).toEqual({
        nextExpectedRevision: 4,
        position: 5,
      });
      // First against the revision it remembered (1), then against the one it read (3).
      expect(appended.mock.calls.map(([, , options]) => options?.expectedRevision)).toEqual([1, 3]);
      expect(await chainFindings(dir)).toEqual([]);
    },
  );
});

describe('an append expecting any that keeps losing', () => {
  it(`gives up after ${MAX_CHAIN_ATTEMPTS} attempts with WrongExpectedRevision, as the caller asked`, async () => {
    await store.append('key-1', events(1));
    const appended = jest
      .spyOn(sqlite, 'appendEncoded')
      .mockRejectedValue(new WrongExpectedRevision('key-1', 0, 7));
    const append = store.append('key-1', [event('Late')], { expectedRevision: 'any' });
    await expect(append).rejects.toMatchObject({
      type: 'wrong-expected-revision',
      expected: 'any',
      actual: 7,
    });
    expect(appended).toHaveBeenCalledTimes(MAX_CHAIN_ATTEMPTS);
  });
});

describe('concurrent appenders', () => {
  const APPENDERS = 64;
  const EACH = 10;

  it(`${APPENDERS} on distinct streams: all handed to the store at once (one group commit), every chain intact`, async () => {
    let inFlight = 0;
    let most = 0;
    const append = sqlite.appendEncoded.bind(sqlite);
    jest.spyOn(sqlite, 'appendEncoded').mockImplementation(async (...args) => {
      most = Math.max(most, ++inFlight);
      try {
        return await append(...args);
      } finally {
        inFlight--;
      }
    });
    await Promise.all(
      ascending(APPENDERS).map(async (w) => {
        for (let i = 0; i < EACH; i++) {
          await store.append(`key-${w}`, [event('Noted', { w, i })], {
            expectedRevision: i === 0 ? 'no_stream' : 'any',
          });
        }
      }),
    );
    expect(most).toBe(APPENDERS);
    expect(await store.headPosition()).toBe(APPENDERS * EACH);
    expect(await chainFindings(dir)).toEqual([]);
  });

  it.each(['any', 'stream_exists'] as const)(
    `${APPENDERS} on one stream expecting %s: every append lands, on one unforked chain`,
    async (expectedRevision) => {
      await store.append('key-hot', [event('First')]);
      const results = await Promise.all(
        ascending(APPENDERS).map((w) =>
          store.append('key-hot', [event('Noted', { w })], { expectedRevision }),
        ),
      );
      expect(results.map((r) => r.nextExpectedRevision).sort((a, b) => a - b)).toEqual(
        ascending(APPENDERS, 1),
      );
      const stream = await store.readStream('key-hot');
      expect(stream.map((e) => e.revision)).toEqual(ascending(APPENDERS + 1));
      expect(new Set(stream.map((e) => e.metadata.prevHash)).size).toBe(APPENDERS + 1);
      expect(await chainFindings(dir)).toEqual([]);
    },
  );

  it('pipelined appends to one stream expecting consecutive revisions all land', async () => {
    await Promise.all(
      ascending(20).map((i) =>
        store.append('key-1', [event('Noted', { i })], { expectedRevision: i === 0 ? 'no_stream' : i - 1 }),
      ),
    );
    expect((await store.readStream('key-1')).map((e) => e.data.i)).toEqual(ascending(20));
    expect(await chainFindings(dir)).toEqual([]);
  });
});

describe('a ledger file altered behind the store (better-sqlite3 on the file)', () => {
  // Positions:  1 a0, 2 b0, 3 a1, 4 c0, 5 a2, 6 b1, 7 a3, 8 c1, 9 b2, 10 a4
  const STREAMS = ['a', 'b', 'a', 'c', 'a', 'b', 'a', 'c', 'b', 'a'];

  beforeEach(async () => {
    for (const [i, s] of STREAMS.entries())
      await store.append(`key-${s}`, [event('Noted', { i, label: 'ünïcode' })]);
    await store.close();
  });

  function alter(sql: (db: Database.Database) => void): void {
    const db = new Database(join(dir, LEDGER_FILE_NAME));
    try {
      db.transaction(() => sql(db))();
    } finally {
      db.close();
    }
  }

  it('is intact before anyone touches it', async () => {
    expect(await chainFindings(dir)).toEqual([]);
  });

  it('one byte of one event edited: named at its position as edited', async () => {
    alter((db) => {
      const { data } = db.prepare('SELECT data FROM events WHERE position = 5').get() as { data: string };
      const at = data.indexOf('code'); // one ASCII byte: 'c' becomes 'k'
      db.prepare('UPDATE events SET data = ? WHERE position = 5').run(
        `${data.slice(0, at)}k${data.slice(at + 1)}`,
      );
    });
    const findings = await chainFindings(dir);
    expect(findings.map((f) => [f.kind, f.position, f.stream, f.revision])).toEqual([
      ['edited', 5, 'key-a', 2],
    ]);
  });

  it('one event deleted: the hole named at its position, the stream named where it goes on', async () => {
    alter((db) => db.prepare('DELETE FROM events WHERE position = 5').run());
    const findings = await chainFindings(dir);
    expect(findings.map((f) => [f.kind, f.position, f.stream, f.revision])).toEqual([
      ['gap', 5, null, null],
      ['dropped', 7, 'key-a', 3],
    ]);
  });

  it('two events of one stream swapped in the global order: named at the first as reordered', async () => {
    alter((db) => {
      const move = db.prepare('UPDATE events SET position = ? WHERE position = ?');
      move.run(-1, 3);
      move.run(3, 5);
      move.run(5, -1);
    });
    const findings = await chainFindings(dir);
    expect(findings.map((f) => [f.kind, f.position, f.stream, f.revision])).toEqual([
      ['reordered', 3, 'key-a', 2],
      ['reordered', 5, 'key-a', 1],
    ]);
  });
});
