/**
 * The ledger's files are the service user's alone (issue 10 item 5): 0600, checked on the real files
 * after SQLite has made its -wal and -shm (src/lib/private-files.ts explains how).
 */
import { chmodSync, existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { LEDGER_FILE_NAME, openSqliteEventStore } from '../../src/event-store';
import { createPrivateFile } from '../../src/lib/private-files';
import { makeTempDir, removeTempDir } from '../support/temp-dir';
import { events } from './contract/helpers';

const mode = (p: string) => (existsSync(p) ? (statSync(p).mode & 0o777).toString(8) : 'absent');
const files = (main: string) => ({
  main: mode(main),
  wal: mode(`${main}-wal`),
  shm: mode(`${main}-shm`),
});

let dir: string;

beforeEach(async () => {
  dir = await makeTempDir('keyledger-modes-');
});

afterEach(() => removeTempDir(dir));

describe('SQLite as built here', () => {
  it('creates -wal and -shm with the mode of the main file, whether it made the main file or found it', () => {
    const created = join(dir, 'created.sqlite');
    const db = new Database(created);
    db.pragma('journal_mode = WAL');
    db.exec('CREATE TABLE t (x)');
    const main = mode(created);
    expect(files(created)).toEqual({ main, wal: main, shm: main });
    db.close();

    const precreated = join(dir, 'precreated.sqlite');
    createPrivateFile(precreated);
    chmodSync(precreated, 0o640);
    const db2 = new Database(precreated);
    db2.pragma('journal_mode = WAL');
    db2.exec('CREATE TABLE t (x)');
    expect(files(precreated)).toEqual({ main: '640', wal: '640', shm: '640' });
    db2.close();
  });
});

describe('given no data directory yet', () => {
  it('creates it 0700 and the ledger, its -wal and its -shm 0600', async () => {
    const dataDir = join(dir, 'data');
    const store = await openSqliteEventStore(dataDir);
    try {
      await store.append('key-1', events(3));
      expect(mode(dataDir)).toBe('700');
      expect(files(join(dataDir, LEDGER_FILE_NAME))).toEqual({ main: '600', wal: '600', shm: '600' });
    } finally {
      await store.close();
    }
  });
});

describe('given a ledger left 0644 by an earlier keyledger', () => {
  it('opens it with the ledger, its -wal and its -shm tightened to 0600', async () => {
    const first = await openSqliteEventStore(dir);
    await first.append('key-1', events(2));
    await first.close();
    const ledger = join(dir, LEDGER_FILE_NAME);
    chmodSync(ledger, 0o644);
    const store = await openSqliteEventStore(dir);
    try {
      await store.append('key-1', events(1), { expectedRevision: 1 });
      expect(files(ledger)).toEqual({ main: '600', wal: '600', shm: '600' });
      expect(await store.readStream('key-1')).toHaveLength(3);
    } finally {
      await store.close();
    }
  });
});

describe('given a SQLite database of another application at the ledger path', () => {
  it('refuses it and leaves its mode as it was', async () => {
    const ledger = join(dir, LEDGER_FILE_NAME);
    const other = new Database(ledger);
    other.pragma('application_id = 1234');
    other.exec('CREATE TABLE t (x)');
    other.close();
    chmodSync(ledger, 0o644);
    const before = readFileSync(ledger);
    await expect(openSqliteEventStore(dir)).rejects.toThrow(/not a keyledger ledger/);
    expect(mode(ledger)).toBe('644');
    expect(readFileSync(ledger).equals(before)).toBe(true);
  });
});
