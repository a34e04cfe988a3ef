/**
 * Ledgers written before the hash chain, on real files (docs/architecture.md §6.1): the service
 * refuses them at open with one line naming the file and the command to run; `keyledger audit
 * migrate` chains an embedded one in place, in one transaction, with the service stopped, and says
 * what it did; it refuses EventStoreDB, a held data directory, and a ledger it cannot vouch for.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import { checkChain } from '../../src/audit/chain';
import { loadConfig } from '../../src/app/config';
import {
  LEDGER_FILE_NAME,
  LedgerUnavailable,
  openSqliteEventStore,
  type EventStore,
  type RecordedEvent,
} from '../../src/event-store';
import { chainedEventStore } from '../../src/event-store/chained-event-store';
import { DATA_DIR_LOCK } from '../../src/server/data-dir-lock';
import { assertChained, openEventStore } from '../../src/server/open-event-store';
import { runCli } from '../support/cli';
import { event, readEverything } from '../event-store/contract/helpers';

let dataDir: string;
let ledger: string;

beforeEach(() => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'keyledger-migrate-'));
  ledger = path.join(dataDir, LEDGER_FILE_NAME);
});

afterEach(() => fs.rmSync(dataDir, { recursive: true, force: true }));

const config = () => loadConfig({ KEYLEDGER_DATA_DIR: dataDir });
const migrate = (env: NodeJS.ProcessEnv = {}) =>
  runCli(['audit', 'migrate'], { KEYLEDGER_DATA_DIR: dataDir, ...env });

/** Appends one event per entry through `store`, one at a time. */
async function write(store: EventStore, streams: readonly string[]): Promise<void> {
  for (const [i, stream] of streams.entries()) {
    await store.append(stream, [
      event('Noted', { i, label: 'Schlüssel' }, { operatorId: 'old', at: `t${i}` }),
    ]);
  }
}

/** As the service wrote before the chain: the SQLite store alone, a key's blob tombstoned. */
async function writeOldLedger(): Promise<void> {
  const store = await openSqliteEventStore(dataDir);
  await write(store, ['key-a', 'key-b', 'blob-x', 'key-a', 'key-b', 'key-a', 'blob-x', 'key-c']);
  await store.tombstone('blob-x');
  await store.close();
}

async function everything(): Promise<RecordedEvent[]> {
  const store = await openSqliteEventStore(dataDir);
  try {
    return await readEverything(store);
  } finally {
    await store.close();
  }
}

/** An event without the chain's members: what migrating must leave as it was. */
function unchained(e: RecordedEvent): RecordedEvent {
  const { prevHash: _prevHash, hash: _hash, ...metadata } = e.metadata;
  return { ...e, metadata };
}

describe('a SQLite ledger written before the hash chain', () => {
  beforeEach(writeOldLedger);

  it('is refused at open with one line naming the file and the command to run', async () => {
    const opening = openEventStore(config());
    await expect(opening).rejects.toBeInstanceOf(LedgerUnavailable);
    await expect(opening).rejects.toThrow(
      `ledger ${ledger} was written before the hash chain (its first event (position 1, stream "key-a") has no hash); ` +
        `stop the service and run "KEYLEDGER_DATA_DIR=${dataDir} keyledger audit migrate" to chain it`,
    );
  });

  it('is refused by `keyledger serve` the same way: exit 1, that line, no stack', async () => {
    const result = await runCli(['serve'], { KEYLEDGER_DATA_DIR: dataDir, KEYLEDGER_PORT: '0' });
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toMatch(
      new RegExp(
        `^keyledger: ledger ${ledger} was written before the hash chain .*keyledger audit migrate" to chain it$`,
      ),
    );
    expect(fs.existsSync(path.join(dataDir, DATA_DIR_LOCK))).toBe(false);
  });

  it('is chained in place by `keyledger audit migrate`, which says what it did; then it opens and grows its chains', async () => {
    const before = await everything();
    const result = await migrate();
    expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
    expect(result.stdout).toMatch(
      new RegExp(
        `^ledger ${ledger}: chained 8 of 8 events in 4 streams \\(positions 1–8\\) in one transaction, \\d+ ms\n` +
          '  chain check: 8 events, nothing to report\n$',
      ),
    );
    const after = await everything();
    // Only the metadata gained its links: ids, data, revisions, positions and times are as they were.
    expect(after.map(unchained)).toEqual(before);
    expect(after.map((e) => e.metadata.prevHash === null)).toEqual([
      true,
      true,
      true,
      false,
      false,
      false,
      false,
      true,
    ]);
    expect(checkChain(after, { densePositions: true })).toEqual([]);
    expect(fs.existsSync(path.join(dataDir, DATA_DIR_LOCK))).toBe(false);

    const store = await openEventStore(config());
    try {
      await store.append('key-a', [event('Later')], { expectedRevision: 2 });
      await expect(store.readStream('blob-x')).rejects.toMatchObject({ type: 'stream-deleted' });
    } finally {
      await store.close();
    }
    expect(checkChain(await everything(), { densePositions: true })).toEqual([]);

    const again = await migrate();
    expect(again.code).toBe(0);
    expect(again.stdout).toBe(
      `ledger ${ledger} is already chained: 9 events in 4 streams; nothing changed\n  chain check: 9 events, nothing to report\n`,
    );
  });

  it('is not touched while a service holds the data directory', async () => {
    // The lock of a live process other than the command's own: this test's.
    fs.writeFileSync(path.join(dataDir, DATA_DIR_LOCK), `${process.pid}\n`);
    const result = await migrate();
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `keyledger: data directory ${dataDir} is in use by process ${process.pid} (a running "keyledger serve"?); ` +
        'stop the service before migrating its ledger\n',
    );
    expect((await everything()).every((e) => e.metadata.hash === undefined)).toBe(true);
  });

  it('with an event deleted from it, is refused and left as it was', async () => {
    const db = new Database(ledger);
    db.prepare('DELETE FROM events WHERE position = 4').run(); // key-a revision 1
    db.close();
    const result = await migrate();
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `keyledger: ledger ${ledger} cannot be chained: at position 6 (stream "key-a", revision 2) the stream goes on ` +
        'from revision 0 with a revision out of sequence: events are missing or out of order; nothing was changed\n',
    );
    expect((await everything()).every((e) => e.metadata.hash === undefined)).toBe(true);
  });
});

