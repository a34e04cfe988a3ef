/**
 * The one write path of the custody service (STYLE 5): read the stream, fold it, decide, append
 * with the expected revision; on `WrongExpectedRevision` (someone appended meanwhile) reload and
 * decide again, a few times. It never overwrites and never retries anything else.
 */
import { randomUUID } from 'node:crypto';
import type { Decider } from '../../domain';
import type { EventStore, JsonObject, RecordedEvent } from '../../event-store';
import { WrongExpectedRevision } from '../../event-store';
import type { Clock } from './clock';

export const MAX_APPEND_ATTEMPTS = 8;

/**
 * One use case's audit context (DESIGN §2 metadata): who, when, which request (`correlationId`),
 * and which event caused the next (`causationId`, advanced after every append).
 */
export class OpContext {
  causationId: string;
  readonly correlationId: string;

  constructor(
    readonly operatorId: string,
    readonly clock: Clock,
    correlationId: string = randomUUID(),
  ) {
    this.correlationId = correlationId;
    this.causationId = correlationId;
  }

  now(): string {
    return this.clock.now().toISOString();
  }

  metadata(at: string): JsonObject {
    return { operatorId: this.operatorId, at, correlationId: this.correlationId, causationId: this.causationId };
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
}

/** Streams whose folded state is kept per store (least recently used first out). */
export const MAX_CACHED_FOLDS = 10_000;

/**
 * Folded states by stream, per store. Revisions are immutable, so a cached fold is never stale,
 * only behind: every read still asks the store for the events after its revision (and so sees
 * appends of other processes and tombstones). States are immutable values (the deciders build new
 * ones), so one may be shared by callers.
 */
const foldCaches = new WeakMap<EventStore, Map<string, CachedFold>>();

function foldCacheOf(store: EventStore): Map<string, CachedFold> {
  let cache = foldCaches.get(store);
  if (cache === undefined) foldCaches.set(store, (cache = new Map()));
  return cache;
}

/** Reads and folds a stream; events of other types (none expected) are skipped, not fatal. */
export async function foldStream<S, E extends { readonly type: string }>(
  store: EventStore,
  stream: string,
  decider: Pick<Decider<S, never, E>, 'evolve' | 'initialState'>,
  isEvent: (e: { readonly type: string }) => e is E,
): Promise<Folded<S>> {
  const cache = foldCacheOf(store);
  const hit = cache.get(stream);
  const cached = hit !== undefined && hit.decider === decider && hit.isEvent === isEvent ? hit : undefined;
  // Only the events after the cached revision are read and folded.
  const events = await store.readStream(stream, cached === undefined ? undefined : { fromRevision: cached.revision + 1 });
  if (cached !== undefined && events.length === 0) {
    if (cache.get(stream) === cached) {
      cache.delete(stream);
      cache.set(stream, cached);
    }
    return { state: cached.state as S, revision: cached.revision, events: cached.events };
  }
  let state = cached === undefined ? decider.initialState() : (cached.state as S);
  for (const e of events) if (isEvent(e)) state = decider.evolve(state, e);
  const all = cached === undefined ? events : [...cached.events, ...events];
  const revision = all.length === 0 ? -1 : all[all.length - 1]!.revision;
  // An empty stream is not cached (unknown ids must not fill the cache); a concurrent, later fold wins.
  const current = cache.get(stream);
  if (revision >= 0 && (current === undefined || current.revision < revision || current.decider !== decider || current.isEvent !== isEvent)) {
    cache.delete(stream);
    cache.set(stream, { decider, isEvent, state, revision, events: all });
    if (cache.size > MAX_CACHED_FOLDS) cache.delete(cache.keys().next().value as string);
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
export async function appendDecision<S, C extends { readonly type: string }, E extends { readonly type: string; readonly data: object }>(
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
      const result = await store.append(
        stream,
        events.map((e, i) => ({
          id: ids[i],
          type: e.type,
          data: e.data as JsonObject,
          // Events of one decision share their cause; the next step is caused by the last of them.
          metadata: { ...metadata },
        })),
        { expectedRevision: folded.revision < 0 ? 'no_stream' : folded.revision },
      );
      ctx.causationId = ids[ids.length - 1]!;
      const state = events.reduce((s, e) => decider.evolve(s, e), folded.state);
      return { state, appended: events, revision: result.nextExpectedRevision };
    } catch (error) {
      if (!(error instanceof WrongExpectedRevision) || attempt >= MAX_APPEND_ATTEMPTS) throw error;
    }
  }
}
