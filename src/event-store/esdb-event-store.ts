/**
 * The EventStoreDB implementation of the `EventStore` port. This is the only file that imports
 * `@eventstore/db-client` (docs/style.md §6): every client type, bigint and error is translated here.
 *
 * Positions: our `position` is the event's commit position in the transaction log. For events
 * written through gRPC appends (implicitly committed prepares) the server reports commit position ==
 * the prepare's own log position, so it is unique per event and strictly increasing. Positions are
 * byte offsets: they grow monotonically but are not contiguous and do not start at 1.
 *
 * System records (`$`-prefixed streams, and `$`-prefixed event types such as the `$streamDeleted`
 * tombstone) live in the same `$all` log; they are filtered out so the port shows only our events.
 */
import {
  ANY,
  BACKWARDS,
  END,
  EventStoreDBClient,
  FORWARDS,
  InvalidArgumentError,
  MaxAppendSizeExceededError,
  NO_STREAM,
  START,
  STREAM_EXISTS,
  StreamDeletedError,
  StreamNotFoundError,
  WrongExpectedVersionError,
  convertToCommandError,
  isCommandError,
  jsonEvent,
} from '@eventstore/db-client';
import type {
  AllStreamResolvedEvent,
  AllStreamSubscription,
  AppendExpectedRevision,
  Position,
  ReadPosition,
  ResolvedEvent,
  StreamingRead,
} from '@eventstore/db-client';
import {
  EventStoreError,
  EventTooLarge,
  InvalidEventStoreArgument,
  LedgerUnavailable,
  StreamDeleted,
  WrongExpectedRevision,
} from './errors';
import {
  type AllSubscription,
  type AppendOptions,
  type AppendResult,
  type EventData,
  type EventStore,
  type ExpectedRevision,
  type JsonObject,
  type ReadAllOptions,
  type ReadStreamOptions,
  type RecordedEvent,
  type SubscribeToAllOptions,
} from './event-store';
// The port's boundary checks; nothing in that module is SQLite-specific, and sharing it keeps both
// stores refusing the same arguments with the same messages.
import {
  assertStreamName,
  checkExpectedRevision,
  checkFromPosition,
  checkReadAllOptions,
  checkReadStreamOptions,
  encodeEvents,
} from './arguments';

export interface EsdbEventStoreOptions {
  /**
   * Longest wait for one call (an append, a tombstone, one read), in ms; then it fails with
   * `LedgerUnavailable`. Default 10 000. Enforced here as well as passed to gRPC, because client
   * 6.2.1 sends its first request (server features) with no deadline at all: a server that accepts
   * the TCP connection but never answers would otherwise hang every call forever.
   */
  readonly deadlineMs?: number;
  /**
   * Prefix added to every stream name on the server. Reads of `$all` show only streams under it,
   * with the prefix removed: several ledgers (or test runs) can share one cluster without seeing
   * each other's events.
   */
  readonly namespace?: string;
}

/** Page size for raw `$all` reads; system events are skipped, so a page may yield fewer of ours. */
const RAW_PAGE = 512;
/** Backwards page when looking for the head: usually the first record is ours already. */
const HEAD_PAGE = 256;
const DEFAULT_DEADLINE_MS = 10_000;

/** Connects lazily: the first call opens the channel, so an unreachable server fails that call. */
export function openEsdbEventStore(url: string, options: EsdbEventStoreOptions = {}): EsdbEventStore {
  return new EsdbEventStore(url, options);
}

export class EsdbEventStore implements EventStore {
  readonly kind = 'esdb';
  private readonly client: EventStoreDBClient;
  private readonly namespace: string;
  private readonly deadline: number;
  private readonly subscriptions = new Set<EsdbAllSubscription>();
  private closed = false;

