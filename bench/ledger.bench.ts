import Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import * as path from 'node:path';
import { Client } from 'pg';
import type { EventData, EventStore } from '../src/event-store/event-store';
import {
  openPostgresEventStore,
  parsePostgresUrl,
  POSTGRES_URL,
} from '../src/event-store/postgres-event-store';
import { openSqliteEventStore } from '../src/event-store/sqlite-event-store';
import { alive } from '../src/lib/pid-lock';
import { ProjectionRunner, openReadModelStore, type Projection } from '../src/projections';
import type { Emit } from './run';
import { perSecond, progress, round, tempDir } from './util';

/** A realistic ledger event: what a raw export records. */
export function sampleEvent(i: number): EventData {
  return {
    type: 'KeyRawExported',
    data: {
      opId: randomUUID(),
      hsmId: 'hsm-a',
      blobSha256: 'f1c3a5e0b2d4c6e8f0a2c4e6081a3c5e7092b4d6f8a0c2e4061a3c5e7092b4d6',
      kekDomainId: 'kd-1',
      copyId: 'c0',
      seq: i,
    },
    metadata: { operatorId: 'bench', at: '2026-11-27T00:00:00.000Z', correlationId: randomUUID() },
  };
}

/** Row i of the baselines: stream, revision, id, type, data, metadata, recorded at. */
function sampleRow(i: number): [string, number, string, string, string, string, string] {
  const e = sampleEvent(i);
  const at = new Date().toISOString();
  return [
    `key-${i % 64}`,
    Math.floor(i / 64),
    randomUUID(),
    e.type,
    JSON.stringify(e.data),
    JSON.stringify(e.metadata),
    at,
  ];
}

/** Plain better-sqlite3 inserts of the same payloads, 100 rows per transaction, same durability settings. */
function sqliteBaseline(dir: string, rows: number): number {
  const db = new Database(path.join(dir, 'baseline.sqlite'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec(`CREATE TABLE events (position INTEGER PRIMARY KEY, stream TEXT NOT NULL, revision INTEGER NOT NULL,
    id TEXT NOT NULL, type TEXT NOT NULL, data TEXT NOT NULL, metadata TEXT NOT NULL, recorded_at TEXT NOT NULL,
    UNIQUE (stream, revision))`);
  const insert = db.prepare(
    'INSERT INTO events (stream, revision, id, type, data, metadata, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
  );
  const batch = db.transaction((from: number) => {
    for (let i = from; i < from + 100; i++) insert.run(...sampleRow(i));
  });
  const start = process.hrtime.bigint();
  for (let i = 0; i < rows; i += 100) batch(i);
  const rate = perSecond(rows, start);
  db.close();
  return rate;
}

async function singleWriter(store: EventStore, events: number): Promise<number> {
  const start = process.hrtime.bigint();
  for (let i = 0; i < events; i++) await store.append('single-1', [sampleEvent(i)]);
  return perSecond(events, start);
}

/** `writers` appenders on streams of their own, each awaiting `perWriter` appends in turn: events/s. */
export async function concurrentWriters(
  store: EventStore,
  writers: number,
  perWriter: number,
): Promise<number> {
  const start = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: writers }, async (_, w) => {
      for (let i = 0; i < perWriter; i++) {
        await store.append(`conc-${w}`, [sampleEvent(i)], {
          expectedRevision: i === 0 ? 'no_stream' : i - 1,
        });
      }
    }),
  );
  return perSecond(writers * perWriter, start);
}

async function readAll(store: EventStore): Promise<{ rate: number; count: number }> {
  const start = process.hrtime.bigint();
  let count = 0;
  let from = 0;
  for (;;) {
    const page = await store.readAll({ fromPosition: from, maxCount: 4096 });
    if (page.length === 0) break;
    count += page.length;
    from = page[page.length - 1].position;
  }
  return { rate: perSecond(count, start), count };
}

/**
 * The ledger group. With KEYLEDGER_EVENTSTORE=postgres://… it measures the PostgreSQL ledger (in a
 * scratch schema it drops afterwards), with `ratio` against plain batched INSERTs through the same
 * client; otherwise the embedded SQLite ledger against plain better-sqlite3 inserts.
 */
export async function ledgerBenchmarks(emit: Emit): Promise<void> {
  const selected = process.env.KEYLEDGER_EVENTSTORE?.trim() ?? '';
  const tmp = tempDir('ledger');
  try {
    if (POSTGRES_URL.test(selected)) await postgresLedger(emit, selected, tmp.dir);
    else await sqliteLedger(emit, tmp.dir);
  } finally {
    tmp.remove();
  }
}

async function sqliteLedger(emit: Emit, dir: string): Promise<void> {
  progress('sqlite baseline: 50,000 rows in transactions of 100');
  const baseline = sqliteBaseline(dir, 50_000);
  emit({
    metric: 'sqlite.baseline.batched_insert',
    value: baseline,
    unit: 'rows/s',
    rows: 50_000,
    batch: 100,
  });
  const store = await openSqliteEventStore(path.join(dir, 'ledger'));
  try {
    await storeBenchmarks(emit, store, baseline, path.join(dir, 'ledger'), {});
  } finally {
    await store.close();
  }
}

