/**
 * The PostgreSQL ledger's schema, created and migrated on open (docs/architecture.md §8.1).
 *
 * All of keyledger's tables live in one PostgreSQL schema (default `keyledger`, `?schema=` in the
 * URL), so one database can hold several ledgers (the tests give each test its own). `meta` names
 * the format and the schema version; a version newer than this code knows stops start-up, one it
 * knows is migrated forward step by step under an advisory lock, so two instances starting
 * together migrate once.
 */
import type { PoolClient } from 'pg';
import type { ErrorCategory } from '../domain/error-category';
import { EventStoreError, LedgerUnavailable } from './errors';

/** The version this code writes and reads. Add a step to MIGRATIONS when it changes. */
export const POSTGRES_SCHEMA_VERSION = 1;
const FORMAT = 'keyledger-ledger';

/** A schema name keyledger accepts: a plain lower-case identifier, so it never needs quoting rules. */
export const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,39}$/;

/**
 * `head` is one row holding the last committed global position. Every append transaction locks it
 * first (SELECT … FOR UPDATE), so appends commit one at a time in position order and positions are
 * dense: a reader can never see position p + 1 before p (docs/architecture.md §8.1).
 */
const MIGRATIONS: ReadonlyArray<(s: string) => string> = [
  (s) => `
    CREATE TABLE ${s}.head (
      id integer PRIMARY KEY CHECK (id = 1),
      position bigint NOT NULL
    );
    INSERT INTO ${s}.head (id, position) VALUES (1, 0);
    CREATE TABLE ${s}.streams (
      name text PRIMARY KEY,
      revision bigint NOT NULL,
      deleted boolean NOT NULL DEFAULT false
    );
    CREATE TABLE ${s}.events (
      position bigint PRIMARY KEY,
      stream text NOT NULL,
      revision bigint NOT NULL,
      id text NOT NULL,
      type text NOT NULL,
      data text NOT NULL,
      metadata text NOT NULL,
      recorded_at text NOT NULL,
      UNIQUE (stream, revision)
    );`,
];

/** The ledger's schema is absent, empty, or holds something else: nothing was created to say so. */
export class NoLedger extends EventStoreError {
  // Only `keyledger ledger copy` asks for a ledger that must already be there (its source).
  static readonly category: ErrorCategory = 'unavailable';
  readonly type = 'no-ledger';
  constructor(
    where: string,
    /** What is there instead, e.g. `schema "x" does not exist`. */
    readonly reason: string,
  ) {
    super(`${where}: there is no ledger: ${reason}`);
  }
}

/** The version in the `meta` table of a schema that has one; throws if it is not a ledger this code reads. */
async function markedVersion(client: PoolClient, schema: string, where: string): Promise<number> {
  const meta = await client.query<{ key: string; value: string }>(`SELECT key, value FROM ${schema}.meta`);
  const values = new Map(meta.rows.map((r) => [r.key, r.value]));
  if (values.get('format') !== FORMAT)
    throw new LedgerUnavailable(`${where}: schema "${schema}" is not a keyledger ledger (no format mark)`);
  const version = Number(values.get('schema_version'));
  if (!Number.isSafeInteger(version) || version < 1)
    throw new LedgerUnavailable(`${where}: schema "${schema}" has an unreadable schema version`);
  if (version > POSTGRES_SCHEMA_VERSION)
    throw new LedgerUnavailable(
      `${where}: the ledger's schema is version ${version}, newer than this keyledger knows ` +
        `(${POSTGRES_SCHEMA_VERSION}); run a keyledger at least as new as the one that wrote it`,
    );
  return version;
}

/**
 * Checks, reading only, that `schema` holds a ledger of the version this code writes: the open of a
 * ledger that must already exist (the source of a copy), which creates and migrates nothing. A
 * schema that is absent or holds no ledger throws `NoLedger`; an older version is refused too,
 * since migrating it would write.
 */
export async function assertPostgresLedger(client: PoolClient, schema: string, where: string): Promise<void> {
  const found = await client.query<{ name: string | null }>(
    `SELECT t.table_name AS name FROM pg_namespace n
       LEFT JOIN information_schema.tables t ON t.table_schema = n.nspname
      WHERE n.nspname = $1`,
    [schema],
  );
  if (found.rows.length === 0) throw new NoLedger(where, `schema "${schema}" does not exist`);
  const names = found.rows.flatMap((r) => (r.name === null ? [] : [r.name])).sort();
  if (names.length === 0) throw new NoLedger(where, `schema "${schema}" is empty`);
  if (!names.includes('meta'))
    throw new NoLedger(
      where,
      `schema "${schema}" holds tables (${names.join(', ')}) but no keyledger ledger`,
    );
  const version = await markedVersion(client, schema, where);
  if (version < POSTGRES_SCHEMA_VERSION)
    throw new LedgerUnavailable(
      `${where}: the ledger's schema is version ${version}, older than this keyledger's ` +
        `(${POSTGRES_SCHEMA_VERSION}); start a keyledger service on it once to migrate it`,
    );
}

/**
 * Creates the schema, or checks and migrates an existing one. `where` names the ledger in errors
 * (never with credentials).
 */
export async function migratePostgresLedger(
  client: PoolClient,
  schema: string,
  where: string,
): Promise<void> {
  await client.query('BEGIN');
  try {
    // One migrator at a time per schema; the lock ends with the transaction.
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`keyledger:${schema}`]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    const tables = await client.query<{ name: string }>(
      'SELECT table_name AS name FROM information_schema.tables WHERE table_schema = $1',
      [schema],
    );
    const names = new Set(tables.rows.map((r) => r.name));
    let version = 0;
    if (names.has('meta')) {
      version = await markedVersion(client, schema, where);
    } else if (names.size > 0) {
      throw new LedgerUnavailable(
        `${where}: schema "${schema}" holds tables (${[...names].sort().join(', ')}) but is not a keyledger ledger`,
      );
    } else {
      await client.query(`CREATE TABLE ${schema}.meta (key text PRIMARY KEY, value text NOT NULL)`);
      await client.query(
        `INSERT INTO ${schema}.meta (key, value) VALUES ('format', $1), ('schema_version', '0')`,
        [FORMAT],
      );
    }
    for (let v = version; v < POSTGRES_SCHEMA_VERSION; v++) {
      await client.query(MIGRATIONS[v](schema));
      await client.query(`UPDATE ${schema}.meta SET value = $1 WHERE key = 'schema_version'`, [
        String(v + 1),
      ]);
    }
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}
