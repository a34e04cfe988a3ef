/**
 * `keyledger ledger copy` (README, "Moving a ledger"): every event of one store, in
 * global order, into an empty one, with the exact stored text of its data and metadata, so the hash
 * chain (metadata `prevHash`/`hash`, which covers stream, revision, type, data and metadata but not
 * the time of recording) verifies in the copy as in the original. Streams keep their names and
 * revisions, events their ids; a store with dense positions (SQLite, PostgreSQL) keeps positions.
 * Tombstoned streams are tombstoned in the copy. At the end both stores are read again and
 * compared: the count, and a SHA-256 over every event's stream, revision, id, type and stored text.
 */
import { createHash, type Hash } from 'node:crypto';
import type { ErrorCategory } from '../domain/error-category';
import { appendsEncoded } from './chained-event-store';
import { InvalidEventStoreArgument, StreamDeleted } from './errors';
import type { EventStore, RecordedEvent, StoredEvent } from './event-store';
import { hasDensePositions, readsStoredText } from './event-store';

/** Events read per page, and appends in flight at a time (the target's group commit batches them). */
const PAGE = 2000;

export interface CopyProgress {
  readonly copied: number;
  readonly total: number;
}

export interface CopyReport {
  readonly events: number;
  readonly streams: number;
  readonly tombstoned: number;
  /** SHA-256 (hex) over the events of both stores as read back; equal, or the copy throws. */
  readonly digest: string;
}

/** The copy does not match its source: the target holds what was written, but must not be used. */
export class LedgerCopyMismatch extends Error {
  // Only `keyledger ledger copy` meets it, never a request: a store lost or changed what was written.
  static readonly category: ErrorCategory = 'internal';
  readonly type = 'ledger-copy-mismatch';
}

function storedText(event: RecordedEvent): { data: string; metadata: string } {
  const stored = (event as Partial<StoredEvent>).stored;
  return stored ?? { data: JSON.stringify(event.data), metadata: JSON.stringify(event.metadata) };
}

async function readPage(store: EventStore, fromPosition: number): Promise<RecordedEvent[]> {
  return readsStoredText(store)
    ? store.readAllStored({ fromPosition, maxCount: PAGE })
    : store.readAll({ fromPosition, maxCount: PAGE });
}

function hashEvent(hash: Hash, event: RecordedEvent): void {
  const { data, metadata } = storedText(event);
  hash.update(JSON.stringify([event.streamName, event.revision, event.id, event.type, data, metadata]));
  hash.update('\n');
}

/** The digest and count of every event of `store` up to `head`, in global order. */
async function digestOf(store: EventStore, head: number): Promise<{ digest: string; events: number }> {
  const hash = createHash('sha256');
  let events = 0;
  for (let from = 0; ;) {
    const page = (await readPage(store, from)).filter((e) => e.position <= head);
    if (page.length === 0) break;
    for (const event of page) hashEvent(hash, event);
    events += page.length;
    from = page[page.length - 1].position;
  }
  return { digest: hash.digest('hex'), events };
}

/**
 * Copies `source` (up to its head when the copy starts) into `target`, which must be empty and take
 * encoded events (the SQLite and PostgreSQL stores). Reports progress after every page.
 */
export async function copyLedger(
  source: EventStore,
  target: EventStore,
  onProgress: (progress: CopyProgress) => void = () => undefined,
): Promise<CopyReport> {
  if (!appendsEncoded(target))
    throw new InvalidEventStoreArgument(
      `a ledger can be copied into the SQLite or PostgreSQL store only (the target is ${target.kind})`,
    );
  if ((await target.headPosition()) !== 0)
    throw new InvalidEventStoreArgument('the target ledger is not empty: copy into a new one');
  const sourceHead = await source.headPosition();
  const total = sourceHead === 0 ? 0 : await countUpTo(source, sourceHead);
  const streams = new Set<string>();
  let copied = 0;
  onProgress({ copied, total });
  for (let from = 0; ;) {
    const page = (await readPage(source, from)).filter((e) => e.position <= sourceHead);
    if (page.length === 0) break;
    // Consecutive events of one stream go in one append; all appends of a page are queued in order
    // at once, and each store's group commit keeps that order in its positions.
    const appends: Promise<unknown>[] = [];
    for (let i = 0; i < page.length;) {
      let j = i + 1;
      while (j < page.length && page[j].streamName === page[i].streamName) j++;
      const run = page.slice(i, j);
      const first = run[0];
      streams.add(first.streamName);
      appends.push(
        target.appendEncoded(
          first.streamName,
          run.map((e) => ({ id: e.id, type: e.type, ...storedText(e) })),
          { expectedRevision: first.revision === 0 ? 'no_stream' : first.revision - 1 },
        ),
      );
      i = j;
    }
    await Promise.all(appends);
    copied += page.length;
    from = page[page.length - 1].position;
    onProgress({ copied, total });
  }
  let tombstoned = 0;
  for (const stream of streams) {
    if (await isTombstoned(source, stream)) {
      await target.tombstone(stream);
      tombstoned++;
    }
  }
  const [original, copy] = await Promise.all([
    digestOf(source, sourceHead),
    digestOf(target, Number.MAX_SAFE_INTEGER),
  ]);
  if (original.events !== copy.events || original.digest !== copy.digest)
    throw new LedgerCopyMismatch(
      `the copy does not match its source: ${copy.events} events (sha256 ${copy.digest}) against ` +
        `${original.events} (sha256 ${original.digest}); do not use the target`,
    );
  return { events: copy.events, streams: streams.size, tombstoned, digest: copy.digest };
}

async function countUpTo(store: EventStore, head: number): Promise<number> {
  if (hasDensePositions(store)) return head;
  let count = 0;
  for (let from = 0; ;) {
    const page = (await store.readAll({ fromPosition: from, maxCount: PAGE })).filter(
      (e) => e.position <= head,
    );
    if (page.length === 0) return count;
    count += page.length;
    from = page[page.length - 1].position;
  }
}

async function isTombstoned(store: EventStore, stream: string): Promise<boolean> {
  try {
    await store.readStream(stream, { maxCount: 1 });
    return false;
  } catch (error) {
    if (error instanceof StreamDeleted) return true;
    throw error;
  }
}