async function postgresLedger(emit: Emit, url: string, dir: string): Promise<void> {
  const schema = `bench_${process.pid}`;
  const { connectionString, where } = parsePostgresUrl(url);
  const admin = new Client({ connectionString });
  await admin.connect();
  const drop = () =>
    admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE; DROP SCHEMA IF EXISTS ${schema}_base CASCADE`);
  try {
    await drop();
    await dropAbandoned(admin);
    progress(`postgres baseline (${where}): 50,000 rows, INSERTs of 100 rows, one per transaction`);
    const baseline = await postgresBaseline(admin, `${schema}_base`, 50_000);
    emit({
      metric: 'postgres.baseline.batched_insert',
      value: baseline,
      unit: 'rows/s',
      rows: 50_000,
      batch: 100,
    });
    const ledgerUrl = new URL(url);
    ledgerUrl.searchParams.set('schema', schema);
    const store = await openPostgresEventStore(ledgerUrl.toString());
    try {
      await storeBenchmarks(emit, store, baseline, dir, { store: 'postgres' });
    } finally {
      await store.close();
    }
  } finally {
    await drop().catch(() => undefined);
    await admin.end();
  }
}

/** Scratch schemas of earlier runs that were killed before they could drop them. */
async function dropAbandoned(client: Client): Promise<void> {
  const { rows } = await client.query<{ name: string }>(
    "SELECT nspname AS name FROM pg_namespace WHERE nspname ~ '^bench_[0-9]+(_base)?$'",
  );
  for (const { name } of rows) {
    const pid = Number(/^bench_([0-9]+)/.exec(name)![1]);
    if (pid === process.pid || alive(pid)) continue;
    await client.query(`DROP SCHEMA IF EXISTS ${name} CASCADE`);
  }
}

/** Plain INSERTs of the same payloads through node-postgres, 100 rows per statement and transaction. */
async function postgresBaseline(client: Client, schema: string, rows: number): Promise<number> {
  await client.query(`CREATE SCHEMA ${schema}`);
  await client.query(`CREATE TABLE ${schema}.events (position bigserial PRIMARY KEY, stream text NOT NULL,
    revision bigint NOT NULL, id text NOT NULL, type text NOT NULL, data text NOT NULL, metadata text NOT NULL,
    recorded_at text NOT NULL, UNIQUE (stream, revision))`);
  const insert = `INSERT INTO ${schema}.events (stream, revision, id, type, data, metadata, recorded_at)
    SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[])`;
  const start = process.hrtime.bigint();
  for (let from = 0; from < rows; from += 100) {
    const columns: unknown[][] = [[], [], [], [], [], [], []];
    for (let i = from; i < from + 100; i++) {
      sampleRow(i).forEach((value, c) => columns[c].push(value));
    }
    await client.query('BEGIN');
    await client.query(insert, columns);
    await client.query('COMMIT');
  }
  return perSecond(rows, start);
}

/** The store's lines, each with `ratio` to `baseline` (plain inserts into the same engine). */
async function storeBenchmarks(
  emit: Emit,
  store: EventStore,
  baseline: number,
  readModelDir: string,
  extra: Record<string, string>,
): Promise<void> {
  progress('single writer: 3,000 awaited appends');
  const single = await singleWriter(store, 3_000);
  emit({
    metric: 'ledger.append.single_writer',
    value: single,
    unit: 'events/s',
    ratio: round(single / baseline),
    events: 3_000,
    ...extra,
  });

  progress('64 concurrent writers x 1,000 appends');
  const conc = await concurrentWriters(store, 64, 1_000);
  emit({
    metric: 'ledger.append.concurrent_64',
    value: conc,
    unit: 'events/s',
    ratio: round(conc / baseline),
    events: 64_000,
    ...extra,
  });

  progress('filling the ledger to 200,000 events');
  await fill(store, 200_000 - (await store.headPosition()));

  progress('read all');
  const all = await readAll(store);
  emit({
    metric: 'ledger.read_all',
    value: all.rate,
    unit: 'events/s',
    ratio: round(all.rate / baseline),
    events: all.count,
    ...extra,
  });

  progress('projection replay over 200,000 events');
  const replay = await projectionReplay(store, readModelDir);
  emit({
    metric: 'ledger.projection_replay',
    value: replay.rate,
    unit: 'events/s',
    ratio: round(replay.rate / baseline),
    events: replay.count,
    ...extra,
  });
}

/** Appends `events` sample events, 64 appends of 100 in flight at a time, over 997 streams. */
export async function fill(store: EventStore, events: number): Promise<void> {
  const perAppend = 100;
  for (let done = 0; done < events;) {
    const n = Math.min(perAppend * 64, events - done);
    const appends: Promise<unknown>[] = [];
    for (let i = 0; i < n; i += perAppend) {
      const size = Math.min(perAppend, n - i);
      appends.push(
        store.append(
          `fill-${(done + i) % 997}`,
          Array.from({ length: size }, (_, k) => sampleEvent(done + i + k)),
        ),
      );
    }
    await Promise.all(appends);
    done += n;
  }
}

/** Events per stream and last event type: one small document per stream, as a catalog projection keeps. */
const streamSummary: Projection = {
  name: 'bench-stream-summary',
  version: 1,
  handles: (event) => [event.streamName],
  evolve: (doc, event) => ({
    events: ((doc?.events as number | undefined) ?? 0) + 1,
    lastType: event.type,
    position: event.position,
  }),
};

/** Rebuilds the projection from position 0 over the whole ledger, read models written to SQLite. */
async function projectionReplay(store: EventStore, dir: string): Promise<{ rate: number; count: number }> {
  const readModels = openReadModelStore(dir);
  const runner = new ProjectionRunner(store, readModels, [streamSummary]);
  try {
    const head = await store.headPosition();
    const start = process.hrtime.bigint();
    runner.start();
    await runner.waitFor(head);
    const rate = perSecond(head, start);
    const docs = readModels.all(streamSummary.name);
    const counted = docs.reduce((sum, { doc }) => sum + (doc.events as number), 0);
    if (counted !== head) throw new Error(`projection counted ${counted} events, the ledger holds ${head}`);
    return { rate, count: head };
  } finally {
    await runner.stop();
    readModels.close();
  }
}
