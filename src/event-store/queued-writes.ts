/**
 * The write side of the stores that group-commit (SQLite, PostgreSQL): the boundary checks of
 * `append`, `appendEncoded` and `tombstone`, then one queued write each, settled by the store's
 * writer after its transaction (src/event-store/batch-plan.ts).
 */
import type { AppendOptions, AppendResult, EventData } from './event-store';
import {
  assertStreamName,
  checkEncodedSize,
  checkEventList,
  checkExpectedRevision,
  encodeEvents,
  type EncodedEvent,
} from './arguments';
import type { PendingWrite } from './batch-plan';

export abstract class QueuedWrites {
  /** Throws `LedgerUnavailable` once the store is closed. */
  protected abstract assertOpen(): void;
  /** Hands the write to the store's group commit. */
  protected abstract enqueue(write: PendingWrite): void;

  async append(stream: string, events: readonly EventData[], options?: AppendOptions): Promise<AppendResult> {
    this.assertOpen();
    assertStreamName(stream);
    const expected = checkExpectedRevision(options?.expectedRevision);
    const encoded = encodeEvents(stream, events);
    return new Promise((resolve, reject) =>
      this.enqueue({ stream, expected, events: encoded, resolve, reject }),
    );
  }

  /**
   * `append` for events whose data and metadata are JSON text already: the hash chain's decorator
   * (src/event-store/chained-event-store.ts) makes that text while hashing, and JSON.stringify is
   * most of what an append costs in JavaScript; `keyledger ledger copy` keeps the text it read. Not
   * part of the port. The events' shapes must have been checked (`checkEventShape`); sizes are
   * checked here, as `append` does.
   */
  async appendEncoded(
    stream: string,
    events: readonly EncodedEvent[],
    options?: AppendOptions,
  ): Promise<AppendResult> {
    this.assertOpen();
    assertStreamName(stream);
    const expected = checkExpectedRevision(options?.expectedRevision);
    checkEventList(events);
    const checked = events.map((e) => checkEncodedSize(stream, e));
    return new Promise((resolve, reject) =>
      this.enqueue({ stream, expected, events: checked, resolve, reject }),
    );
  }

  async tombstone(stream: string, options?: AppendOptions): Promise<void> {
    this.assertOpen();
    assertStreamName(stream);
    const expected = checkExpectedRevision(options?.expectedRevision);
    await new Promise((resolve, reject) => this.enqueue({ stream, expected, resolve, reject }));
  }
}
