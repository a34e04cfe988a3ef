/**
 * The hash chain's edge (docs/architecture.md §6.1): an `EventStore` decorator that writes
 * `prevHash` and `hash` (src/audit/chain.ts) into the metadata of every event appended through it.
 * Every store the service opens is wrapped (src/server/open-event-store.ts); reads pass through.
 *
 * A link is only as good as the revision it was computed for, so every append reaches the inner
 * store with a concrete expected revision: the one whose hash became the first event's `prevHash`.
 * `any` and `stream_exists` are resolved against the stream's tail and retried when another
 * writer got there first; the inner store's revision check then guarantees that no two events
 * link to the same predecessor (the chain never forks).
 *
 * The tail's hash comes from a per-stream cache of the last revision this decorator appended (a
 * revision never changes once written, so a cached one is never wrong, only possibly not the
 * last). When the cache does not know the expected revision (a new process, another writer), the
 * stream's last event is read. Appends to one stream are taken one at a time, so a pipelined
 * append finds its predecessor's hash in the cache; appends to different streams are not held
 * back, and the SQLite store still commits them in one group.
 */
import { randomUUID } from 'node:crypto';
import { CHAIN_FIELDS, chainHashOfCanonical } from '../audit/chain';
import { canonicalOrder } from '../lib/canonical-json';
import {
  assertStreamName,
  checkEventList,
  checkEventShape,
  checkExpectedRevision,
  encodeEvents,
  type EncodedEvent,
} from './arguments';
import { InvalidEventStoreArgument, LedgerUnavailable, WrongExpectedRevision } from './errors';
import type {
  AllSubscription,
  AppendOptions,
  AppendResult,
  EventData,
  EventStore,
  ExpectedRevision,
  JsonObject,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  StoredEvent,
  SubscribeToAllOptions,
} from './event-store';
import { holdsLocks, readsStoredText, type HoldsLocks } from './event-store';

/** Attempts of an `any` / `stream_exists` append that keeps losing to other writers. */
export const MAX_CHAIN_ATTEMPTS = 8;
/** Streams whose tail hash is kept (least recently used first out). */
export const MAX_CACHED_TAILS = 65_536;

/** The last event of a stream: revision -1 (hash null) when the stream has none. */
interface Tail {
  readonly revision: number;
  readonly hash: string | null;
}

const NO_TAIL: Tail = { revision: -1, hash: null };

/** An event as the caller gave it, its metadata checked and its JSON as the store will keep it. */
interface Prepared {
  readonly id: string | undefined;
  readonly type: string;
  /** Members in canonical order; `dataJson` is its canonical text. */
  readonly data: JsonObject;
  readonly dataJson: string;
  /** Members in canonical order, without the chain's. */
  readonly metadata: JsonObject;
  /**
   * Its canonical text cut where `prevHash` goes: the members before it and the members after it
   * (each `"key":value,…` without braces, possibly empty), so linking writes text, not objects.
   */
  readonly metadataBefore: string;
  readonly metadataAfter: string;
}

/**
 * A store that takes events already encoded as JSON text (`SqliteEventStore.appendEncoded`): the
 * decorator makes that text while hashing, which spares the store a second JSON.stringify.
 */
interface AppendsEncoded {
  appendEncoded(
    stream: string,
    events: readonly EncodedEvent[],
    options?: AppendOptions,
  ): Promise<AppendResult>;
}

export function appendsEncoded(store: EventStore): store is EventStore & AppendsEncoded {
  return typeof (store as Partial<AppendsEncoded>).appendEncoded === 'function';
}

export function chainedEventStore(inner: EventStore): EventStore {
  return new ChainedEventStore(inner);
}

class ChainedEventStore implements EventStore {
  readonly kind: string;
  private readonly tails = new Map<string, Tail>();
  /** The last append or tombstone queued per stream; the next one starts once it settled. */
  private readonly queues = new Map<string, Promise<unknown>>();

  /** The inner store's, where it has one (event-store.ts `ReadsStoredText`). */
  readonly readAllStored?: (options?: ReadAllOptions) => Promise<StoredEvent[]>;
  /** The inner store's cross-process locks (`HoldsLocks`), when it has them. */
  readonly withLock?: HoldsLocks['withLock'];
  readonly tryLock?: HoldsLocks['tryLock'];

  constructor(private readonly inner: EventStore) {
    this.kind = inner.kind;
    if (readsStoredText(inner)) this.readAllStored = (options) => inner.readAllStored(options);
    if (holdsLocks(inner)) {
      this.withLock = (name, fn, mode) => inner.withLock(name, fn, mode);
      this.tryLock = (name) => inner.tryLock(name);
    }
  }

  append(stream: string, events: readonly EventData[], options?: AppendOptions): Promise<AppendResult> {
    let expected: ExpectedRevision;
    let prepared: Prepared[];
    try {
      assertStreamName(stream);
      expected = checkExpectedRevision(options?.expectedRevision);
      prepared = prepare(stream, events);
    } catch (error) {
      return Promise.reject(error as Error);
    }
    return this.oneAtATime(stream, () => this.appendChained(stream, prepared, expected));
  }

