import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { PRIVATE_DIR_MODE } from '../lib/private-files';
import { LedgerUnavailable, StreamDeleted } from './errors';
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
import { toLedgerError } from './sqlite-errors';
import { QueuedWrites } from './queued-writes';
import type { PendingWrite } from './batch-plan';
import { StoredRow, type RawRow } from './stored-row';
import { GroupCommitWriter } from './sqlite-group-commit';
import { openLedgerDatabase } from './sqlite-schema';
import { CatchUpSubscription } from './catch-up-subscription';

/** File name of the ledger inside the data directory. */
export const LEDGER_FILE_NAME = 'ledger.sqlite';

interface EventRow {
  position: number;
  streamName: string;
  revision: number;
  id: string;
  type: string;
  data: string;
  metadata: string;
  recordedAt: string;
}

const COLUMNS =
  'position, stream AS streamName, revision, id, type, data, metadata, recorded_at AS recordedAt FROM events';

function toRecorded(row: EventRow): RecordedEvent {
  return {
    ...row,
    data: JSON.parse(row.data) as JsonObject,
    metadata: JSON.parse(row.metadata) as JsonObject,
  };
}

/** The embedded ledger: one SQLite file, appends group-committed (see `GroupCommitWriter`). */
export class SqliteEventStore extends QueuedWrites implements EventStore {
  readonly kind = 'sqlite';
  private closed = false;
  private readonly writer: GroupCommitWriter;
  private readonly subscriptions = new Set<CatchUpSubscription>();
  private readonly streamState: Database.Statement<[string], { deleted: number }>;
  private readonly forwards: Database.Statement<[string, number, number], EventRow>;
  private readonly backwards: Database.Statement<[string, number, number], EventRow>;
  private readonly all: Database.Statement<[number, number], EventRow>;
  /** `all` as arrays in COLUMNS order: no object per row for `readAllStored`. */
  private readonly allRaw: Database.Statement<[number, number], RawRow>;
  private readonly head: Database.Statement<[], number>;

  private constructor(
    readonly path: string,
    private readonly db: Database.Database,
  ) {
    super();
    this.writer = new GroupCommitWriter(db, path, () => {
      for (const subscription of this.subscriptions) subscription.notifyAppended();
    });
    this.streamState = db.prepare('SELECT deleted FROM streams WHERE name = ?');
    this.forwards = db.prepare(
      `SELECT ${COLUMNS} WHERE stream = ? AND revision >= ? ORDER BY revision LIMIT ?`,
    );
    this.backwards = db.prepare(
      `SELECT ${COLUMNS} WHERE stream = ? AND revision <= ? ORDER BY revision DESC LIMIT ?`,
    );
    this.all = db.prepare(`SELECT ${COLUMNS} WHERE position > ? ORDER BY position LIMIT ?`);
    this.allRaw = db
      .prepare<[number, number], RawRow>(`SELECT ${COLUMNS} WHERE position > ? ORDER BY position LIMIT ?`)
      .raw(true) as unknown as Database.Statement<[number, number], RawRow>;
    this.head = db.prepare<[], number>('SELECT coalesce(max(position), 0) FROM events').pluck();
  }

  /** Opens or creates the ledger at `path`; throws `LedgerUnavailable` if it cannot be trusted. */
  static open(path: string): SqliteEventStore {
    const db = openLedgerDatabase(path);
    try {
      return new SqliteEventStore(path, db);
    } catch (err) {
      db.close();
      throw toLedgerError(err, path, 'preparing statements');
    }
  }

  protected enqueue(write: PendingWrite): void {
    this.writer.enqueue(write);
  }

  async readStream(stream: string, options?: ReadStreamOptions): Promise<RecordedEvent[]> {
    this.assertOpen();
    assertStreamName(stream);
    const { forwards, fromRevision, limit } = checkReadStreamOptions(options);
    return this.guard(`reading stream "${stream}"`, () => {
      if (this.streamState.get(stream)?.deleted === 1) throw new StreamDeleted(stream);
      return (forwards ? this.forwards : this.backwards).all(stream, fromRevision, limit).map(toRecorded);
    });
  }

  /** Events of tombstoned streams stay in the global order, as in EventStoreDB before a scavenge. */
  async readAll(options?: ReadAllOptions): Promise<RecordedEvent[]> {
    this.assertOpen();
    const { fromPosition, maxCount } = checkReadAllOptions(options);
    return this.guard('reading all streams', () => this.all.all(fromPosition, maxCount).map(toRecorded));
  }

  /** `readAll` with each event's stored text (`ReadsStoredText`): the audit verification's read. */
  async readAllStored(options?: ReadAllOptions): Promise<StoredEvent[]> {
    this.assertOpen();
    const { fromPosition, maxCount } = checkReadAllOptions(options);
    return this.guard('reading all streams', () =>
      this.allRaw.all(fromPosition, maxCount).map((row) => new StoredRow(row)),
    );
  }

  async headPosition(): Promise<number> {
    this.assertOpen();
    return this.guard('reading the head position', () => this.head.get() as number);
  }

  subscribeToAll(options?: SubscribeToAllOptions): AllSubscription {
    this.assertOpen();
    const subscription = new CatchUpSubscription(
      {
        readAfter: (after, limit) => {
          this.assertOpen();
          return this.guard('reading for a subscription', () => this.all.all(after, limit).map(toRecorded));
        },
        forget: (sub) => this.subscriptions.delete(sub),
      },
      checkFromPosition(options?.fromPosition),
    );
    this.subscriptions.add(subscription);
    return subscription;
  }

  /** Commits queued appends, ends every subscription, then closes the file. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.writer.flush();
    await Promise.all([...this.subscriptions].map((subscription) => subscription.close()));
    this.guard('closing', () => this.db.close());
  }

  protected assertOpen(): void {
    if (this.closed) throw new LedgerUnavailable(`ledger ${this.path} is closed`);
  }

  private guard<T>(doing: string, read: () => T): T {
    try {
      return read();
    } catch (err) {
      throw toLedgerError(err, this.path, doing);
    }
  }
}

/** Opens `<dataDir>/ledger.sqlite`, creating the directory (0700) if needed. */
export async function openSqliteEventStore(dataDir: string): Promise<SqliteEventStore> {
  const path = join(dataDir, LEDGER_FILE_NAME);
  try {
    mkdirSync(dataDir, { recursive: true, mode: PRIVATE_DIR_MODE });
  } catch (err) {
    throw toLedgerError(err, path, `creating the data directory ${dataDir}`);
  }
  return SqliteEventStore.open(path);
}
