import { randomBytes } from 'node:crypto';
import {
  mkdirSync,
  openSync,
  readFileSync,
  statSync,
  truncateSync,
  writeFileSync,
  writeSync,
  closeSync,
} from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import {
  LEDGER_FILE_NAME,
  LedgerUnavailable,
  SqliteEventStore,
  openSqliteEventStore,
  type EventStore,
} from '../../src/event-store';
import { LEDGER_APPLICATION_ID } from '../../src/event-store/sqlite-schema';
import { makeTempDir, removeTempDir } from '../support/temp-dir';
import { ascending, events, readEverything } from './contract/helpers';

let dir: string;
let ledger: string;

beforeEach(async () => {
  dir = await makeTempDir('keyledger-file-');
  ledger = join(dir, LEDGER_FILE_NAME);
});

afterEach(async () => {
  await removeTempDir(dir);
});

async function expectRefusal(open: () => Promise<unknown>, ...fragments: string[]): Promise<void> {
  const opening = open();
  await expect(opening).rejects.toBeInstanceOf(LedgerUnavailable);
  for (const fragment of fragments) await expect(opening).rejects.toThrow(fragment);
}

async function writeLedger(eventCount: number): Promise<void> {
  const store = await openSqliteEventStore(dir);
  for (let i = 0; i < eventCount / 50; i++) await store.append(`key-${i % 7}`, events(50));
  await store.close();
}

function overwrite(path: string, offset: number, bytes: Buffer): void {
  const fd = openSync(path, 'r+');
  writeSync(fd, bytes, 0, bytes.length, offset);
  closeSync(fd);
}

describe('given a file of random bytes at the ledger path', () => {
  it('refuses to open it, naming the path and saying it is not a database', async () => {
    writeFileSync(ledger, randomBytes(64 * 1024));
    await expectRefusal(() => openSqliteEventStore(dir), ledger, 'is not a SQLite database');
  });
});

describe('given a ledger damaged after it was written', () => {
  const damages: Array<[string, (path: string) => void]> = [
    [
      'a middle page was overwritten with random bytes',
      (p) => overwrite(p, Math.floor(statSync(p).size / 8192) * 4096, randomBytes(4096)),
    ],
    [
      'the file was truncated to half its size',
      (p) => truncateSync(p, Math.floor(statSync(p).size / 8192) * 4096),
    ],
  ];

  it.each(damages)('refuses to open it when %s, saying it is corrupt', async (_, damage) => {
    await writeLedger(2000);
    damage(ledger);
    await expectRefusal(() => openSqliteEventStore(dir), ledger, 'corrupt');
  });
});

describe('given a SQLite database of another application at the ledger path', () => {
  it('refuses it and leaves the file byte for byte unchanged', async () => {
    const foreign = new Database(ledger);
    foreign.exec("CREATE TABLE users (name TEXT); INSERT INTO users VALUES ('alice')");
    foreign.close();
    const before = readFileSync(ledger);
    await expectRefusal(() => openSqliteEventStore(dir), ledger, 'not a keyledger ledger');
    expect(readFileSync(ledger).equals(before)).toBe(true);
  });
});

describe('given a keyledger ledger of a newer schema version', () => {
  it('refuses it, naming the version', async () => {
    await writeLedger(50);
    const db = new Database(ledger);
    db.pragma('user_version = 2');
    db.close();
    await expectRefusal(() => openSqliteEventStore(dir), 'has schema version 2');
  });
});

describe('given a keyledger-looking file without the meta marker', () => {
  it('refuses it', async () => {
    const db = new Database(ledger);
    db.pragma(`application_id = ${LEDGER_APPLICATION_ID}`);
    db.pragma('user_version = 1');
    db.exec('CREATE TABLE events (position INTEGER PRIMARY KEY)');
    db.close();
    await expectRefusal(() => openSqliteEventStore(dir), 'marker');
  });
});

