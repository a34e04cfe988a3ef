/**
 * The PostgreSQL ledger (docs/architecture.md §8.1): the `EventStore` port on a PostgreSQL server
 * through node-postgres, shared by every keyledger instance configured with the same URL.
 *
 * - Appends are group-committed (src/event-store/postgres-group-commit.ts); every transaction locks
 *   the one `head` row first, so positions are dense and commit in position order across all
 *   instances: a reader that trusts the last position it saw never skips an event.
 * - Subscriptions read pages after their last position and are woken by LISTEN/NOTIFY on the
 *   ledger's channel (one listening connection per store), by this store's own commits, and by a
 *   slow fallback timer should a notification be lost while the listener reconnects.
 * - Event data and metadata are stored as the exact JSON text appended (the hash chain hashes it).
 */
import { Client, Pool, types as pgTypes } from 'pg';
import { CatchUpSubscription } from './catch-up-subscription';
import { InvalidEventStoreArgument, LedgerUnavailable, StreamDeleted, type EventStoreError } from './errors';
import type {
  AllSubscription,
  EventStore,
  JsonObject,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  StoredEvent,
  SubscribeToAllOptions,
} from './event-store';
import {
  assertStreamName,
  checkFromPosition,
  checkReadAllOptions,
  checkReadStreamOptions,
} from './arguments';
import { PostgresGroupCommit } from './postgres-group-commit';
import { assertPostgresLedger, migratePostgresLedger, NoLedger, SCHEMA_NAME } from './postgres-schema';
import { QueuedWrites } from './queued-writes';
import type { PendingWrite } from './batch-plan';
import { StoredRow, type RawRow } from './stored-row';

/** `KEYLEDGER_EVENTSTORE` values that name a PostgreSQL ledger. */
export const POSTGRES_URL = /^postgres(ql)?:\/\//;
export const DEFAULT_POSTGRES_SCHEMA = 'keyledger';
/** Connections per store: one transaction writes at a time, the rest serve reads and subscriptions. */
const POOL_SIZE = 8;
/** Sessions holding cross-instance locks, one per lock held, per mode (`withLock`, `tryLock`). */
const LOCK_POOL_SIZE = 32;
/** A subscription also looks for new events this often, should a notification have been lost. */
const FALLBACK_WAKE_MS = 2000;
const RECONNECT_MS = [100, 5000] as const;
/** How long a connection attempt may take unless the URL's `connect_timeout` says otherwise. */
const CONNECT_TIMEOUT_MS = 10_000;

/**
 * The URL parameters a PostgreSQL ledger URL may carry: keyledger's `schema`, and what
 * node-postgres reads from a connection string (pg-connection-string's `parse`, then pg's
 * `ConnectionParameters`). Any other is refused rather than ignored, so a misspelt `?shema=` does
 * not quietly open the default schema. `connect_timeout` is keyledger's: pg ignores it in a URL.
 */
const URL_PARAMETERS = [
  'schema',
  'connect_timeout',
  'host',
  'port',
  'user',
  'password',
  'application_name',
  'fallback_application_name',
  'options',
  'client_encoding',
  'statement_timeout',
  'lock_timeout',
  'idle_in_transaction_session_timeout',
  'query_timeout',
  'ssl',
  'sslmode',
  'sslcert',
  'sslkey',
  'sslrootcert',
  'sslnegotiation',
  'uselibpqcompat',
] as const;
/** Values pg gives a meaning; any other `ssl` string would turn TLS on, even `ssl=false`. */
const URL_VALUES: Readonly<Record<string, readonly string[]>> = {
  ssl: ['true', '1', '0', 'no-verify'],
  sslmode: ['disable', 'prefer', 'require', 'verify-ca', 'verify-full', 'no-verify'],
  uselibpqcompat: ['true', 'false'],
};

export interface PostgresEventStoreOptions {
  /** Default 8. */
  readonly poolSize?: number;
  /** How often subscriptions look for events without a notification. Default 2 s. */
  readonly fallbackWakeMs?: number;
  /**
   * Open only a ledger that is already there, writing nothing (the source of `keyledger ledger
   * copy`): a schema that is absent or holds no ledger throws `NoLedger`, and none is created.
   */
  readonly existing?: boolean;
}

