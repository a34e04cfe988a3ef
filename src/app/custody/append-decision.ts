/**
 * The one write path of the custody service (docs/style.md §5): read the stream, fold it, decide, append
 * with the expected revision; on `WrongExpectedRevision` (someone appended meanwhile) reload and
 * decide again, a few times. It never overwrites and never retries anything else. Folded streams
 * are written only through this file, so it knows which cached folds are current (`foldStream`).
 */
import { randomUUID } from 'node:crypto';
import type { Decider } from '../../domain';
import type { EventStore, JsonObject, RecordedEvent } from '../../event-store';
import { WrongExpectedRevision } from '../../event-store';
import { actorMetadata, type Actor } from '../actor';
import type { Clock } from './clock';

export const MAX_APPEND_ATTEMPTS = 8;

/**
 * One use case's audit context (docs/architecture.md §2 metadata): who, when, which request (`correlationId`),
 * and which event caused the next (`causationId`, advanced after every append).
 */
export class OpContext {
  causationId: string;
  readonly correlationId: string;

  constructor(
    readonly actor: Actor,
    readonly clock: Clock,
    correlationId: string = randomUUID(),
  ) {
    this.correlationId = correlationId;
    this.causationId = correlationId;
  }

  get operatorId(): string {
    return this.actor.operatorId;
  }

  now(): string {
    return this.clock.now().toISOString();
  }

  metadata(at: string): JsonObject {
    return {
      ...actorMetadata(this.actor),
      at,
      correlationId: this.correlationId,
      causationId: this.causationId,
    };
  }
}

export interface Folded<S> {
  readonly state: S;
  /** Revision of the last event, or -1 for an empty stream. */
  readonly revision: number;
  readonly events: readonly RecordedEvent[];
}

interface CachedFold {
  readonly decider: object;
  readonly isEvent: object;
  readonly state: unknown;
  readonly revision: number;
  readonly events: readonly RecordedEvent[];
  /** No write of this process to the stream landed during or after the read that made this fold. */
  readonly current: boolean;
}

/** A read in flight; a write to its stream that lands meanwhile makes its result not current. */
interface Read {
  overlapped: boolean;
}

interface FoldCache {
  readonly folds: Map<string, CachedFold>;
  readonly reads: Map<string, Set<Read>>;
}

/** Streams whose folded state is kept per store (least recently used first out). */
export const MAX_CACHED_FOLDS = 10_000;

/**
 * Stores this process is the only writer of: the embedded ledger (docs/architecture.md §8, one process). Every
 * write to a folded stream goes through `appendDecision`, so a current fold is answered from
 * memory. The server stores (PostgreSQL, EventStoreDB) are shared by several instances: every fold asks them.
 */
const SOLE_WRITER_KINDS: ReadonlySet<string> = new Set(['sqlite']);

/** Whether this process writes every event of `store` (else other instances write to it too). */
export function soleWriter(store: EventStore): boolean {
  return SOLE_WRITER_KINDS.has(store.kind);
}

/**
 * Folded states by stream, per store. Revisions are immutable, so a cached fold is never wrong,
 * only behind: it is caught up by reading the events after its revision. States are immutable
 * values (the deciders build new ones), so one may be shared by callers.
 */
const foldCaches = new WeakMap<EventStore, FoldCache>();

function foldCacheOf(store: EventStore): FoldCache {
  let cache = foldCaches.get(store);
  if (cache === undefined) foldCaches.set(store, (cache = { folds: new Map(), reads: new Map() }));
  return cache;
}

/** After a write to `stream` settled (done or refused): its fold, and reads in flight, are behind. */
function wrote(store: EventStore, stream: string): void {
  const { folds, reads } = foldCacheOf(store);
  const fold = folds.get(stream);
  if (fold?.current === true) folds.set(stream, { ...fold, current: false });
  for (const read of reads.get(stream) ?? []) read.overlapped = true;
}

