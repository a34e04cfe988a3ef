/**
 * The ledger's Merkle tree (docs/architecture.md §6): one leaf per event, in global order, whose
 * data is the event's chained `hash` (32 bytes). Fed by a catch-up subscription to the store, kept
 * in memory (about 100 bytes an event: the tree's levels, the leaf data and the positions), rebuilt at start-up.
 * Leaf index i is the (i+1)-th event in ledger order; its global position is `positionOf(i)`
 * (positions need not be consecutive on every store).
 */
import { Logger } from '@nestjs/common';
import { MerkleTree } from '../../audit';
import type { ErrorCategory } from '../../domain';
import type { AllSubscription, EventStore, RecordedEvent } from '../../event-store';

const HASH = /^[0-9a-f]{64}$/;

/** An event the tree cannot take: it has no chained hash (written before the chain, or edited). */
export class UnchainedEvent extends Error {
  /** The ledger cannot be served as audited until it is restored or verified: like a store failure. */
  static readonly category: ErrorCategory = 'unavailable';
  constructor(readonly event: RecordedEvent) {
    super(`event ${event.position} (${event.type} in ${event.streamName}) carries no chain hash`);
  }
}

/** The 32-byte leaf data of an event: its chain hash. */
export function leafOf(event: RecordedEvent): Buffer {
  const hash = event.metadata.hash;
  if (typeof hash !== 'string' || !HASH.test(hash)) throw new UnchainedEvent(event);
  return Buffer.from(hash, 'hex');
}

export class LedgerTree {
  private readonly logger = new Logger('audit');
  readonly tree = new MerkleTree();
  private positions = new Float64Array(1024);
  /** The leaf data (event hashes), 32 bytes each, for the leaves a checkpoint lists. */
  private data = Buffer.alloc(1024 * 32);
  private subscription: AllSubscription | undefined;
  private loop: Promise<void> | undefined;
  private readonly listeners = new Set<(event: RecordedEvent) => void>();
  private failure: Error | undefined;

  constructor(private readonly store: EventStore) {}

  get size(): number {
    return this.tree.size;
  }

  /** Global position of the last event in the tree (0 for none). */
  headPosition(): number {
    return this.size === 0 ? 0 : this.positions[this.size - 1]!;
  }

  /** The leaf data of leaves from..to, concatenated (what a checkpoint lists). */
  leaves(from: number, to: number): Buffer {
    return Buffer.from(this.data.subarray(from * 32, to * 32));
  }

  positionOf(index: number): number {
    return this.positions[index]!;
  }

  /** The leaf index of the event at `position`, or undefined if no event of the tree has it. */
  indexOf(position: number): number | undefined {
    let lo = 0;
    let hi = this.size - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const at = this.positions[mid]!;
      if (at === position) return mid;
      if (at < position) lo = mid + 1;
      else hi = mid - 1;
    }
    return undefined;
  }

  /** Follows the ledger from its first event; resolves once it has caught up with the head. */
  async start(): Promise<void> {
    if (this.subscription !== undefined) return;
    const subscription = this.store.subscribeToAll({ fromPosition: 0 });
    this.subscription = subscription;
    this.loop = (async () => {
      for await (const event of subscription) this.add(event);
    })().catch((error: unknown) => {
      this.failure = error as Error;
      this.logger.error(
        `the audit tree stopped at position ${this.headPosition()}: ${(error as Error).message}`,
      );
    });
    await Promise.race([subscription.caughtUp, this.loop]);
    if (this.failure !== undefined) throw this.failure;
  }

  async stop(): Promise<void> {
    await this.subscription?.close();
    await this.loop;
    this.subscription = undefined;
  }

  /** Called with each event after it is in the tree (the checkpointer counts them). */
  onEvent(listener: (event: RecordedEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Resolves once the tree holds every event up to `position` (or the tree has failed). */
  async waitFor(position: number, timeoutMs = 5_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.headPosition() < position) {
      if (this.failure !== undefined) throw this.failure;
      if (Date.now() > deadline) throw new Error(`the audit tree did not reach position ${position} in time`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  private add(event: RecordedEvent): void {
    const leaf = leafOf(event);
    const index = this.tree.append(leaf);
    if (index >= this.positions.length) {
      const grown = new Float64Array(this.positions.length * 2);
      grown.set(this.positions);
      this.positions = grown;
      const data = Buffer.alloc(this.data.length * 2);
      this.data.copy(data);
      this.data = data;
    }
    this.positions[index] = event.position;
    leaf.copy(this.data, index * 32);
    for (const listener of this.listeners) listener(event);
  }
}