export interface PostgresLedgerLocation {
  /** The connection string handed to node-postgres (without keyledger's own `schema` parameter). */
  readonly connectionString: string;
  readonly schema: string;
  /** host:port/database (schema): for messages; never the user's password. */
  readonly where: string;
  /** From `connect_timeout` (seconds, 0 for none); default 10 s. */
  readonly connectTimeoutMs: number;
}

/** Refuses a parameter the URL should not carry, or carries twice, or a value pg would misread. */
function checkUrlParameters(params: URLSearchParams): void {
  const seen = new Set<string>();
  for (const [name, value] of params) {
    // Only the name is quoted, never a value: a misplaced one could be a password.
    const shown = JSON.stringify(name.slice(0, 40));
    if (!(URL_PARAMETERS as readonly string[]).includes(name))
      throw new InvalidEventStoreArgument(
        `the PostgreSQL ledger URL has an unknown parameter ${shown}; accepted: ${URL_PARAMETERS.join(', ')}`,
      );
    if (seen.has(name))
      throw new InvalidEventStoreArgument(`the PostgreSQL ledger URL has the parameter ${shown} twice`);
    seen.add(name);
    const allowed = URL_VALUES[name];
    if (allowed !== undefined && !allowed.includes(value))
      throw new InvalidEventStoreArgument(
        `the PostgreSQL ledger URL's ${name} must be one of ${allowed.join(', ')}, got "${value.slice(0, 20)}"`,
      );
  }
}

/** `connect_timeout` as libpq reads it (whole seconds, 0: wait indefinitely), in milliseconds. */
function connectTimeoutMs(raw: string | null): number {
  if (raw === null) return CONNECT_TIMEOUT_MS;
  if (!/^\d{1,4}$/.test(raw) || Number(raw) > 3600)
    throw new InvalidEventStoreArgument(
      `the PostgreSQL ledger URL's connect_timeout must be whole seconds 0..3600 (0: no limit), got "${raw.slice(0, 20)}"`,
    );
  return Number(raw) * 1000;
}

/**
 * Splits keyledger's own parameters (`schema`, `connect_timeout`) off a postgres:// URL and checks
 * every parameter (`URL_PARAMETERS`).
 */
export function parsePostgresUrl(raw: string): PostgresLedgerLocation {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new InvalidEventStoreArgument(
      'the PostgreSQL ledger URL is not a URL (postgres://user@host:port/database)',
    );
  }
  if (!POSTGRES_URL.test(raw))
    throw new InvalidEventStoreArgument(
      'the PostgreSQL ledger URL must start with postgres:// or postgresql://',
    );
  checkUrlParameters(url.searchParams);
  const schema = url.searchParams.get('schema') ?? DEFAULT_POSTGRES_SCHEMA;
  if (!SCHEMA_NAME.test(schema))
    throw new InvalidEventStoreArgument(
      `the PostgreSQL ledger's schema must be a lower-case identifier of at most 40 chars, got "${schema.slice(0, 40)}"`,
    );
  const timeout = connectTimeoutMs(url.searchParams.get('connect_timeout'));
  url.searchParams.delete('schema');
  url.searchParams.delete('connect_timeout');
  const database = decodeURIComponent(url.pathname.slice(1)) || '(default database)';
  // pg takes `host` and `port` parameters over the URL's (a Unix socket directory: ?host=/run/postgresql).
  const host = url.searchParams.get('host') || url.hostname || 'localhost';
  const port = url.searchParams.get('port') || url.port || 5432;
  return {
    connectionString: url.toString(),
    schema,
    where: `PostgreSQL ledger ${host}:${port}/${database} (schema ${schema})`,
    connectTimeoutMs: timeout,
  };
}

// int8 (positions, revisions) as numbers: they stay far below 2^53.
const INT8_OID = 20;
const TYPES = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID
      ? (value: string) => Number(value)
      : pgTypes.getTypeParser(oid, format)) as typeof pgTypes.getTypeParser,
};

