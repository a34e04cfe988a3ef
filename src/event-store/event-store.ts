/**
 * The `EventStore` port: the only way keyledger reads and writes its ledger. Implementations:
 * `SqliteEventStore` (embedded, default), `PostgresEventStore` and `EsdbEventStore` (EventStoreDB).
 * All pass the one contract suite in `test/event-store/`.
 *
 * Revisions are per stream and start at 0. Positions are global, strictly increasing, and start at 1
 * for the first event ever appended; position 0 means "before the first event".
 */

/** Largest encoded event (UTF-8 JSON of type + data + metadata) a store accepts: 1 MiB. */
export const MAX_EVENT_BYTES = 1024 * 1024;

export type JsonObject = { [key: string]: unknown };

/** An event to append. `id` (UUID) is generated when absent. */
export interface EventData {
  readonly type: string;
  readonly data: JsonObject;
  readonly metadata?: JsonObject;
  readonly id?: string;
}

/** An event as read back from the store. */
export interface RecordedEvent {
  readonly id: string;
  readonly streamName: string;
  /** Revision of this event in its stream (0-based). */
  readonly revision: number;
  /** Global position (1-based, strictly increasing across all streams). */
  readonly position: number;
  readonly type: string;
  readonly data: JsonObject;
  readonly metadata: JsonObject;
  /** ISO-8601 time the store recorded the event. */
  readonly recordedAt: string;
}

/**
 * A recorded event with the exact JSON text its store keeps for data and metadata: what a reader
 * that hashes the stored bytes needs (the audit verification, src/audit/chain.ts). `data` is
 * parsed only when read.
 */
export interface StoredEvent extends RecordedEvent {
  readonly stored: { readonly data: string; readonly metadata: string };
}

/** A store that can hand out its stored text (the embedded SQLite ledger). Not part of the port. */
export interface ReadsStoredText {
  readAllStored(options?: ReadAllOptions): Promise<StoredEvent[]>;
}

export function readsStoredText(store: object): store is ReadsStoredText {
  return typeof (store as Partial<ReadsStoredText>).readAllStored === 'function';
}

/**
 * A store shared by several processes that can hold a named lock across all of them (the
 * PostgreSQL ledger: an advisory lock). Not part of the port: a store only one process writes
 * (SQLite) needs none, and callers serialize in memory.
 */
export interface HoldsLocks {
  /**
   * Runs `fn` while holding the lock `name` across every process on this ledger: alone
   * (`exclusive`, the default) or beside other `shared` holders. A shared holder never waits for
   * an exclusive lock of another name, so callers may nest an exclusive lock in a shared one.
   */
  withLock<T>(name: string, fn: () => Promise<T>, mode?: 'exclusive' | 'shared'): Promise<T>;
  /** The exclusive lock `name` if no one holds it now (else undefined); the function releases it. */
  tryLock(name: string): Promise<(() => Promise<void>) | undefined>;
}

export function holdsLocks(store: object): store is HoldsLocks {
  return typeof (store as Partial<HoldsLocks>).withLock === 'function';
}

/**
 * Whether the store numbers events 1, 2, 3, … with no gap (SQLite, PostgreSQL). EventStoreDB's
 * positions are byte offsets in its log.
 */
export function hasDensePositions(store: Pick<EventStore, 'kind'>): boolean {
  return store.kind !== 'esdb';
}

/**
 * Optimistic concurrency: a revision number (the revision of the stream's last event), or
 * `no_stream` (the stream must not exist), `stream_exists` (it must exist), `any` (no check).
 */
export type ExpectedRevision = number | 'no_stream' | 'stream_exists' | 'any';

export interface AppendOptions {
  /** Default `any`. */
  readonly expectedRevision?: ExpectedRevision;
}

export interface AppendResult {
  /** Revision of the last event appended: pass it as `expectedRevision` for the next append. */
  readonly nextExpectedRevision: number;
  /** Global position of the last event appended. */
  readonly position: number;
}

export interface ReadStreamOptions {
  /** Default `forwards`. */
  readonly direction?: 'forwards' | 'backwards';
  /** Inclusive start revision; `start` (default forwards) or `end` (default backwards). */
  readonly fromRevision?: number | 'start' | 'end';
  /** Default: all. */
  readonly maxCount?: number;
}

export interface ReadAllOptions {
  /** Exclusive: events with position > fromPosition. Default 0 (from the beginning). */
  readonly fromPosition?: number;
  /** Default 4096. */
  readonly maxCount?: number;
}

export interface SubscribeToAllOptions {
  /** Exclusive: deliver events with position > fromPosition. Default 0 (whole history). */
  readonly fromPosition?: number;
}

/**
 * A catch-up subscription to all streams: delivers history in global order, then live events, with
 * no gap and no duplicate at the switch. Iterate it with `for await`; iteration ends after `close()`.
 * Delivery is pull-based: a slow consumer is never overrun.
 */
export interface AllSubscription extends AsyncIterable<RecordedEvent> {
  /** Resolves once the subscription has delivered every event that existed when it started. */
  readonly caughtUp: Promise<void>;
  close(): Promise<void>;
}

export interface EventStore {
  /** `sqlite`, `postgres` or `esdb`. */
  readonly kind: string;

  /**
   * Appends events atomically (all or none). Throws `WrongExpectedRevision`, `StreamDeleted`,
   * `EventTooLarge`, `InvalidEventStoreArgument`.
   */
  append(stream: string, events: readonly EventData[], options?: AppendOptions): Promise<AppendResult>;

  /** Reads one stream. A stream that does not exist reads as empty; a tombstoned one throws `StreamDeleted`. */
  readStream(stream: string, options?: ReadStreamOptions): Promise<RecordedEvent[]>;

  /** One page of all streams in global order. */
  readAll(options?: ReadAllOptions): Promise<RecordedEvent[]>;

  /** Position of the last event in the store (0 when empty). */
  headPosition(): Promise<number>;

  subscribeToAll(options?: SubscribeToAllOptions): AllSubscription;

  /** Permanently deletes a stream: later reads and appends throw `StreamDeleted`. */
  tombstone(stream: string, options?: AppendOptions): Promise<void>;

  close(): Promise<void>;
}
