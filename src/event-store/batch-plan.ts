/**
 * What one group-committed transaction writes, decided before anything is written: each queued
 * write is checked in arrival order against the stream state as the batch has left it, so a
 * refused write takes nothing and the others go ahead. Shared by every store that batches
 * (src/event-store/sqlite-group-commit.ts, src/event-store/postgres-group-commit.ts).
 */
import { StreamDeleted, WrongExpectedRevision, type EventStoreError } from './errors';
import type { AppendResult, ExpectedRevision } from './event-store';
import type { EncodedEvent } from './arguments';

/** One queued write. `events` is absent for a tombstone. */
export interface PendingWrite {
  readonly stream: string;
  readonly expected: ExpectedRevision;
  readonly events?: readonly EncodedEvent[];
  readonly resolve: (result: AppendResult) => void;
  readonly reject: (error: EventStoreError) => void;
}

/** What the transaction decided for one write; settled only after COMMIT returned. */
export type Outcome = AppendResult | EventStoreError;

/** A stream as stored: revision -1 when it has no events. */
export interface StreamRow {
  readonly revision: number;
  readonly deleted: boolean;
}

/** An event row to insert. */
export interface PlannedEvent {
  readonly position: number;
  readonly stream: string;
  readonly revision: number;
  readonly event: EncodedEvent;
}

export interface BatchPlan {
  readonly outcomes: Outcome[];
  readonly events: PlannedEvent[];
  /** The streams the batch changed, with their new state. */
  readonly streams: Map<string, StreamRow>;
  /** The global position after the batch. */
  readonly head: number;
}

export function matchesExpected(expected: ExpectedRevision, actual: number): boolean {
  if (expected === 'any') return true;
  if (expected === 'no_stream') return actual === -1;
  if (expected === 'stream_exists') return actual >= 0;
  return expected === actual;
}

/**
 * Plans `batch` after global position `head`. `stored(name)` is the stream as the store holds it
 * inside the transaction (undefined: no such stream); it is asked at most once per stream.
 */
export function planBatch(
  batch: readonly PendingWrite[],
  head: number,
  stored: (stream: string) => StreamRow | undefined,
): BatchPlan {
  let position = head;
  const states = new Map<string, { revision: number; deleted: boolean; dirty: boolean }>();
  const events: PlannedEvent[] = [];
  const outcomes = batch.map((write): Outcome => {
    let state = states.get(write.stream);
    if (state === undefined) {
      const row = stored(write.stream);
      state = { revision: row?.revision ?? -1, deleted: row?.deleted ?? false, dirty: false };
      states.set(write.stream, state);
    }
    if (state.deleted) return new StreamDeleted(write.stream);
    if (!matchesExpected(write.expected, state.revision))
      return new WrongExpectedRevision(write.stream, write.expected, state.revision);
    state.dirty = true;
    if (write.events === undefined) state.deleted = true;
    else
      for (const event of write.events)
        events.push({ position: ++position, stream: write.stream, revision: ++state.revision, event });
    return { nextExpectedRevision: state.revision, position };
  });
  const streams = new Map<string, StreamRow>();
  for (const [name, { revision, deleted, dirty }] of states)
    if (dirty) streams.set(name, { revision, deleted });
  return { outcomes, events, streams, head: position };
}

/** Settles every write of a committed batch; true when at least one was appended. */
export function settleBatch(batch: readonly PendingWrite[], outcomes: readonly Outcome[]): boolean {
  let committed = false;
  outcomes.forEach((outcome, i) => {
    if (outcome instanceof Error) return batch[i].reject(outcome);
    committed = true;
    batch[i].resolve(outcome);
  });
  return committed;
}