  constructor(url: string, options: EsdbEventStoreOptions = {}) {
    if (!/^esdb(\+discover)?:\/\//.test(url)) {
      throw new InvalidEventStoreArgument(`"url" expected esdb://host:port?tls=..., got "${url}"`);
    }
    try {
      this.client = EventStoreDBClient.connectionString(url);
    } catch (error) {
      throw new InvalidEventStoreArgument(
        `"url" is not a valid EventStoreDB connection string: ${messageOf(error)}`,
      );
    }
    this.namespace = options.namespace ?? '';
    if (this.namespace.startsWith('$')) {
      throw new InvalidEventStoreArgument(
        `"namespace" must not start with "$" (reserved for system streams)`,
      );
    }
    this.deadline = options.deadlineMs ?? DEFAULT_DEADLINE_MS;
    if (!Number.isSafeInteger(this.deadline) || this.deadline <= 0) {
      throw new InvalidEventStoreArgument(
        `"deadlineMs" expected a positive integer, got ${String(this.deadline)}`,
      );
    }
  }

  async append(
    stream: string,
    events: readonly EventData[],
    options: AppendOptions = {},
  ): Promise<AppendResult> {
    this.assertOpen();
    checkStream(stream);
    const expected = checkExpectedRevision(options.expectedRevision);
    // Validates every event and enforces MAX_EVENT_BYTES per event before anything is sent: the
    // server's own limit is per append (all events together), not the port's per-event limit.
    const encoded = encodeEvents(stream, events);
    const wire = encoded.map((e, i) => {
      if (e.type.startsWith('$')) {
        throw new InvalidEventStoreArgument(
          `"events[${i}].type" must not start with "$" (reserved for system events), got "${e.type}"`,
        );
      }
      return jsonEvent({ id: e.id, type: e.type, data: events[i].data, metadata: events[i].metadata ?? {} });
    });
    try {
      const result = await this.bounded(
        `an append to "${stream}"`,
        this.client.appendToStream(this.serverName(stream), wire, {
          expectedRevision: toClientExpected(expected),
          deadline: this.deadline,
        }),
      );
      if (result.position === undefined) {
        throw new LedgerUnavailable(`EventStoreDB did not report the position of the append to "${stream}"`);
      }
      return {
        nextExpectedRevision: toNumber(result.nextExpectedRevision, 'revision'),
        position: toNumber(result.position.commit, 'position'),
      };
    } catch (error) {
      throw translateEsdbError(error, { stream, expected, events });
    }
  }

  async readStream(stream: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    this.assertOpen();
    checkStream(stream);
    const { forwards } = checkReadStreamOptions(options);
    const direction = forwards ? 'forwards' : 'backwards';
    const from = options.fromRevision ?? (forwards ? 'start' : 'end');
    if (options.maxCount === 0) return [];
    const out: RecordedEvent[] = [];
    try {
      const read = this.client.readStream(this.serverName(stream), {
        direction: direction === 'forwards' ? FORWARDS : BACKWARDS,
        fromRevision: from === 'start' ? START : from === 'end' ? END : BigInt(from),
        ...(options.maxCount !== undefined ? { maxCount: options.maxCount } : {}),
      });
      await this.drain(`a read of "${stream}"`, read, (resolved) => {
        const event = this.toRecorded(resolved);
        if (event) out.push(event);
      });
    } catch (error) {
      // The port reads a stream that never existed as empty; ESDB reports it as an error.
      if (error instanceof StreamNotFoundError) return [];
      throw translateEsdbError(error, { stream });
    }
    return out;
  }

  async readAll(options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    this.assertOpen();
    const { fromPosition: from, maxCount: max } = checkReadAllOptions(options);
    const out: RecordedEvent[] = [];
    // ESDB's forward read is inclusive of `fromPosition`; ours is exclusive, so the event exactly at
    // the start (and, on later pages, the last one already seen) is dropped by the `<= after` test.
    let after = BigInt(from);
    let start: ReadPosition = from === 0 ? START : { commit: after, prepare: after };
    try {
      while (out.length < max) {
        let raw = 0;
        let last: Position | undefined;
        await this.drain(
          'a read of $all',
          this.client.readAll({ fromPosition: start, maxCount: RAW_PAGE }),
          (resolved) => {
            raw++;
            const position = resolved.event?.position;
            if (!position) return;
            last = position;
            if (position.commit <= after || out.length >= max) return;
            const event = this.toRecorded(resolved);
            if (event) out.push(event);
          },
        );
        if (raw < RAW_PAGE || !last) break;
        after = last.commit;
        start = last;
      }
    } catch (error) {
      throw translateEsdbError(error, {});
    }
    return out;
  }