describe('a chained SQLite ledger that a writer from before the chain appended to', () => {
  it('gets only the new events chained, linked to the chained ones', async () => {
    const chained = chainedEventStore(await openSqliteEventStore(dataDir));
    await write(chained, ['key-a', 'key-b', 'key-a']);
    await chained.close();
    const plain = await openSqliteEventStore(dataDir);
    await write(plain, ['key-a', 'key-c']);
    await plain.close();
    expect(checkChain(await everything(), { densePositions: true }).map((f) => f.kind)).toEqual([
      'unchained',
      'unchained',
    ]);

    const result = await migrate();
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      new RegExp(
        `^ledger ${ledger}: chained 2 of 5 events in 3 streams \\(positions 4–5\\) in one transaction`,
      ),
    );
    expect(checkChain(await everything(), { densePositions: true })).toEqual([]);
  });

  it('with a chained event edited, is refused and left as it was', async () => {
    const chained = chainedEventStore(await openSqliteEventStore(dataDir));
    await write(chained, ['key-a', 'key-a']);
    await chained.close();
    const plain = await openSqliteEventStore(dataDir);
    await write(plain, ['key-b']);
    await plain.close();
    const db = new Database(ledger);
    db.prepare(`UPDATE events SET data = '{"i":9}' WHERE position = 2`).run();
    db.close();
    const result = await migrate();
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `keyledger: ledger ${ledger} cannot be chained: the event at position 2 (stream "key-a", revision 1) carries a ` +
        'hash that does not check: the ledger changed after it was chained; nothing was changed\n',
    );
    expect((await everything())[2]!.metadata.hash).toBeUndefined();
  });
});

describe('`keyledger audit migrate` without a SQLite ledger to chain', () => {
  it('refuses EventStoreDB, explaining why, without connecting', async () => {
    const result = await migrate({ KEYLEDGER_EVENTSTORE: 'esdb://127.0.0.1:1?tls=false' });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      'keyledger: audit migrate chains the embedded SQLite ledger only: EventStoreDB events are immutable once ' +
        'written (a stream can only be deleted or truncated, never rewritten), so an EventStoreDB ledger written ' +
        'before the hash chain cannot be chained in place (docs/architecture.md §6.1)\n',
    );
  });

  it('refuses a data directory without a ledger, creating nothing', async () => {
    const result = await migrate();
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `keyledger: no ledger at ${ledger}: nothing to migrate (KEYLEDGER_DATA_DIR)\n`,
    );
    expect(fs.readdirSync(dataDir)).toEqual([]);
  });
});

describe('an EventStoreDB ledger written before the hash chain', () => {
  it('is refused at open, saying it cannot be chained in place', async () => {
    const first = { position: 4096, streamName: 'key-a', metadata: {} } as RecordedEvent;
    const store = { kind: 'esdb', readAll: async () => [first] } as unknown as EventStore;
    const esdb = loadConfig({ KEYLEDGER_EVENTSTORE: 'esdb://user:secret@db.example:2113' });
    const check = assertChained(store, esdb);
    await expect(check).rejects.toBeInstanceOf(LedgerUnavailable);
    await expect(check).rejects.toThrow(
      'the EventStoreDB ledger was written before the hash chain (its first event (position 4096, stream "key-a") ' +
        'has no hash); EventStoreDB events cannot be rewritten, so it cannot be chained in place',
    );
    await expect(check).rejects.not.toThrow('secret');
  });
});
