/**
 * Group commit for the PostgreSQL ledger: writes queued while a transaction is under way are
 * committed together in the next one, each still settled with its own result or conflict
 * (`planBatch`). One transaction at a time per store; across instances the `head` row lock orders
 * them (src/event-store/postgres-schema.ts).
 *
 * A transaction is four round trips: BEGIN and the head lock, the batch's streams (read after the
 * lock, in a new statement, so under READ COMMITTED they include every transaction committed
 * before the lock was granted), one statement that inserts the events, upserts the streams,
 * advances the head and queues the NOTIFY, and COMMIT.
 */
import type { Pool } from 'pg';
import { planBatch, settleBatch, type BatchPlan, type PendingWrite } from './batch-plan';
import type { EventStoreError } from './errors';

/** Writes per transaction: bounds a transaction's parameters (about 8 MiB at the largest events). */
const MAX_BATCH_WRITES = 512;

export class PostgresGroupCommit {
  private queue: PendingWrite[] = [];
  private running: Promise<void> | undefined;
  private readonly lockHead: string;
  private readonly selectStreams: string;
  private readonly write: string;

  constructor(
    private readonly pool: Pool,
    schema: string,
    private readonly channel: string,
    private readonly translate: (error: unknown, doing: string) => EventStoreError,
    private readonly onCommitted: (head: number) => void,
  ) {
    this.lockHead = `BEGIN; SELECT position FROM ${schema}.head WHERE id = 1 FOR UPDATE`;
    this.selectStreams = `SELECT name, revision, deleted FROM ${schema}.streams WHERE name = ANY($1::text[])`;
    this.write = `
      WITH e AS (
        INSERT INTO ${schema}.events (position, stream, revision, id, type, data, metadata, recorded_at)
        SELECT p, s, r, i, t, d, m, $8::text
        FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[])
          AS u(p, s, r, i, t, d, m)
      ), s AS (
        INSERT INTO ${schema}.streams (name, revision, deleted)
        SELECT * FROM unnest($9::text[], $10::bigint[], $11::boolean[])
        ON CONFLICT (name) DO UPDATE SET revision = excluded.revision, deleted = excluded.deleted
      ), h AS (
        UPDATE ${schema}.head SET position = $12 WHERE id = 1
      )
      SELECT pg_notify($13, $12::text)`;
  }

  enqueue(write: PendingWrite): void {
    this.queue.push(write);
    // setImmediate: every caller resumed in this turn joins the first batch too.
    this.running ??= new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.drain());
  }

  /** Resolves when every write queued so far is settled. */
  async flush(): Promise<void> {
    while (this.running) await this.running;
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, MAX_BATCH_WRITES);
        await this.commit(batch);
      }
    } finally {
      this.running = undefined;
    }
  }

  private async commit(batch: PendingWrite[]): Promise<void> {
    let plan: BatchPlan;
    let client;
    try {
      client = await this.pool.connect();
    } catch (error) {
      const failure = this.translate(error, `connecting to commit ${batch.length} appends`);
      for (const write of batch) write.reject(failure);
      return;
    }
    let broken: Error | undefined;
    try {
      const locked = await client.query<{ position: number }>(this.lockHead);
      const head = (locked as unknown as Array<{ rows: Array<{ position: number }> }>)[1].rows[0].position;
      const names = [...new Set(batch.map((w) => w.stream))];
      const stored = await client.query<{ name: string; revision: number; deleted: boolean }>(
        this.selectStreams,
        [names],
      );
      const rows = new Map(stored.rows.map((r) => [r.name, r]));
      plan = planBatch(batch, head, (name) => rows.get(name));
      if (plan.streams.size > 0) await client.query(this.write, writeParameters(plan, this.channel));
      await client.query('COMMIT');
    } catch (error) {
      broken = error as Error;
      await client.query('ROLLBACK').catch(() => undefined);
      const failure = this.translate(error, `committing ${batch.length} appends`);
      for (const write of batch) write.reject(failure);
      return;
    } finally {
      // A client whose transaction failed may be mid-protocol: do not hand it out again.
      client.release(broken);
    }
    if (settleBatch(batch, plan.outcomes)) this.onCommitted(plan.head);
  }
}

function writeParameters(plan: BatchPlan, channel: string): unknown[] {
  const n = plan.events.length;
  const [positions, streams, revisions] = [new Array<number>(n), new Array<string>(n), new Array<number>(n)];
  const [ids, types, data, metadata] = [
    new Array<string>(n),
    new Array<string>(n),
    new Array<string>(n),
    new Array<string>(n),
  ];
  plan.events.forEach(({ position, stream, revision, event }, i) => {
    positions[i] = position;
    streams[i] = stream;
    revisions[i] = revision;
    ids[i] = event.id;
    types[i] = event.type;
    data[i] = event.data;
    metadata[i] = event.metadata;
  });
  const names = [...plan.streams.keys()];
  const states = [...plan.streams.values()];
  return [
    positions,
    streams,
    revisions,
    ids,
    types,
    data,
    metadata,
    new Date().toISOString(),
    names,
    states.map((s) => s.revision),
    states.map((s) => s.deleted),
    plan.head,
    channel,
  ];
}
