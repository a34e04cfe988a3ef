/**
 * The event store's closed error taxonomy. Vendor errors (SQLite, EventStoreDB) are translated into
 * these at the store's boundary, so callers never see a driver's error type.
 */
export type ExpectedRevisionDescription = number | 'no_stream' | 'stream_exists' | 'any';

export abstract class EventStoreError extends Error {
  abstract readonly type: string;
}

/** An append's expected revision did not match the stream. `actual` is -1 when the stream does not exist. */
export class WrongExpectedRevision extends EventStoreError {
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
  readonly type = 'stream-deleted';
  constructor(readonly stream: string) {
    super(`stream "${stream}" was deleted (tombstoned); it can no longer be read or appended to`);
  }
}

/** One event's encoded size (type + data + metadata) exceeds the store's limit. */
export class EventTooLarge extends EventStoreError {
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
  readonly type = 'ledger-unavailable';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Bad arguments to a store call (empty stream name, negative revision, malformed event). */
export class InvalidEventStoreArgument extends EventStoreError {
  readonly type = 'invalid-argument';
}