  async headPosition(): Promise<number> {
    this.assertOpen();
    // Walk back from the end past system records until we meet one of ours.
    let start: ReadPosition = END;
    let before: bigint | undefined;
    try {
      for (;;) {
        let raw = 0;
        let last: Position | undefined;
        let found: bigint | undefined;
        const page = this.client.readAll({ direction: BACKWARDS, fromPosition: start, maxCount: HEAD_PAGE });
        await this.drain('a read of $all', page, (resolved) => {
          raw++;
          const position = resolved.event?.position;
          if (!position) return true;
          // A backwards page may repeat the event it started at: skip anything not strictly older.
          if (before !== undefined && position.commit >= before) return true;
          last = position;
          if (!this.toRecorded(resolved)) return true;
          found = position.commit;
          return false;
        });
        if (found !== undefined) return toNumber(found, 'position');
        if (raw < HEAD_PAGE || !last) return 0;
        start = last;
        before = last.commit;
      }
    } catch (error) {
      throw translateEsdbError(error, {});
    }
  }

  subscribeToAll(options: SubscribeToAllOptions = {}): AllSubscription {
    this.assertOpen();
    const from = checkFromPosition(options.fromPosition);
    const subscription = new EsdbAllSubscription(
      this.client,
      from,
      (resolved) => this.toRecorded(resolved),
      () => this.rawHead(),
      (s) => this.subscriptions.delete(s),
    );
    this.subscriptions.add(subscription);
    return subscription;
  }

