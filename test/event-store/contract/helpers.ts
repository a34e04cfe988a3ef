import type { EventData, EventStore, JsonObject, RecordedEvent } from '../../../src/event-store';

/** The store under test; a fresh, empty one for every test. */
export type StoreUnderTest = () => EventStore;

export function event(type: string, data: JsonObject = {}, metadata?: JsonObject): EventData {
  return metadata === undefined ? { type, data } : { type, data, metadata };
}

/** `n` events `${type}` with data `{ n: i }`. */
export function events(n: number, type = 'Counted'): EventData[] {
  return Array.from({ length: n }, (_, i) => event(type, { n: i }));
}

/** Appends one `Noted` event per entry, one append at a time, in order. */
export async function appendInOrder(store: EventStore, entries: Array<[stream: string, data: JsonObject]>) {
  for (const [stream, data] of entries) await store.append(stream, [event('Noted', data)]);
}

/** Every event in the store, paging through readAll. */
export async function readEverything(store: EventStore, pageSize = 1000): Promise<RecordedEvent[]> {
  const all: RecordedEvent[] = [];
  for (;;) {
    const page = await store.readAll({ fromPosition: all.at(-1)?.position ?? 0, maxCount: pageSize });
    if (page.length === 0) return all;
    all.push(...page);
  }
}

/** The last revision of a stream, -1 when it has no events. */
export async function lastRevision(store: EventStore, stream: string): Promise<number> {
  const [last] = await store.readStream(stream, { direction: 'backwards', maxCount: 1 });
  return last?.revision ?? -1;
}

export function ascending(n: number, from = 0): number[] {
  return Array.from({ length: n }, (_, i) => from + i);
}