/** A `RawRow` with the stream's tombstone flag after it (`streamRead`). */
type StreamReadRow = [...RawRow, boolean];

/**
 * One statement for a stream read: its tombstone flag and its events in the range, from one
 * snapshot and in one round trip (every decision on this ledger begins with one).
 */
function streamRead(schema: string, bound: '>=' | '<=', order: 'ASC' | 'DESC'): string {
  return `SELECT e.position, e.stream, e.revision, e.id, e.type, e.data, e.metadata, e.recorded_at, s.deleted
    FROM ${schema}.streams s LEFT JOIN LATERAL (
      SELECT * FROM ${schema}.events WHERE stream = s.name AND revision ${bound} $2 ORDER BY revision ${order} LIMIT $3
    ) e ON true
    WHERE s.name = $1 ORDER BY e.revision ${order}`;
}

function toRecorded(row: RawRow): RecordedEvent {
  const [position, streamName, revision, id, type, data, metadata, recordedAt] = row;
  return {
    position,
    streamName,
    revision,
    id,
    type,
    data: JSON.parse(data) as JsonObject,
    metadata: JSON.parse(metadata) as JsonObject,
    recordedAt,
  };
}

export class PostgresEventStore extends QueuedWrites implements EventStore {
  readonly kind = 'postgres';
  private closed = false;
  private readonly writer: PostgresGroupCommit;
  private readonly subscriptions = new Set<CatchUpSubscription>();
  private listener:
    { client: Client | undefined; timer: NodeJS.Timeout; retry: NodeJS.Timeout | undefined } | undefined;
  private readonly sql: {
    forwards: string;
    backwards: string;
    all: string;
    head: string;
  };
  readonly channel: string;
  /** Made on first use: each held lock keeps one session (advisory locks are per session). */
  private readonly lockPools: { exclusive?: Pool; shared?: Pool } = {};

  private constructor(
    private readonly pool: Pool,
    readonly location: PostgresLedgerLocation,
    private readonly fallbackWakeMs: number,
  ) {
    super();
    const s = location.schema;
    const columns = `position, stream, revision, id, type, data, metadata, recorded_at FROM ${s}.events`;
    this.sql = {
      forwards: streamRead(s, '>=', 'ASC'),
      backwards: streamRead(s, '<=', 'DESC'),
      all: `SELECT ${columns} WHERE position > $1 ORDER BY position LIMIT $2`,
      head: `SELECT position FROM ${s}.head WHERE id = 1`,
    };
    this.channel = `keyledger_${s}`;
    this.writer = new PostgresGroupCommit(
      pool,
      s,
      this.channel,
      (error, doing) => this.translate(error, doing),
      () => this.wakeSubscriptions(),
    );
  }

  /**
   * Connects, creates or migrates the schema (with `existing`, only checks it is there); throws
   * `LedgerUnavailable` (or `NoLedger`) naming what went wrong.
   */
  static async open(url: string, options: PostgresEventStoreOptions = {}): Promise<PostgresEventStore> {
    const location = parsePostgresUrl(url);
    const pool = new Pool({
      max: options.poolSize ?? POOL_SIZE,
      connectionTimeoutMillis: location.connectTimeoutMs,
      connectionString: location.connectionString,
      types: TYPES,
    });
    // An idle client that loses its server must not crash the process: the next query reports it.
    pool.on('error', () => undefined);
    const store = new PostgresEventStore(pool, location, options.fallbackWakeMs ?? FALLBACK_WAKE_MS);
    try {
      const client = await pool.connect().catch((error: unknown) => {
        throw store.translate(error, 'connecting');
      });
      try {
        if (options.existing === true) await assertPostgresLedger(client, location.schema, location.where);
        else await migratePostgresLedger(client, location.schema, location.where);
      } catch (error) {
        throw store.translate(
          error,
          options.existing === true ? 'reading its schema' : 'creating or migrating its schema',
        );
      } finally {
        client.release();
      }
    } catch (error) {
      await pool.end().catch(() => undefined);
      throw error;
    }
    return store;
  }

  protected enqueue(write: PendingWrite): void {
    this.writer.enqueue(write);
  }

