/**
 * Belady's MIN (L. A. Belady, "A study of replacement algorithms for a virtual-storage computer", IBM
 * Systems Journal 5(2), 1966): knowing the whole trace, page out the resident key whose next request
 * is farthest away. No online policy does better, so its hit rate is the baseline the paging policy is
 * measured against. As in the pager, a missed key always becomes resident (no bypass).
 *
 * O(n log n): one backward pass finds each request's next use, then a max-heap of resident keys'
 * next uses, where an entry is stale once its key was requested again or paged out.
 */
import { aInt } from '../assert';
import type { HitCounts } from './policy';

export function belady(trace: readonly string[], capacity: number): HitCounts {
  aInt('capacity', capacity, 1);
  const n = trace.length;
  // nextUse[i]: the position of the next request for trace[i], or n + i when there is none (distinct
  // values past the end keep the heap's order total).
  const nextUse = new Float64Array(n);
  const seen = new Map<string, number>();
  for (let i = n - 1; i >= 0; i--) {
    nextUse[i] = seen.get(trace[i]) ?? n + i;
    seen.set(trace[i], i);
  }

  /** Resident key → the position of its latest request; the heap holds such positions. */
  const latest = new Map<string, number>();
  const heap = new MaxHeap((position) => nextUse[position]);
  let hits = 0;
  for (let i = 0; i < n; i++) {
    const keyId = trace[i];
    if (latest.has(keyId)) {
      hits++;
    } else if (latest.size >= capacity) {
      for (;;) {
        const position = heap.pop()!;
        const owner = trace[position];
        if (latest.get(owner) === position) {
          latest.delete(owner);
          break;
        }
      }
    }
    latest.set(keyId, i);
    heap.push(i);
  }
  return { hits, misses: n - hits };
}

/** A binary max-heap of positions ordered by `priority`. */
class MaxHeap {
  private readonly items: number[] = [];
  constructor(private readonly priority: (item: number) => number) {}

  push(item: number): void {
    const items = this.items;
    let i = items.push(item) - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (this.priority(items[parent]) >= this.priority(item)) break;
      items[i] = items[parent];
      i = parent;
    }
    items[i] = item;
  }

  pop(): number | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (items.length === 0 || last === undefined) return top;
    const key = this.priority(last);
    let i = 0;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= items.length) break;
      if (child + 1 < items.length && this.priority(items[child + 1]) > this.priority(items[child])) child++;
      if (this.priority(items[child]) <= key) break;
      items[i] = items[child];
      i = child;
    }
    items[i] = last;
    return top;
  }
}
