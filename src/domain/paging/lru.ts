/** Plain LRU, selectable instead of W-TinyLFU (docs/architecture.md §4 "Key paging"). */
import { aInt } from '../assert';
import { LruList, LruNode } from './lru-list';
import type { ReplacementPolicy } from './policy';

export class LruPolicy implements ReplacementPolicy {
  private readonly nodes = new Map<string, LruNode>();
  private readonly order = new LruList();
  private slots: number;

  constructor(capacity: number) {
    aInt('capacity', capacity, 1);
    this.slots = capacity;
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
    const node = this.nodes.get(keyId);
    if (node !== undefined) this.order.touch(node);
  }

  admit(keyId: string): void {
    if (this.nodes.has(keyId)) return;
    const node = new LruNode(keyId);
    this.nodes.set(keyId, node);
    this.order.push(node);
  }

  remove(keyId: string): void {
    const node = this.nodes.get(keyId);
    if (node === undefined) return;
    this.order.unlink(node);
    this.nodes.delete(keyId);
  }

  victim(evictable: (keyId: string) => boolean): string | undefined {
    return this.order.find(evictable);
  }

  residents(): string[] {
    return this.order.keys();
  }

  resize(capacity: number): void {
    aInt('capacity', capacity, 1);
    this.slots = capacity;
  }
}