  async tombstone(stream: string, options?: AppendOptions): Promise<void> {
    assertStreamName(stream);
    return this.oneAtATime(stream, () => this.inner.tombstone(stream, options)).finally(() =>
      this.tails.delete(stream),
    );
  }

  readStream(stream: string, options?: ReadStreamOptions): Promise<RecordedEvent[]> {
    return this.inner.readStream(stream, options);
  }

  readAll(options?: ReadAllOptions): Promise<RecordedEvent[]> {
    return this.inner.readAll(options);
  }

  headPosition(): Promise<number> {
    return this.inner.headPosition();
  }

  subscribeToAll(options?: SubscribeToAllOptions): AllSubscription {
    return this.inner.subscribeToAll(options);
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  // Written with as few promises as the path allows: this runs for every event the service appends.
  private appendChained(
    stream: string,
    events: readonly Prepared[],
    expected: ExpectedRevision,
  ): Promise<AppendResult> {
    if (expected === 'no_stream') return this.appendAfter(stream, events, NO_TAIL);
    if (typeof expected === 'number') {
      const cached = this.tails.get(stream);
      if (cached?.revision === expected) return this.appendAfter(stream, events, cached);
      return this.tailAt(stream, expected).then((tail) => this.appendAfter(stream, events, tail));
    }
    return this.appendAtTail(stream, events, expected);
  }

  /** `any` / `stream_exists`: the tail as known, then as read after each lost race. */
  private async appendAtTail(
    stream: string,
    events: readonly Prepared[],
    expected: 'any' | 'stream_exists',
  ): Promise<AppendResult> {
    let tail = this.tails.get(stream);
    for (let attempt = 1; ; attempt++) {
      tail ??= await this.readTail(stream);
      if (expected === 'stream_exists' && tail.revision < 0)
        throw new WrongExpectedRevision(stream, expected, -1);
      try {
        return await this.appendAfter(stream, events, tail);
      } catch (error) {
        if (!(error instanceof WrongExpectedRevision)) throw error;
        // Reported as the caller asked: its own expectation was never the one that failed.
        if (attempt >= MAX_CHAIN_ATTEMPTS) throw new WrongExpectedRevision(stream, expected, error.actual);
        tail = undefined;
        // Another writer appended meanwhile: a random pause, so two writers that keep colliding part.
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 2 ** attempt));
      }
    }
  }

  /** Appends `events` linked after `tail`, expecting exactly its revision. */
  private appendAfter(stream: string, events: readonly Prepared[], tail: Tail): Promise<AppendResult> {
    let prevHash = tail.hash;
    const linked = events.map((e, i) => {
      const link = prevHash === null ? '"prevHash":null' : `"prevHash":"${prevHash}"`;
      const metadataJson = `{${e.metadataBefore}${e.metadataBefore === '' ? '' : ','}${link}${e.metadataAfter === '' ? '' : ','}${e.metadataAfter}}`;
      const revision = tail.revision + 1 + i;
      const linkedTo = prevHash;
      prevHash = chainHashOfCanonical({ stream, revision, type: e.type, dataJson: e.dataJson, metadataJson });
      return { event: e, linkedTo, metadataJson, hash: prevHash };
    });
    const last = prevHash;
    const options = { expectedRevision: tail.revision < 0 ? ('no_stream' as const) : tail.revision };
    // `hash` goes last, after the members it covers.
    const appended = appendsEncoded(this.inner)
      ? this.inner.appendEncoded(
          stream,
          linked.map(({ event, metadataJson, hash }) => ({
            id: event.id ?? randomUUID(),
            type: event.type,
            data: event.dataJson,
            metadata: `${metadataJson.slice(0, -1)},"hash":${JSON.stringify(hash)}}`,
          })),
          options,
        )
      : this.inner.append(
          stream,
          linked.map(({ event, linkedTo, hash }) => ({
            id: event.id,
            type: event.type,
            data: event.data,
            metadata: { ...withPrevHash(event.metadata, linkedTo), hash },
          })),
          options,
        );
    return appended.then(
      (result) => {
        // The inner store checked the revision: the last event is where the links say it is.
        if (result.nextExpectedRevision === tail.revision + events.length)
          this.remember(stream, result.nextExpectedRevision, last);
        else this.tails.delete(stream);
        return result;
      },
      (error: unknown) => {
        if (error instanceof WrongExpectedRevision) this.tails.delete(stream);
        throw error;
      },
    );
  }

  /** The tail at revision `expected`, from the cache or the stream; refused if the stream is elsewhere. */
  private async tailAt(stream: string, expected: number): Promise<Tail> {
    const cached = this.tails.get(stream);
    if (cached?.revision === expected) return cached;
    // The stream had that revision already: it is past `expected` (a lost race, asked from memory).
    if (cached !== undefined && cached.revision > expected)
      throw new WrongExpectedRevision(stream, expected, cached.revision);
    const tail = await this.readTail(stream);
    if (tail.revision !== expected) throw new WrongExpectedRevision(stream, expected, tail.revision);
    return tail;
  }

  private async readTail(stream: string): Promise<Tail> {
    const [last] = await this.inner.readStream(stream, { direction: 'backwards', maxCount: 1 });
    if (last === undefined) return NO_TAIL;
    const hash = last.metadata.hash;
    if (typeof hash !== 'string') {
      throw new LedgerUnavailable(
        `stream "${stream}" ends with an event without a hash (revision ${last.revision}, position ${last.position}): ` +
          'it was written before the hash chain or by a writer that bypasses it; nothing can be linked to it',
      );
    }
    const tail = { revision: last.revision, hash };
    this.remember(stream, tail.revision, tail.hash);
    return tail;
  }

  private remember(stream: string, revision: number, hash: string | null): void {
    const known = this.tails.get(stream);
    if (known !== undefined && known.revision > revision) return;
    this.tails.delete(stream);
    this.tails.set(stream, { revision, hash });
    if (this.tails.size > MAX_CACHED_TAILS) this.tails.delete(this.tails.keys().next().value as string);
  }

  /** Runs `write` after every earlier write to `stream` through this store has settled. */
  private oneAtATime<T>(stream: string, write: () => Promise<T>): Promise<T> {
    const previous = this.queues.get(stream);
    let next: Promise<T>;
    if (previous !== undefined) next = previous.then(write, write);
    else {
      try {
        next = write();
      } catch (error) {
        next = Promise.reject(error as Error);
      }
    }
    this.queues.set(stream, next);
    const done = () => {
      if (this.queues.get(stream) === next) this.queues.delete(stream);
    };
    next.then(done, done);
    return next;
  }
}