describe('given a zero-length ledger file and no write-ahead log', () => {
  it('starts a new, empty ledger in it', async () => {
    writeFileSync(ledger, '');
    const store = await openSqliteEventStore(dir);
    expect(await store.headPosition()).toBe(0);
    expect(await store.append('key-1', events(1))).toEqual({ nextExpectedRevision: 0, position: 1 });
    await store.close();
  });
});

describe('given a zero-length or missing ledger file beside a non-empty write-ahead log', () => {
  it.each([
    ['zero-length', true],
    ['missing', false],
  ])('refuses the %s file rather than start an empty ledger', async (_, createMain) => {
    if (createMain) writeFileSync(ledger, '');
    writeFileSync(`${ledger}-wal`, randomBytes(8192));
    await expectRefusal(() => openSqliteEventStore(dir), ledger, `${ledger}-wal`);
  });
});

describe('given a data directory path whose parent is a regular file', () => {
  it('refuses it with LedgerUnavailable naming the path', async () => {
    writeFileSync(join(dir, 'not-a-dir'), 'x');
    await expectRefusal(
      () => openSqliteEventStore(join(dir, 'not-a-dir', 'data')),
      'not-a-dir',
      'not a directory',
    );
  });
});

describe('given a directory at the ledger path', () => {
  it('refuses it as not a regular file', async () => {
    mkdirSync(ledger);
    await expectRefusal(() => openSqliteEventStore(dir), ledger, 'not a regular file');
  });
});

describe('given a ledger closed and reopened', () => {
  it('reads every event back and continues revisions and positions', async () => {
    const first = await openSqliteEventStore(dir);
    await Promise.all(ascending(20).map((w) => first.append(`key-${w % 4}`, events(3))));
    const before = await readEverything(first);
    await first.close();

    const reopened = await openSqliteEventStore(dir);
    expect(await readEverything(reopened)).toEqual(before);
    expect(await reopened.append('key-0', events(1), { expectedRevision: 14 })).toEqual({
      nextExpectedRevision: 15,
      position: 61,
    });
    await reopened.close();
  });
});

describe('given many concurrent appends', () => {
  it('numbers positions densely from 1', async () => {
    const store = await openSqliteEventStore(dir);
    await Promise.all(ascending(64).map((w) => store.append(`key-${w}`, events(1 + (w % 3)))));
    const positions = (await readEverything(store)).map((e) => e.position);
    expect(positions).toEqual(ascending(positions.length, 1));
    await store.close();
  });
});

describe('given appends still queued when close() is called', () => {
  it('commits them before closing', async () => {
    const store = SqliteEventStore.open(ledger);
    const queued = [store.append('key-1', events(2)), store.append('key-2', events(1))];
    await store.close();
    expect(await Promise.all(queued)).toEqual([
      { nextExpectedRevision: 1, position: 2 },
      { nextExpectedRevision: 0, position: 3 },
    ]);
    const reopened = SqliteEventStore.open(ledger);
    expect((await reopened.readAll()).map((e) => e.streamName)).toEqual(['key-1', 'key-1', 'key-2']);
    await reopened.close();
  });
});

describe('given a closed store', () => {
  const calls: Array<[string, (store: EventStore) => Promise<unknown>]> = [
    ['append', (s) => s.append('key-1', events(1))],
    ['readStream', (s) => s.readStream('key-1')],
    ['readAll', (s) => s.readAll()],
    ['headPosition', (s) => s.headPosition()],
    ['tombstone', (s) => s.tombstone('key-1')],
    ['subscribeToAll', async (s) => s.subscribeToAll()],
  ];

  it.each(calls)('refuses %s with LedgerUnavailable saying it is closed', async (_, call) => {
    const store = await openSqliteEventStore(dir);
    await store.close();
    await expectRefusal(() => call(store), `ledger ${ledger} is closed`);
  });

  it('accepts a second close()', async () => {
    const store = await openSqliteEventStore(dir);
    await store.close();
    await expect(store.close()).resolves.toBeUndefined();
  });
});
