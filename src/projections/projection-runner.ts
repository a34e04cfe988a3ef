import { LedgerUnavailable } from '../event-store/errors';
import type { AllSubscription, EventStore, RecordedEvent } from '../event-store/event-store';
import { ProjectionFailed, type Doc, type Projection } from './projection';
import type { ProjectionChanges, ReadModelStore } from './read-model-store';

export interface ProjectionRunnerOptions {
  /**
   * Most events applied per read-model transaction (default 10 000). A batch also ends as soon as
   * the subscription has nothing more to hand over, so live events are committed without delay;
   * the bound matters only when replaying history, where each commit costs an fsync.
   */
  readonly batchSize?: number;
}

/** One projection's place in the runner: committed checkpoint plus the batch in progress. */
interface Slot {
  readonly projection: Projection;
  /** Position of the last event whose effects are committed. */
  committed: number;
  /** Docs loaded or changed in this batch; `dirty` marks the ones to write. */
  readonly cache: Map<string, { doc: Doc | undefined; dirty: boolean }>;
  /** Position of the last event applied in this batch (== committed when nothing is pending). */
  applied: number;
  /**
   * While building from an empty state (after a reset), the ids it has committed since: any other
   * id is known to have no doc, so the read-model file need not be asked. Undefined otherwise.
   */
  written: Set<string> | undefined;
}

/** Above this many docs, a projection under (re)build goes back to asking the file for misses. */
const MAX_TRACKED_IDS = 500_000;

const DEFAULT_BATCH_SIZE = 10_000;

interface Waiter {
  readonly position: number;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

/**
 * Feeds projections from one `$all` subscription, starting at the lowest checkpoint; each
 * projection skips what it has already committed. Events are applied in batches with an in-batch
 * doc cache, and each batch's changed docs and new checkpoints are written in one read-model
 * transaction: a crash between batches neither loses nor repeats an event.
 */
export class ProjectionRunner {
  /**
   * Settles when the runner ends: resolves after `stop()`, rejects with the error that stopped it
   * (a `ProjectionFailed` naming the projection and event, or the store's error).
   */
  readonly done: Promise<void>;
  private readonly slots = new Map<string, Slot>();
  private readonly batchSize: number;
  private state: 'new' | 'running' | 'paused' | 'stopped' | 'failed' = 'new';
  private failure: Error | undefined;
  private subscription: AllSubscription | undefined;
  private loop: Promise<void> | undefined;
  private waiters: Waiter[] = [];
  private settleDone!: (error?: Error) => void;

  constructor(
    private readonly store: EventStore,
    private readonly readModels: ReadModelStore,
    projections: readonly Projection[],
    options: ProjectionRunnerOptions = {},
  ) {
    for (const projection of projections) {
      if (typeof projection.name !== 'string' || projection.name.length === 0) {
        throw new TypeError(
          `"projection.name" expected a non-empty string, got ${JSON.stringify(projection.name)}`,
        );
      }
      if (!Number.isSafeInteger(projection.version) || projection.version < 0) {
        throw new TypeError(
          `"${projection.name}.version" expected an integer >= 0, got ${String(projection.version)}`,
        );
      }
      if (this.slots.has(projection.name))
        throw new TypeError(`projection "${projection.name}" is registered twice`);
      this.slots.set(projection.name, {
        projection,
        committed: 0,
        applied: 0,
        cache: new Map(),
        written: undefined,
      });
    }
    this.batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
    if (!Number.isSafeInteger(this.batchSize) || this.batchSize < 1) {
      throw new TypeError(`"batchSize" expected an integer >= 1, got ${String(options.batchSize)}`);
    }
    this.done = new Promise<void>((resolve, reject) => {
      this.settleDone = (error) => (error ? reject(error) : resolve());
    });
    // Whoever starts the runner need not await `done`; a failure must not crash the process unseen.
    this.done.catch(() => undefined);
  }

