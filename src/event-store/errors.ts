/**
 * The event store's closed error taxonomy. Vendor errors (SQLite, EventStoreDB) are translated into
 * these at the store's boundary, so callers never see a driver's error type. Each declares the
 * category the API answers it with (src/domain/error-category.ts).
 */
import type { ErrorCategory } from '../domain/error-category';

export type ExpectedRevisionDescription = number | 'no_stream' | 'stream_exists' | 'any';

/** Declares no category itself: each failure below says what it means for a request. */
export abstract class EventStoreError extends Error {
  abstract readonly type: string;
}

/** An append's expected revision did not match the stream. `actual` is -1 when the stream does not exist. */
export class WrongExpectedRevision extends EventStoreError {
  // Reaches a request only when a concurrent writer kept winning through the write path's retries.
  static readonly category: ErrorCategory = 'conflict';
  readonly type = 'wrong-expected-revision';
  constructor(
    readonly stream: string,
    readonly expected: ExpectedRevisionDescription,
    readonly actual: number,
  ) {
    super(
      `append to "${stream}" expected revision ${String(expected)}, but the stream is at ${
        actual < 0 ? 'no_stream' : actual
      }`,
    );
  }
}

/** The stream was tombstoned: it can be neither read nor appended to again. */
export class StreamDeleted extends EventStoreError {
  // Reads of a tombstoned stream are answered by the custody service; what is left is a write to it.
  static readonly category: ErrorCategory = 'conflict';
  readonly type = 'stream-deleted';
  constructor(readonly stream: string) {
    super(`stream "${stream}" was deleted (tombstoned); it can no longer be read or appended to`);
  }
}

/** One event's encoded size (type + data + metadata) exceeds the store's limit. */
export class EventTooLarge extends EventStoreError {
  // The request's input would make an event the ledger cannot hold: the caller must send less.
  static readonly category: ErrorCategory = 'invalid';
  readonly type = 'event-too-large';
  constructor(
    readonly stream: string,
    readonly eventType: string,
    readonly size: number,
    readonly limit: number,
  ) {
    super(`event "${eventType}" for "${stream}" is ${size} bytes encoded; the limit is ${limit} bytes`);
  }
}

/** The ledger file (or server) cannot be used: corrupt, unreadable, wrong schema, unreachable. */
export class LedgerUnavailable extends EventStoreError {
  static readonly category: ErrorCategory = 'unavailable';
  readonly type = 'ledger-unavailable';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Bad arguments to a store call (empty stream name, negative revision, malformed event). */
export class InvalidEventStoreArgument extends EventStoreError {
  // Requests are validated before the store sees them: this is a bug or bad start-up configuration.
  static readonly category: ErrorCategory = 'internal';
  readonly type = 'invalid-argument';
}
