import type Database from 'better-sqlite3';
import { planBatch, settleBatch, type Outcome, type PendingWrite } from './batch-plan';
import { toLedgerError } from './sqlite-errors';

export type { PendingWrite } from './batch-plan';

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
    if (settleBatch(batch, outcomes)) this.onCommitted();
  }

  private apply(batch: PendingWrite[]): Outcome[] {
    const recordedAt = new Date().toISOString();
    const plan = planBatch(batch, this.head.get() as number, (stream) => {
      const row = this.selectStream.get(stream);
      return row && { revision: row.revision, deleted: row.deleted === 1 };
    });
    for (const { position, stream, revision, event } of plan.events)
      this.insertEvent.run(
        position,
        stream,
        revision,
        event.id,
        event.type,
        event.data,
        event.metadata,
        recordedAt,
      );
    for (const [name, state] of plan.streams)
      this.upsertStream.run(name, state.revision, state.deleted ? 1 : 0);
    return plan.outcomes;
  }
}