  /**
   * Loads checkpoints, rebuilds (from position 0) every projection whose stored version differs
   * from its code's, and starts consuming. Returns once started, not once caught up: use `waitFor`.
   */
  start(): void {
    if (this.state !== 'new') throw new Error(`the projection runner was already started (${this.state})`);
    for (const slot of this.slots.values()) {
      const { name, version } = slot.projection;
      const stored = this.readModels.checkpoint(name);
      if (stored === undefined || stored.version !== version) {
        this.resetSlot(slot);
      } else {
        slot.committed = slot.applied = stored.position;
        slot.written = stored.position === 0 ? new Set() : undefined;
      }
    }
    this.state = 'running';
    this.consume();
  }

  /** Resolves once every projection has committed every event up to `position`. */
  waitFor(position: number): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.state === 'stopped') return Promise.reject(new Error('the projection runner was stopped'));
    if (this.lowestCommitted() >= position) return Promise.resolve();
    return new Promise((resolve, reject) => this.waiters.push({ position, resolve, reject }));
  }

  /** The lowest committed checkpoint among the projections. */
  position(): number {
    return this.lowestCommitted();
  }

  /**
   * Deletes a projection's documents and replays it from position 0, resolving when it has caught
   * up with the head of the ledger as it was when called. On a runner that is not running it only
   * resets, and the replay happens on `start()`.
   */
  async rebuild(name: string): Promise<void> {
    const slot = this.slots.get(name);
    if (slot === undefined) throw new TypeError(`no projection "${name}" in this runner`);
    if (this.state !== 'running') {
      this.resetSlot(slot);
      return;
    }
    const head = await this.store.headPosition();
    this.state = 'paused';
    await this.closeSubscription();
    if (this.state !== 'paused')
      throw this.failure ?? new Error('the projection runner was stopped during a rebuild');
    this.resetSlot(slot);
    this.state = 'running';
    this.consume();
    await this.waitFor(head);
  }

  /** Commits what has been applied, ends the subscription and resolves `done`. */
  async stop(): Promise<void> {
    if (this.state === 'stopped' || this.state === 'failed') return;
    const wasStarted = this.state !== 'new';
    this.state = 'stopped';
    if (wasStarted) await this.closeSubscription();
    this.rejectWaiters(new Error('the projection runner was stopped'));
    this.settleDone();
  }

  private consume(): void {
    const subscription = this.store.subscribeToAll({ fromPosition: this.lowestCommitted() });
    this.subscription = subscription;
    this.loop = this.drain(subscription).catch((error: unknown) => this.fail(error));
  }

  private async drain(subscription: AllSubscription): Promise<void> {
    let pending = 0;
    // The loop's only await is the subscription's next event. So a macrotask that runs while events
    // are pending finds the loop waiting: the subscription has nothing more to hand over right now
    // (history and bursts arrive without going back to the event loop), and the batch is committed
    // there. One timer per batch; no per-event race.
    let flushScheduled = false;
    let ended = false;
    const flushWhenIdle = (): void => {
      flushScheduled = false;
      if (ended || pending === 0) return;
      try {
        this.commit();
        pending = 0;
      } catch (error) {
        this.fail(error);
      }
    };
    try {
      for await (const event of subscription) {
        // Closing was requested while this event was in flight: it is not applied, so the
        // checkpoint stays before it and the next subscription delivers it again.
        if (this.state !== 'running') break;
        try {
          this.apply(event);
          if (++pending >= this.batchSize) {
            this.commit();
            pending = 0;
          }
        } catch (error) {
          // The batch may hold half an event (a projection that threw on its second doc). Discard it
          // now: closing the subscription below awaits, and an idle flush must not commit it then.
          ended = true;
          this.discardBatch();
          throw error;
        }
        if (pending > 0 && !flushScheduled) {
          flushScheduled = true;
          setImmediate(flushWhenIdle);
        }
      }
    } finally {
      ended = true;
    }
    if (this.state === 'failed') return;
    this.commit();
    if (this.state === 'running') {
      throw new LedgerUnavailable("the event store ended the projection runner's subscription");
    }
  }

  private apply(event: RecordedEvent): void {
    for (const slot of this.slots.values()) {
      // Already committed by this projection (it is ahead of the lowest checkpoint).
      if (event.position <= slot.applied) continue;
      const { projection } = slot;
      try {
        const ids = projection.handles(event);
        for (const id of ids.length > 1 ? new Set(ids) : ids) {
          if (typeof id !== 'string')
            throw new TypeError(`handles() returned a non-string id ${JSON.stringify(id)}`);
          let entry = slot.cache.get(id);
          if (entry === undefined) {
            const known = slot.written === undefined || slot.written.has(id);
            entry = { doc: known ? this.readModels.get(projection.name, id) : undefined, dirty: false };
            slot.cache.set(id, entry);
          }
          const doc = projection.evolve(entry.doc, event);
          if (doc !== undefined && (typeof doc !== 'object' || doc === null || Array.isArray(doc))) {
            throw new TypeError(
              `evolve() returned ${Array.isArray(doc) ? 'an array' : String(doc)}, not a document`,
            );
          }
          entry.doc = doc;
          entry.dirty = true;
        }
      } catch (error) {
        throw new ProjectionFailed(projection.name, event.position, event.type, event.streamName, error);
      }
      slot.applied = event.position;
    }
  }

  /** Writes every projection's changed docs and checkpoint in one transaction. */
  private commit(): void {
    const changes: ProjectionChanges[] = [];
    for (const slot of this.slots.values()) {
      if (slot.applied === slot.committed) continue;
      // In id order: neighbouring keys land on the same B-tree pages, which makes the writes cheaper.
      const ids: string[] = [];
      for (const [id, entry] of slot.cache) if (entry.dirty) ids.push(id);
      ids.sort();
      const docs = new Map<string, Doc | undefined>();
      for (const id of ids) docs.set(id, slot.cache.get(id)?.doc);
      changes.push({
        projection: slot.projection.name,
        version: slot.projection.version,
        position: slot.applied,
        docs,
      });
    }
    if (changes.length > 0) {
      try {
        this.readModels.commit(changes);
      } catch (error) {
        // A doc that is not JSON-serialisable, or the file failing: name the projections involved.
        const names = changes.map((c) => `"${c.projection}"`).join(', ');
        throw new Error(`committing read models of ${names} failed: ${(error as Error).message}`, {
          cause: error,
        });
      }
    }
    for (const slot of this.slots.values()) {
      if (slot.written !== undefined) {
        for (const [id, entry] of slot.cache)
          if (entry.dirty && entry.doc !== undefined) slot.written.add(id);
        if (slot.written.size > MAX_TRACKED_IDS) slot.written = undefined;
      }
      slot.committed = slot.applied;
      slot.cache.clear();
    }
    if (changes.length > 0) this.resolveWaiters();
  }

  /** Deletes a projection's docs and checkpoint: it starts again from position 0, with no docs. */
  private resetSlot(slot: Slot): void {
    this.readModels.reset(slot.projection.name, slot.projection.version);
    slot.committed = slot.applied = 0;
    slot.cache.clear();
    slot.written = new Set();
  }

  private async closeSubscription(): Promise<void> {
    await this.subscription?.close();
    await this.loop;
    this.subscription = undefined;
    this.loop = undefined;
  }

  /** Forgets what was applied since the last commit: the next run replays it from the checkpoint. */
  private discardBatch(): void {
    for (const slot of this.slots.values()) {
      slot.applied = slot.committed;
      slot.cache.clear();
    }
  }

  private fail(error: unknown): void {
    this.discardBatch();
    const failure = error instanceof Error ? error : new Error(String(error));
    if (this.state === 'stopped') return;
    this.state = 'failed';
    this.failure = failure;
    void this.subscription?.close().catch(() => undefined);
    this.rejectWaiters(failure);
    this.settleDone(failure);
  }

  private lowestCommitted(): number {
    let lowest = Number.MAX_SAFE_INTEGER;
    for (const slot of this.slots.values()) lowest = Math.min(lowest, slot.committed);
    return this.slots.size === 0 ? 0 : lowest;
  }

  private resolveWaiters(): void {
    const reached = this.lowestCommitted();
    const waiting: Waiter[] = [];
    for (const waiter of this.waiters) {
      if (waiter.position <= reached) waiter.resolve();
      else waiting.push(waiter);
    }
    this.waiters = waiting;
  }

  private rejectWaiters(error: Error): void {
    for (const waiter of this.waiters) waiter.reject(error);
    this.waiters = [];
  }
}