  async readStream(stream: string, options?: ReadStreamOptions): Promise<RecordedEvent[]> {
    this.assertOpen();
    assertStreamName(stream);
    const { forwards, fromRevision, limit } = checkReadStreamOptions(options);
    const rows = (await this.queryRows(
      forwards ? this.sql.forwards : this.sql.backwards,
      [stream, fromRevision, limit < 0 ? null : limit],
      `reading stream "${stream}"`,
    )) as unknown as StreamReadRow[];
    if (rows[0]?.[8] === true) throw new StreamDeleted(stream);
    // A stream with no event in the range reads as one row of nulls beside its flag.
    return rows.filter((row) => row[0] !== null).map((row) => toRecorded(row as unknown as RawRow));
  }

  async readAll(options?: ReadAllOptions): Promise<RecordedEvent[]> {
    this.assertOpen();
    const { fromPosition, maxCount } = checkReadAllOptions(options);
    return (await this.queryRows(this.sql.all, [fromPosition, maxCount], 'reading all streams')).map(
      toRecorded,
    );
  }

  /** `readAll` with each event's stored text (`ReadsStoredText`): the audit verification's read. */
  async readAllStored(options?: ReadAllOptions): Promise<StoredEvent[]> {
    this.assertOpen();
    const { fromPosition, maxCount } = checkReadAllOptions(options);
    const rows = await this.queryRows(this.sql.all, [fromPosition, maxCount], 'reading all streams');
    return rows.map((row) => new StoredRow(row));
  }

  async headPosition(): Promise<number> {
    this.assertOpen();
    const result = await this.query<{ position: number }>(this.sql.head, [], 'reading the head position');
    return result.rows[0]?.position ?? 0;
  }

  subscribeToAll(options?: SubscribeToAllOptions): AllSubscription {
    this.assertOpen();
    const subscription = new CatchUpSubscription(
      {
        readAfter: async (after, limit) => {
          this.assertOpen();
          return (await this.queryRows(this.sql.all, [after, limit], 'reading for a subscription')).map(
            toRecorded,
          );
        },
        forget: (sub) => this.subscriptions.delete(sub),
      },
      checkFromPosition(options?.fromPosition),
    );
    this.subscriptions.add(subscription);
    this.listen();
    return subscription;
  }

  /**
   * `HoldsLocks`: runs `fn` holding the session advisory lock of `name` in this ledger's schema, so
   * every instance on the ledger waits for it. The lock ends with its session: an instance that dies
   * holding it releases it when the server notices the connection gone. Shared and exclusive locks
   * are held on sessions of two pools, so an exclusive lock nested in a shared one never waits for
   * a session the shared holders took.
   */
  async withLock<T>(
    name: string,
    fn: () => Promise<T>,
    mode: 'exclusive' | 'shared' = 'exclusive',
  ): Promise<T> {
    const release = await this.lock(name, mode, 'wait');
    try {
      return await fn();
    } finally {
      await release!();
    }
  }

  async tryLock(name: string): Promise<(() => Promise<void>) | undefined> {
    return this.lock(name, 'exclusive', 'try');
  }

  private async lock(
    name: string,
    mode: 'exclusive' | 'shared',
    how: 'wait' | 'try',
  ): Promise<(() => Promise<void>) | undefined> {
    this.assertOpen();
    const pool = (this.lockPools[mode] ??= this.newLockPool());
    const suffix = mode === 'shared' ? '_shared' : '';
    const key = `${this.location.schema}:${name}`;
    let client;
    try {
      client = await pool.connect();
      const taken = await client.query<{ ok: boolean | string }>(
        how === 'try'
          ? `SELECT pg_try_advisory_lock${suffix}(hashtextextended($1, 0)) AS ok`
          : `SELECT pg_advisory_lock${suffix}(hashtextextended($1, 0))::text AS ok`,
        [key],
      );
      if (how === 'try' && taken.rows[0]?.ok !== true) {
        client.release();
        return undefined;
      }
    } catch (error) {
      client?.release(true);
      throw this.translate(error, `taking the lock "${name}"`);
    }
    const held = client;
    return async () => {
      let broken: Error | undefined;
      await held
        .query(`SELECT pg_advisory_unlock${suffix}(hashtextextended($1, 0))`, [key])
        .catch((error: Error) => (broken = error));
      // A session whose unlock failed may still hold the lock: never hand it out again.
      held.release(broken);
    };
  }