  async tombstone(stream: string, options: AppendOptions = {}): Promise<void> {
    this.assertOpen();
    checkStream(stream);
    const expected = checkExpectedRevision(options.expectedRevision);
    try {
      let revision: bigint | typeof ANY | typeof NO_STREAM;
      if (expected === 'stream_exists') {
        // ESDB's delete takes no "stream exists" check: read the last revision and expect exactly it,
        // so a concurrent append still fails the tombstone rather than racing past it.
        const last = await this.readStream(stream, { direction: 'backwards', maxCount: 1 });
        if (last.length === 0) throw new WrongExpectedRevision(stream, expected, -1);
        revision = BigInt(last[0].revision);
      } else {
        revision = toClientExpected(expected) as bigint | typeof ANY | typeof NO_STREAM;
      }
      await this.bounded(
        `a tombstone of "${stream}"`,
        this.client.tombstoneStream(this.serverName(stream), {
          expectedRevision: revision,
          deadline: this.deadline,
        }),
      );
    } catch (error) {
      throw translateEsdbError(error, { stream, expected });
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.subscriptions].map((s) => s.close()));
    await this.client.dispose();
  }

  /** Commit position of the last record of any kind (0 when the log is empty). */
  private async rawHead(): Promise<bigint> {
    let head = 0n;
    const read = this.client.readAll({ direction: BACKWARDS, fromPosition: END, maxCount: 1 });
    await this.drain('a read of $all', read, (resolved) => {
      head = resolved.event?.position?.commit ?? resolved.commitPosition ?? 0n;
    });
    return head;
  }

  /** Feeds every event of a read to `visit` (which returns false to stop early), within the deadline. */
  private async drain<E>(
    what: string,
    read: StreamingRead<E>,
    visit: (event: E) => boolean | void,
  ): Promise<void> {
    const consume = async (): Promise<void> => {
      for await (const event of read as AsyncIterable<E>) {
        if (visit(event) === false) break;
      }
    };
    await this.bounded(what, consume(), () => void read.cancel().catch(() => undefined));
  }

  /** Races a call against the deadline; `cancel` releases what the abandoned call holds. */
  private async bounded<T>(what: string, work: Promise<T>, cancel?: () => void): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => {
        cancel?.();
        reject(new LedgerUnavailable(`EventStoreDB did not complete ${what} within ${this.deadline} ms`));
      }, this.deadline);
    });
    // An abandoned call may still settle later, with nobody awaiting it: keep that from crashing.
    // (An append abandoned here may yet commit; callers retry with an expected revision.)
    work.catch(() => undefined);
    try {
      return await Promise.race([work, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Our view of a server record, or undefined for system records and other namespaces. */
  private toRecorded(resolved: ResolvedEvent | AllStreamResolvedEvent): RecordedEvent | undefined {
    const event = resolved.event;
    if (!event) return undefined;
    if (event.streamId.startsWith('$') || event.type.startsWith('$')) return undefined;
    if (!event.streamId.startsWith(this.namespace)) return undefined;
    const commit = event.position?.commit ?? resolved.commitPosition;
    if (commit === undefined) {
      throw new LedgerUnavailable(
        'EventStoreDB did not report event positions; keyledger needs server 22.6 or later',
      );
    }
    if (!event.isJson || !isJsonObject(event.data)) {
      throw new LedgerUnavailable(
        `event ${event.id} in "${event.streamId}" is not a JSON object; it was not written by keyledger`,
      );
    }
    return {
      id: event.id,
      streamName: event.streamId.slice(this.namespace.length),
      revision: toNumber(event.revision, 'revision'),
      position: toNumber(commit, 'position'),
      type: event.type,
      data: event.data,
      metadata: isJsonObject(event.metadata) ? event.metadata : {},
      recordedAt: event.created.toISOString(),
    };
  }

  private serverName(stream: string): string {
    return this.namespace + stream;
  }

  private assertOpen(): void {
    if (this.closed) throw new LedgerUnavailable('the EventStoreDB store was closed');
  }
}

/**
 * A catch-up subscription over the client's `$all` subscription. Pull-based: the client's stream is
 * a Readable that applies backpressure down to gRPC flow control.
 *
 * `caughtUp`: client 6.2.1 emits `caughtUp` only when the server sends it (23.10+), and it fires as
 * the message passes the client's transform, before earlier events have reached our consumer. So we
 * read the log's last position when the subscription starts and resolve once a record at or beyond
 * it has been handed on: exact on every server version.
 */
class EsdbAllSubscription implements AllSubscription {
  readonly caughtUp: Promise<void>;
  private readonly inner: AllStreamSubscription;
  private readonly after: bigint;
  /** Log head when the subscription started; undefined until read. */
  private head: bigint | undefined;
  /** Commit position of the last record handed over (or skipped as a system record). */
  private seen: bigint;
  private markCaughtUp!: () => void;
  private failCaughtUp!: (error: Error) => void;
  private isCaughtUp = false;
  private closed = false;

  constructor(
    client: EventStoreDBClient,
    fromPosition: number,
    private readonly toRecorded: (resolved: AllStreamResolvedEvent) => RecordedEvent | undefined,
    rawHead: () => Promise<bigint>,
    private readonly onClose: (s: EsdbAllSubscription) => void,
  ) {
    this.after = BigInt(fromPosition);
    this.seen = this.after;
    this.caughtUp = new Promise<void>((resolve, reject) => {
      this.markCaughtUp = resolve;
      this.failCaughtUp = reject;
    });
    // Nobody may be awaiting caughtUp when the connection fails; that must not crash the process.
    this.caughtUp.catch(() => undefined);
    // ESDB subscribes exclusively of a position; we still drop anything at or before it below.
    const start: ReadPosition = fromPosition === 0 ? START : { commit: this.after, prepare: this.after };
    this.inner = client.subscribeToAll({ fromPosition: start, resolveLinkTos: false });
    // Without a listener an 'error' event would be thrown as an uncaught exception.
    this.inner.on('error', (error: Error) => this.fail(translateEsdbError(error, {})));
    rawHead().then(
      (head) => {
        this.head = head;
        // The head may be read after the iteration has already passed it.
        if (head <= this.seen) this.reachCaughtUp();
      },
      (error: unknown) => {
        const ours = translateEsdbError(error, {});
        this.fail(ours);
        // The server did not answer in time: end the iteration with that error too, not a hang.
        this.inner.destroy(ours);
      },
    );
  }

  async *[Symbol.asyncIterator](): AsyncIterator<RecordedEvent> {
    try {
      for await (const resolved of this.inner as AsyncIterable<AllStreamResolvedEvent>) {
        if (this.closed) return;
        const commit = resolved.event?.position.commit ?? resolved.commitPosition;
        if (commit === undefined || commit <= this.after) continue;
        const event = this.toRecorded(resolved);
        this.seen = commit;
        if (this.head !== undefined && commit >= this.head) this.reachCaughtUp();
        if (event) yield event;
      }
    } catch (error) {
      if (this.closed) return;
      throw translateEsdbError(error, {});
    } finally {
      // A consumer that stops iterating is done with it: release the gRPC call now, not at dispose.
      await this.close();
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.onClose(this);
    this.failCaughtUp(new LedgerUnavailable('the subscription was closed before it caught up'));
    await this.inner.unsubscribe().catch(() => undefined);
    this.inner.destroy();
  }

  private reachCaughtUp(): void {
    if (this.isCaughtUp) return;
    this.isCaughtUp = true;
    this.markCaughtUp();
  }

  private fail(error: Error): void {
    if (!this.isCaughtUp) this.failCaughtUp(error);
  }
}

interface ErrorContext {
  readonly stream?: string;
  readonly expected?: ExpectedRevision;
  readonly events?: readonly EventData[];
}

/**
 * Converts anything the client throws into our taxonomy (errors.ts). Errors that are already ours
 * pass through, and so do errors that did not come from the client (our own bugs stay visible).
 */
export function translateEsdbError(error: unknown, context: ErrorContext = {}): Error {
  if (error instanceof EventStoreError) return error;
  if (!(error instanceof Error)) return new LedgerUnavailable(`EventStoreDB failed: ${String(error)}`);
  // Unary calls can reject with a raw gRPC ServiceError (e.g. UNAVAILABLE before the channel
  // exists); the client's own converter gives it a class first.
  const e = convertToCommandError(error);
  if (!isCommandError(e)) return e;
  if (e instanceof WrongExpectedVersionError) {
    return new WrongExpectedRevision(
      context.stream ?? e.streamName,
      context.expected ?? fromClientExpected(e.expectedVersion),
      e.actualVersion === NO_STREAM ? -1 : toNumber(e.actualVersion, 'revision'),
    );
  }
  if (e instanceof StreamDeletedError) return new StreamDeleted(context.stream ?? e.streamName);
  if (e instanceof MaxAppendSizeExceededError) {
    const events = context.events ?? [];
    return new EventTooLarge(
      context.stream ?? '',
      [...new Set(events.map((ev) => ev.type))].join(',') || 'unknown',
      events.reduce((sum, ev) => sum + encodedEventSize(ev), 0),
      e.maxAppendSize,
    );
  }
  if (e instanceof InvalidArgumentError) return new InvalidEventStoreArgument(e.message, { cause: e });
  // Unavailable, deadline exceeded, aborted, cancelled by the server, not leader, access denied,
  // unknown: all mean the ledger cannot be used right now.
  return new LedgerUnavailable(`EventStoreDB ${e.type}: ${e.message}`, { cause: e });
}

/** Encoded size as the port defines it: UTF-8 bytes of the type, the JSON data and the JSON metadata. */
export function encodedEventSize(event: EventData): number {
  return (
    Buffer.byteLength(event.type) +
    Buffer.byteLength(JSON.stringify(event.data)) +
    Buffer.byteLength(JSON.stringify(event.metadata ?? {}))
  );
}

function toClientExpected(expected: ExpectedRevision): AppendExpectedRevision {
  switch (expected) {
    case 'any':
      return ANY;
    case 'no_stream':
      return NO_STREAM;
    case 'stream_exists':
      return STREAM_EXISTS;
    default:
      return BigInt(expected);
  }
}

function fromClientExpected(expected: AppendExpectedRevision): ExpectedRevision {
  return typeof expected === 'bigint' ? toNumber(expected, 'revision') : expected;
}

function toNumber(value: bigint, what: string): number {
  if (value < 0n || value > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new LedgerUnavailable(`EventStoreDB ${what} ${value} is outside the safe integer range`);
  }
  return Number(value);
}

function checkStream(stream: string): void {
  assertStreamName(stream);
  // `$` names are EventStoreDB system streams, which this store hides from $all reads.
  if (stream.startsWith('$')) {
    throw new InvalidEventStoreArgument(
      `"stream" must not start with "$" (reserved for system streams), got "${stream}"`,
    );
  }
}

function isJsonObject(value: unknown): value is JsonObject {
  return (
    typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array)
  );
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
