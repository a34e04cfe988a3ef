import type { EventData, EventStore, JsonObject, RecordedEvent } from '../../../src/event-store';

/** The store under test; a fresh, empty one for every test. */
export type StoreUnderTest = () => EventStore;

export interface ContractOptions {
  /**
   * The store writes the hash chain's `prevHash` and `hash` into every event's metadata
   * (src/event-store/chained-event-store.ts): they are read back beside the caller's members and
   * count towards the event's encoded size.
   */
  readonly chained?: boolean;
}

const HEX64 = /^[0-9a-f]{64}$/;

/** The metadata a store reads back for `metadata` appended at `revision`. */
export function storedMetadata(options: ContractOptions, metadata: JsonObject, revision: number): JsonObject {
  if (!options.chained) return metadata;
  return {
    ...metadata,
    prevHash: revision === 0 ? null : expect.stringMatching(HEX64),
    hash: expect.stringMatching(HEX64),
  };
}

/** Bytes the store adds to the encoded metadata of an event at `revision` whose metadata has members. */
export function addedMetadataBytes(options: ContractOptions, revision: number): number {
  if (!options.chained) return 0;
  const hash = 'f'.repeat(64);
  // Two members after existing ones: the text of both plus a comma before each.
  return JSON.stringify({ prevHash: revision === 0 ? null : hash, hash }).length - '{}'.length + ','.length;
}

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
