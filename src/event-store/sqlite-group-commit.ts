import type Database from 'better-sqlite3';
import { StreamDeleted, WrongExpectedRevision, type EventStoreError } from './errors';
import type { AppendResult, ExpectedRevision } from './event-store';
import type { EncodedEvent } from './arguments';
import { toLedgerError } from './sqlite-errors';

/** One queued write. `events` is absent for a tombstone. */
export interface PendingWrite {
  readonly stream: string;
  readonly expected: ExpectedRevision;
  readonly events?: readonly EncodedEvent[];
  readonly resolve: (result: AppendResult) => void;
  readonly reject: (error: EventStoreError) => void;
}

/** What the transaction decided for one write; settled only after COMMIT returned. */
type Outcome = AppendResult | EventStoreError;

interface StreamState {
  revision: number;
  deleted: boolean;
  dirty: boolean;
}

function matches(expected: ExpectedRevision, actual: number): boolean {
  if (expected === 'any') return true;
  if (expected === 'no_stream') return actual === -1;
  if (expected === 'stream_exists') return actual >= 0;
  return expected === actual;
}

/**
 * Group commit: writes queued by concurrent callers are flushed together in one transaction, so
 * one fsync covers the whole batch. Each write is checked against the in-transaction state in
 * arrival order; a refused write inserts nothing and the others go ahead. If the transaction
 * fails, every write of the batch is rejected.
 */
export class GroupCommitWriter {
  private queue: PendingWrite[] = [];
  private scheduled: NodeJS.Immediate | undefined;
  private readonly head: Database.Statement<[], number>;
  private readonly selectStream: Database.Statement<[string], { revision: number; deleted: number }>;
  private readonly insertEvent: Database.Statement<
    [number, string, number, string, string, string, string, string]
  >;
  private readonly upsertStream: Database.Statement<[string, number, number]>;
  private readonly commitBatch: Database.Transaction<(batch: PendingWrite[]) => Outcome[]>;

  constructor(
    db: Database.Database,
    private readonly path: string,
    private readonly onCommitted: () => void,
  ) {
    this.head = db.prepare<[], number>('SELECT coalesce(max(position), 0) FROM events').pluck();
    this.selectStream = db.prepare('SELECT revision, deleted FROM streams WHERE name = ?');
    this.insertEvent = db.prepare(
      'INSERT INTO events (position, stream, revision, id, type, data, metadata, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    );
    this.upsertStream = db.prepare(
      'INSERT INTO streams (name, revision, deleted) VALUES (?, ?, ?) ' +
        'ON CONFLICT (name) DO UPDATE SET revision = excluded.revision, deleted = excluded.deleted',
    );
    this.commitBatch = db.transaction((batch: PendingWrite[]) => this.apply(batch));
  }

  enqueue(write: PendingWrite): void {
    this.queue.push(write);
    // setImmediate (not a microtask) lets every caller resumed in this turn join the batch.
    this.scheduled ??= setImmediate(() => this.flush());
  }

  /** Commits everything queued now. Synchronous: better-sqlite3 blocks until COMMIT returned. */
  flush(): void {
    if (this.scheduled !== undefined) clearImmediate(this.scheduled);
    this.scheduled = undefined;
    const batch = this.queue;
    this.queue = [];
    if (batch.length === 0) return;
    let outcomes: Outcome[];
    try {
      // IMMEDIATE takes the write lock up front: no SQLITE_BUSY on upgrade mid-batch.
      outcomes = this.commitBatch.immediate(batch);
    } catch (err) {
      const error = toLedgerError(err, this.path, `committing ${batch.length} appends`);
      for (const write of batch) write.reject(error);
      return;
    }
    let committed = false;
    outcomes.forEach((outcome, i) => {
      if (outcome instanceof Error) return batch[i].reject(outcome);
      committed = true;
      batch[i].resolve(outcome);
    });
    if (committed) this.onCommitted();
  }

  private apply(batch: PendingWrite[]): Outcome[] {
    const recordedAt = new Date().toISOString();
    let position = this.head.get() as number;
    const streams = new Map<string, StreamState>();
    const outcomes = batch.map((write): Outcome => {
      let state = streams.get(write.stream);
      if (state === undefined) {
        const row = this.selectStream.get(write.stream);
        state = { revision: row?.revision ?? -1, deleted: row?.deleted === 1, dirty: false };
        streams.set(write.stream, state);
      }
      if (state.deleted) return new StreamDeleted(write.stream);
      if (!matches(write.expected, state.revision)) {
        return new WrongExpectedRevision(write.stream, write.expected, state.revision);
      }
      state.dirty = true;
      if (write.events === undefined) {
        state.deleted = true;
      } else {
        for (const e of write.events) {
          this.insertEvent.run(
            ++position,
            write.stream,
            ++state.revision,
            e.id,
            e.type,
            e.data,
            e.metadata,
            recordedAt,
          );
        }
      }
      return { nextExpectedRevision: state.revision, position };
    });
    for (const [name, state] of streams) {
      if (state.dirty) this.upsertStream.run(name, state.revision, state.deleted ? 1 : 0);
    }
    return outcomes;
  }
}
