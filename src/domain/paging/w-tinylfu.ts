/**
 * W-TinyLFU (Einziger, Eytan, Friedman, Manes, "Adaptive Software Cache Management", Middleware 2018;
 * Caffeine's `BoundedLocalCache` with a fixed window), the default replacement policy
 * (docs/architecture.md §4 "Key paging"). A key paged in enters a small LRU window (1% of the slots,
 * at least one); the rest is a segmented LRU, probation (20%) then protected (80%). A hit in probation
 * promotes the key to protected, whose overflow goes back to probation. When a slot is needed, the
 * window's LRU key (the candidate, about to be pushed into the main region) and probation's LRU key
 * compete on the frequency sketch's estimate, and the loser is paged out; a tie goes against the
 * candidate, so a one-off scan does not flush keys that are asked for again and again.
 *
 * Adapted to a pager: `victim` only chooses, `remove` evicts, so a failed page-out leaves everything as
 * it was; keys `evictable` refuses are passed over for the next in LRU order of the same segment.
 * Caffeine's random admission of warm candidates (a defence against hash flooding) is left out: the
 * key ids are ours, and the result must be repeatable.
 */
import { aInt } from '../assert';
import { LruList, LruNode } from './lru-list';
import type { ReplacementPolicy } from './policy';
import { FrequencySketch } from './sketch';

const WINDOW_SHARE = 0.01;
const PROTECTED_SHARE = 0.8;

export class WTinyLfuPolicy implements ReplacementPolicy {
  private readonly nodes = new Map<string, LruNode>();
  private readonly window = new LruList();
  private readonly probation = new LruList();
  private readonly protectedList = new LruList();
  private sketch: FrequencySketch;
  private slots: number;
  private windowMax = 0;
  private protectedMax = 0;

  constructor(capacity: number) {
    aInt('capacity', capacity, 1);
    this.slots = capacity;
    this.sketch = new FrequencySketch(capacity);
    this.sizeRegions();
  }

  get capacity(): number {
    return this.slots;
  }

  get size(): number {
    return this.nodes.size;
  }

  has(keyId: string): boolean {
    return this.nodes.has(keyId);
  }

  record(keyId: string): void {
    this.sketch.increment(keyId);
    const node = this.nodes.get(keyId);
    if (node === undefined) return;
    if (node.list === this.probation) {
      this.probation.unlink(node);
      this.protectedList.push(node);
      this.demoteProtectedOverflow();
    } else {
      node.list!.touch(node);
    }
  }

  admit(keyId: string): void {
    if (this.nodes.has(keyId)) return;
    const node = new LruNode(keyId);
    this.nodes.set(keyId, node);
    this.window.push(node);
    this.moveWindowOverflow();
  }

  remove(keyId: string): void {
    const node = this.nodes.get(keyId);
    if (node === undefined) return;
    node.list!.unlink(node);
    this.nodes.delete(keyId);
  }

  victim(evictable: (keyId: string) => boolean): string | undefined {
    const candidate = this.window.find(evictable);
    const mainVictim = this.probation.find(evictable) ?? this.protectedList.find(evictable);
    if (candidate === undefined) return mainVictim;
    if (mainVictim === undefined) return candidate;
    // Below its share the window keeps its keys through the next page-in: the main region gives way.
    if (this.window.size < this.windowMax) return mainVictim;
    return this.sketch.frequency(candidate) > this.sketch.frequency(mainVictim) ? mainVictim : candidate;
  }

  residents(): string[] {
    return [...this.window.keys(), ...this.probation.keys(), ...this.protectedList.keys()];
  }

  resize(capacity: number): void {
    aInt('capacity', capacity, 1);
    this.slots = capacity;
    // As Caffeine's `ensureCapacity`: a sketch too small for the new size is replaced, counts and all.
    if (capacity > this.sketch.capacity) this.sketch = new FrequencySketch(capacity);
    this.sizeRegions();
    this.moveWindowOverflow();
    this.demoteProtectedOverflow();
  }

  private sizeRegions(): void {
    this.windowMax = Math.max(1, Math.round(this.slots * WINDOW_SHARE));
    this.protectedMax = Math.floor((this.slots - this.windowMax) * PROTECTED_SHARE);
  }

  /** The window's LRU keys beyond its share enter the main region through probation. */
  private moveWindowOverflow(): void {
    for (let node = this.window.lru(); node && this.window.size > this.windowMax; node = this.window.lru()) {
      this.window.unlink(node);
      this.probation.push(node);
    }
  }

  private demoteProtectedOverflow(): void {
    for (
      let node = this.protectedList.lru();
      node && this.protectedList.size > this.protectedMax;
      node = this.protectedList.lru()
    ) {
      this.protectedList.unlink(node);
      this.probation.push(node);
    }
  }
}