async function readAfter(
  store: EventStore,
  stream: string,
  revision: number | undefined,
): Promise<{ events: RecordedEvent[]; current: boolean }> {
  const { reads } = foldCacheOf(store);
  const read: Read = { overlapped: false };
  let inFlight = reads.get(stream);
  if (inFlight === undefined) reads.set(stream, (inFlight = new Set()));
  inFlight.add(read);
  try {
    const events = await store.readStream(
      stream,
      revision === undefined ? undefined : { fromRevision: revision + 1 },
    );
    return { events, current: !read.overlapped };
  } finally {
    inFlight.delete(read);
    if (inFlight.size === 0 && reads.get(stream) === inFlight) reads.delete(stream);
  }
}

/** Reads and folds a stream; events of other types (none expected) are skipped, not fatal. */
export async function foldStream<S, E extends { readonly type: string }>(
  store: EventStore,
  stream: string,
  decider: Pick<Decider<S, never, E>, 'evolve' | 'initialState'>,
  isEvent: (e: { readonly type: string }) => e is E,
): Promise<Folded<S>> {
  const { folds } = foldCacheOf(store);
  const hit = folds.get(stream);
  const cached = hit !== undefined && hit.decider === decider && hit.isEvent === isEvent ? hit : undefined;
  if (cached?.current === true && soleWriter(store)) {
    folds.delete(stream);
    folds.set(stream, cached);
    return { state: cached.state as S, revision: cached.revision, events: cached.events };
  }
  // Only the events after the cached revision are read and folded.
  const { events, current } = await readAfter(store, stream, cached?.revision);
  let state = cached === undefined ? decider.initialState() : (cached.state as S);
  for (const e of events) if (isEvent(e)) state = decider.evolve(state, e);
  const all =
    cached === undefined ? events : events.length === 0 ? cached.events : [...cached.events, ...events];
  const revision = all.length === 0 ? -1 : all[all.length - 1]!.revision;
  // An empty stream is not cached (unknown ids must not fill the cache). A concurrent, later fold
  // wins; at the same revision, a current fold replaces one that is not.
  const now = folds.get(stream);
  const replaces =
    now === undefined ||
    now.decider !== decider ||
    now.isEvent !== isEvent ||
    now.revision < revision ||
    (now.revision === revision && current && !now.current);
  if (revision >= 0 && replaces) {
    folds.delete(stream);
    folds.set(stream, { decider, isEvent, state, revision, events: all, current });
    if (folds.size > MAX_CACHED_FOLDS) folds.delete(folds.keys().next().value as string);
  }
  return { state, revision, events: all };
}

export interface Decided<S, E> {
  readonly state: S;
  readonly appended: readonly E[];
  readonly revision: number;
}

/**
 * `command` may be a function of the folded state (e.g. to name the op it completes); it is
 * called again after a reload. An empty decision appends nothing (an idempotent repeat).
 */
export async function appendDecision<
  S,
  C extends { readonly type: string },
  E extends { readonly type: string; readonly data: object },
>(
  store: EventStore,
  stream: string,
  decider: Decider<S, C, E>,
  isEvent: (e: { readonly type: string }) => e is E,
  command: C | ((state: S) => C),
  ctx: OpContext,
  at: string,
): Promise<Decided<S, E>> {
  for (let attempt = 1; ; attempt++) {
    const folded = await foldStream(store, stream, decider, isEvent);
    const c = typeof command === 'function' ? command(folded.state) : command;
    const events = decider.decide(c, folded.state);
    if (events.length === 0) return { state: folded.state, appended: [], revision: folded.revision };
    const ids = events.map(() => randomUUID());
    const metadata = ctx.metadata(at);
    try {
      const result = await store
        .append(
          stream,
          events.map((e, i) => ({
            id: ids[i],
            type: e.type,
            data: e.data as JsonObject,
            // Events of one decision share their cause; the next step is caused by the last of them.
            metadata: { ...metadata },
          })),
          { expectedRevision: folded.revision < 0 ? 'no_stream' : folded.revision },
        )
        // Refused too: a WrongExpectedRevision means another writer, so the retry reads the store.
        .finally(() => wrote(store, stream));
      ctx.causationId = ids[ids.length - 1]!;
      const state = events.reduce((s, e) => decider.evolve(s, e), folded.state);
      return { state, appended: events, revision: result.nextExpectedRevision };
    } catch (error) {
      if (!(error instanceof WrongExpectedRevision) || attempt >= MAX_APPEND_ATTEMPTS) throw error;
    }
  }
}
