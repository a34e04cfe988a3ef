/**
 * An intrusive doubly linked list in recency order, least recently used first: O(1) to append, move
 * and unlink, and a walk from the LRU end that stops at the first key the caller accepts.
 */
export class LruNode {
  /** The list holding the node; undefined once unlinked. */
  list: LruList | undefined = undefined;
  prev: LruNode = this;
  next: LruNode = this;
  constructor(readonly keyId: string) {}
}

export class LruList {
  /** Sentinel of a circular list: `head.next` is the LRU end, `head.prev` the MRU end. */
  private readonly head = new LruNode('');
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** Appends an unlinked node at the MRU end. */
  push(node: LruNode): void {
    const last = this.head.prev;
    node.prev = last;
    node.next = this.head;
    last.next = node;
    this.head.prev = node;
    node.list = this;
    this.count++;
  }

  unlink(node: LruNode): void {
    node.prev.next = node.next;
    node.next.prev = node.prev;
    node.prev = node;
    node.next = node;
    node.list = undefined;
    this.count--;
  }

  touch(node: LruNode): void {
    this.unlink(node);
    this.push(node);
  }

  /** The least recently used node, if any. */
  lru(): LruNode | undefined {
    return this.head.next === this.head ? undefined : this.head.next;
  }

  /** The first key from the LRU end that `accept` takes. */
  find(accept: (keyId: string) => boolean): string | undefined {
    for (let node = this.head.next; node !== this.head; node = node.next) {
      if (accept(node.keyId)) return node.keyId;
    }
    return undefined;
  }

  /** Keys from the LRU end to the MRU end. */
  keys(): string[] {
    const keys: string[] = [];
    for (let node = this.head.next; node !== this.head; node = node.next) keys.push(node.keyId);
    return keys;
  }
}