/** The canonical text of `metadata`'s members (in canonical order) before and after where `prevHash` goes. */
function aroundPrevHash(metadata: JsonObject): { metadataBefore: string; metadataAfter: string } {
  let before = '';
  let after = '';
  for (const key of Object.keys(metadata)) {
    const member = `${JSON.stringify(key)}:${JSON.stringify(metadata[key])}`;
    if (key < 'prevHash') before += before === '' ? member : `,${member}`;
    else after += after === '' ? member : `,${member}`;
  }
  return { metadataBefore: before, metadataAfter: after };
}

/** A copy of `metadata` (members in canonical order) with `prevHash` in its place among them. */
function withPrevHash(metadata: JsonObject, prevHash: string | null): JsonObject {
  const linked: JsonObject = {};
  let placed = false;
  for (const key of Object.keys(metadata)) {
    if (!placed && key > 'prevHash') {
      linked.prevHash = prevHash;
      placed = true;
    }
    // An own `__proto__` member (JSON.parse makes those) stays a member.
    if (key !== '__proto__') linked[key] = metadata[key];
    else
      Object.defineProperty(linked, key, {
        value: metadata[key],
        enumerable: true,
        writable: true,
        configurable: true,
      });
  }
  if (!placed) linked.prevHash = prevHash;
  return linked;
}

/**
 * Checks each event as the store would (src/event-store/arguments.ts), refuses caller metadata
 * carrying the chain's members, and takes data and metadata as the store will keep them, members
 * in canonical order (src/lib/canonical-json.ts `canonicalOrder`), which makes the chain check's
 * encoding one JSON.stringify. A value JSON cannot carry as it is (an undefined member, a Date)
 * goes through the port's own encoding, which refuses what it cannot store and drops or converts
 * the rest: the hash is always that of what is read back. The size limit is the inner store's: it
 * applies to the stored event, links included.
 */
function prepare(stream: string, events: readonly EventData[]): Prepared[] {
  checkEventList(events);
  return events.map((event: unknown, i): Prepared => {
    checkEventShape(event, i);
    const { id, type, data, metadata = {} } = event;
    for (const field of CHAIN_FIELDS) {
      if (Object.hasOwn(metadata, field)) {
        throw new InvalidEventStoreArgument(
          `"events[${i}].metadata.${field}" expected absent (the hash chain writes it), got a value`,
        );
      }
    }
    let ordered: { data: JsonObject; metadata: JsonObject };
    try {
      ordered = { data: canonicalOrder(data), metadata: canonicalOrder(metadata) };
    } catch (error) {
      if (!(error instanceof TypeError)) throw error;
      const encoded = encodeEvents(stream, events)[i];
      ordered = {
        data: canonicalOrder(JSON.parse(encoded.data) as JsonObject),
        metadata: canonicalOrder(JSON.parse(encoded.metadata) as JsonObject),
      };
    }
    // In canonical order already, so JSON.stringify writes the canonical text.
    return {
      id,
      type,
      ...ordered,
      dataJson: JSON.stringify(ordered.data),
      ...aroundPrevHash(ordered.metadata),
    };
  });
}