  private newLockPool(): Pool {
    const pool = new Pool({
      max: LOCK_POOL_SIZE,
      connectionTimeoutMillis: this.location.connectTimeoutMs,
      connectionString: this.location.connectionString,
      types: TYPES,
    });
    pool.on('error', () => undefined);
    return pool;
  }

  /** Settles queued appends, ends every subscription and the listener, then closes the pool. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.writer.flush();
    this.closed = true;
    await Promise.all([...this.subscriptions].map((subscription) => subscription.close()));
    if (this.listener) {
      clearInterval(this.listener.timer);
      clearTimeout(this.listener.retry);
      await this.listener.client?.end().catch(() => undefined);
      this.listener = undefined;
    }
    await this.pool.end().catch(() => undefined);
    await Promise.all(Object.values(this.lockPools).map((p) => p.end().catch(() => undefined)));
  }

  private wakeSubscriptions(): void {
    for (const subscription of this.subscriptions) subscription.notifyAppended();
  }

  /** Starts the LISTEN connection with the first subscription; it reconnects on its own. */
  private listen(): void {
    if (this.listener) return;
    const timer = setInterval(() => this.wakeSubscriptions(), this.fallbackWakeMs);
    timer.unref();
    this.listener = { client: undefined, timer, retry: undefined };
    void this.connectListener(RECONNECT_MS[0]);
  }

  private async connectListener(backoff: number): Promise<void> {
    const state = this.listener;
    if (this.closed || !state) return;
    const client = new Client({ connectionString: this.location.connectionString, types: TYPES });
    const retry = () => {
      if (this.closed || this.listener !== state || state.retry) return;
      state.client = undefined;
      client.end().catch(() => undefined);
      state.retry = setTimeout(() => {
        state.retry = undefined;
        void this.connectListener(Math.min(backoff * 2, RECONNECT_MS[1]));
      }, backoff);
      state.retry.unref();
    };
    client.on('error', retry);
    client.on('end', retry);
    client.on('notification', () => this.wakeSubscriptions());
    try {
      await client.connect();
      await client.query(`LISTEN ${this.channel}`);
    } catch {
      return retry();
    }
    if (this.closed || this.listener !== state) {
      await client.end().catch(() => undefined);
      return;
    }
    state.client = client;
    // Whatever was committed while no one listened.
    this.wakeSubscriptions();
  }

  private async query<R extends object>(text: string, values: unknown[], doing: string) {
    try {
      return await this.pool.query<R>(text, values);
    } catch (error) {
      throw this.translate(error, doing);
    }
  }

  private async queryRows(text: string, values: unknown[], doing: string): Promise<RawRow[]> {
    try {
      return (await this.pool.query<RawRow>({ text, values, rowMode: 'array' })).rows;
    } catch (error) {
      throw this.translate(error, doing);
    }
  }

  /** Every driver error becomes `LedgerUnavailable` naming the ledger (host, database, schema; no credentials). */
  private translate(error: unknown, doing: string): EventStoreError {
    if (
      error instanceof LedgerUnavailable ||
      error instanceof InvalidEventStoreArgument ||
      error instanceof NoLedger
    )
      return error;
    const message = error instanceof Error ? error.message : String(error);
    return new LedgerUnavailable(`${this.location.where}: ${doing} failed: ${message}`, { cause: error });
  }

  protected assertOpen(): void {
    if (this.closed) throw new LedgerUnavailable(`${this.location.where} is closed`);
  }
}

/** Opens the PostgreSQL ledger `url` names (postgres://user@host:port/database?schema=name). */
export function openPostgresEventStore(
  url: string,
  options?: PostgresEventStoreOptions,
): Promise<PostgresEventStore> {
  return PostgresEventStore.open(url, options);
}
