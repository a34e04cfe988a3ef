import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { LedgerUnavailable, StreamDeleted, WrongExpectedRevision } from './errors';
import type { AppendResult, ExpectedRevision } from './event-store';
import { encodeEvents } from './arguments';
import { GroupCommitWriter } from './sqlite-group-commit';
import { openLedgerDatabase } from './sqlite-schema';

let dir: string;
let path: string;
let db: Database.Database;
let writer: GroupCommitWriter;
let commits: number;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'keyledger-group-commit-'));
  path = join(dir, 'ledger.sqlite');
  db = openLedgerDatabase(path);
  commits = 0;
  writer = new GroupCommitWriter(db, path, () => commits++);
});

afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Queues an append of `count` events (or a tombstone when `count` is 0) without flushing. */
function queue(stream: string, expected: ExpectedRevision, count = 1): Promise<AppendResult> {
  const events =
    count === 0
      ? undefined
      : encodeEvents(
          stream,
          Array.from({ length: count }, () => ({ type: 'T', data: {} })),
        );
  return new Promise((resolve, reject) => writer.enqueue({ stream, expected, events, resolve, reject }));
}

const rows = () => db.prepare('SELECT position, stream, revision FROM events ORDER BY position').raw().all();

describe('given two appends to a new stream in one flush, both expecting no_stream', () => {
  it('commits the first in arrival order and refuses the second against the in-batch revision', async () => {
    const first = queue('key-1', 'no_stream');
    const second = queue('key-1', 'no_stream');
    writer.flush();
    expect(await first).toEqual({ nextExpectedRevision: 0, position: 1 });
    await expect(second).rejects.toEqual(new WrongExpectedRevision('key-1', 'no_stream', 0));
    expect(rows()).toEqual([[1, 'key-1', 0]]);
  });
});

describe('given two appends in one flush both expecting revision 0', () => {
  it('lets exactly one win', async () => {
    const created = queue('key-1', 'no_stream');
    writer.flush();
    await created;
    const first = queue('key-1', 0);
    const second = queue('key-1', 0);
    writer.flush();
    expect(await first).toEqual({ nextExpectedRevision: 1, position: 2 });
    await expect(second).rejects.toMatchObject({ stream: 'key-1', expected: 0, actual: 1 });
    expect(rows()).toEqual([
      [1, 'key-1', 0],
      [2, 'key-1', 1],
    ]);
  });
});

describe('given appends in one flush that each expect the revision the previous one creates', () => {
  it('accepts them all, each with its own result', async () => {
    const results = [queue('key-1', 'no_stream', 2), queue('key-1', 1), queue('key-1', 'stream_exists', 3)];
    writer.flush();
    expect(await Promise.all(results)).toEqual([
      { nextExpectedRevision: 1, position: 2 },
      { nextExpectedRevision: 2, position: 3 },
      { nextExpectedRevision: 5, position: 6 },
    ]);
  });
});

describe('given a refused append between two accepted ones in one flush', () => {
  it('inserts nothing for it and leaves no hole in the positions', async () => {
    const a = queue('key-a', 'any', 2);
    const refused = queue('key-b', 7, 3);
    const c = queue('key-c', 'any');
    writer.flush();
    await expect(refused).rejects.toBeInstanceOf(WrongExpectedRevision);
    expect([await a, await c]).toEqual([
      { nextExpectedRevision: 1, position: 2 },
      { nextExpectedRevision: 0, position: 3 },
    ]);
    expect(rows()).toEqual([
      [1, 'key-a', 0],
      [2, 'key-a', 1],
      [3, 'key-c', 0],
    ]);
  });
});

describe('given a tombstone followed by an append to the same stream in one flush', () => {
  it('applies the tombstone and refuses the append with StreamDeleted', async () => {
    const appended = queue('blob-1', 'no_stream');
    const tombstoned = queue('blob-1', 0, 0);
    const late = queue('blob-1', 'any');
    writer.flush();
    await expect(appended).resolves.toMatchObject({ nextExpectedRevision: 0 });
    await expect(tombstoned).resolves.toBeDefined();
    await expect(late).rejects.toEqual(new StreamDeleted('blob-1'));
    expect(db.prepare('SELECT name, revision, deleted FROM streams').raw().all()).toEqual([['blob-1', 0, 1]]);
  });
});

describe('given appends queued in the same turn', () => {
  it('commits them in one transaction on the next turn', async () => {
    const results = await Promise.all([queue('key-1', 'any'), queue('key-2', 'any'), queue('key-3', 'any')]);
    expect(results.map((r) => r.position)).toEqual([1, 2, 3]);
    expect(commits).toBe(1);
  });
});

describe('given a flush in which every append is refused', () => {
  it('does not announce a commit', async () => {
    const refused = queue('key-1', 3);
    writer.flush();
    await expect(refused).rejects.toBeInstanceOf(WrongExpectedRevision);
    expect(commits).toBe(0);
  });
});

describe('given another connection holding the write lock when the batch commits', () => {
  it('rejects every append of the batch with LedgerUnavailable and writes nothing', async () => {
    db.pragma('busy_timeout = 0');
    const other = new Database(path);
    other.exec('BEGIN IMMEDIATE');
    const batch = [queue('key-1', 'any'), queue('key-2', 'no_stream')];
    writer.flush();
    for (const append of batch) {
      await expect(append).rejects.toBeInstanceOf(LedgerUnavailable);
      await expect(append).rejects.toThrow(`ledger ${path} is locked by another process`);
    }
    other.exec('ROLLBACK');
    other.close();
    expect(rows()).toEqual([]);
    expect(commits).toBe(0);

    const retried = queue('key-1', 'no_stream');
    writer.flush();
    expect(await retried).toEqual({ nextExpectedRevision: 0, position: 1 });
  });
});

describe('given an append being resolved', () => {
  it('is already visible to another connection: COMMIT returned before the caller hears of it', () => {
    const other = new Database(path, { readonly: true });
    const countSeenByOther: number[] = [];
    writer.enqueue({
      stream: 'key-1',
      expected: 'any',
      events: encodeEvents('key-1', [{ type: 'T', data: {} }]),
      resolve: () =>
        countSeenByOther.push(other.prepare('SELECT count(*) FROM events').pluck().get() as number),
      reject: () => countSeenByOther.push(-1),
    });
    writer.flush();
    other.close();
    expect(countSeenByOther).toEqual([1]);
  });
});
