/**
 * The hash chain of the ledger (docs/architecture.md §6.1). Pure: no store, no clock.
 *
 * Every event's metadata carries two members, written by `chainedEventStore`
 * (src/event-store/chained-event-store.ts) and by `keyledger audit migrate`:
 *
 * - `prevHash`: the `hash` of the event at revision − 1 of the same stream; `null` (JSON null) at
 *   revision 0, meaning "first event of its stream, nothing before it".
 * - `hash`: SHA-256 over the UTF-8 bytes of
 *   `canonicalJson({ stream, revision, type, data, metadata })`, written as 64 lowercase hex digits,
 *   where `stream` is the stream name (string), `revision` the event's 0-based revision in its stream
 *   (JSON number), `type` and `data` the event's, and `metadata` the event's metadata without its
 *   `hash` member (so `prevHash` and every other member are covered). `canonicalJson` is RFC 8785
 *   (src/lib/canonical-json.ts): members sorted by UTF-16 code units, no whitespace, numbers and
 *   strings as JSON.stringify writes them (a lone surrogate, which RFC 8785 forbids, is written as
 *   the `\uXXXX` escape JSON.stringify gives it). The five members therefore appear in the order
 *   data, metadata, revision, stream, type.
 *
 * Not covered: the event id, its global position and the store's recordedAt (the store assigns the
 * last two after the hash is made). A chain links the events of one stream only: moving an event
 * across streams' interleaving in the global order keeps every chain intact (the Merkle tree of §6
 * covers the global order).
 */
import { hash as digest } from 'node:crypto';
import { canonicalJson } from '../lib/canonical-json';

/** The metadata members the chain owns; an append carrying either is refused. */
export const CHAIN_FIELDS = ['prevHash', 'hash'] as const;

/** What the hash covers. `metadata` must not hold `hash` (it holds `prevHash`). */
export interface ChainInput {
  readonly stream: string;
  readonly revision: number;
  readonly type: string;
  readonly data: object;
  readonly metadata: Readonly<Record<string, unknown>>;
}

/** The fields of a recorded event the checker reads (a `RecordedEvent` has them all). */
export interface ChainEvent {
  readonly streamName: string;
  readonly revision: number;
  readonly position: number;
  readonly type: string;
  readonly data: object;
  readonly metadata: Readonly<Record<string, unknown>>;
  /**
   * The JSON text the store keeps, where it hands it out (the SQLite ledger): the checker then
   * hashes those bytes as they are, and reads `data` only when they do not match.
   */
  readonly stored?: { readonly data: string; readonly metadata: string };
}

/** The exact text that is hashed. */
export function chainEncoding(input: ChainInput): string {
  const { stream, revision, type, data, metadata } = input;
  if (!Number.isSafeInteger(revision) || revision < 0)
    throw new TypeError(`"revision" expected an integer >= 0, got ${String(revision)}`);
  if (Object.hasOwn(metadata, 'hash')) throw new TypeError('"metadata" expected without "hash"');
  // Built in canonical order: when data and metadata are in it too, the encoding is one JSON.stringify.
  return canonicalJson({ data, metadata, revision, stream, type });
}

/** 64 lowercase hex digits: SHA-256 of the UTF-8 of `chainEncoding(input)`. */
export function chainHash(input: ChainInput): string {
  return digest('sha256', chainEncoding(input), 'hex');
}

/** `ChainInput` with data and metadata given as their canonical JSON text. */
export interface CanonicalChainInput {
  readonly stream: string;
  readonly revision: number;
  readonly type: string;
  readonly dataJson: string;
  readonly metadataJson: string;
}

/**
 * `chainHash` for a writer that has the canonical text of data and metadata already (it stores
 * that text): the same encoding, members in canonical order, assembled from those texts.
 */
export function chainHashOfCanonical(input: CanonicalChainInput): string {
  const { stream, revision, type, dataJson, metadataJson } = input;
  if (!Number.isSafeInteger(revision) || revision < 0)
    throw new TypeError(`"revision" expected an integer >= 0, got ${String(revision)}`);
  const text = `{"data":${dataJson},"metadata":${metadataJson},"revision":${revision},"stream":${JSON.stringify(stream)},"type":${JSON.stringify(type)}}`;
  return digest('sha256', text, 'hex');
}

/** The hash a recorded event should carry, recomputed from its content. */
export function recomputeHash(event: ChainEvent): string {
  const { hash: _hash, ...metadata } = event.metadata;
  return chainHash({
    stream: event.streamName,
    revision: event.revision,
    type: event.type,
    data: event.data,
    metadata,
  });
}

/**
 * - `edited`: the stored hash is not the hash of the event's content.
 * - `dropped`: revisions of the stream are missing, or the event's prevHash is not the hash of
 *   the event before it (something between them is gone or was replaced).
 * - `inserted`: a revision seen twice, or an event the chain steps over (the next event links to
 *   the one before it).
 * - `reordered`: a revision arrives after a later one of its stream.
 * - `unchained`: the event has no hash at all.
 * - `gap`: global positions are missing (SQLite's are dense, so a deleted row leaves a gap);
 *   `stream` and `revision` are null, `position` is the first missing one.
 */
export type ChainFindingKind = 'edited' | 'dropped' | 'inserted' | 'reordered' | 'unchained' | 'gap';

export interface ChainFinding {
  readonly kind: ChainFindingKind;
  /** Global position of the event the finding is about (the first missing one for `gap`). */
  readonly position: number;
  readonly stream: string | null;
  readonly revision: number | null;
  readonly detail: string;
}

export interface ChainCheckerOptions {
  /** Positions are 1, 2, 3, … with no gap (the SQLite ledger), so a missing one is a finding. */
  readonly densePositions: boolean;
}

/** The last event seen of a stream. */
interface StreamTail {
  revision: number;
  position: number;
  /** Its stored hash; undefined when it had none (the link to it cannot be checked). */
  hash: string | undefined;
  /** Its stored prevHash: an event linking to this instead of to `hash` steps over the tail. */
  prevHash: unknown;
}

/** Revisions a stream skipped, waiting for a late arrival (`reordered`) or the end (`dropped`). */
interface Skipped {
  from: number;
  to: number;
  /** The event that came after the skip. */
  position: number;
  revision: number;
  /** That event was already reported `reordered` (a late revision of the skip arrived). */
  reordered: boolean;
}

const NONE: readonly ChainFinding[] = Object.freeze([]);

const short = (hash: unknown): string =>
  typeof hash === 'string' ? (hash.length > 8 ? `${hash.slice(0, 8)}…` : hash) : String(hash);

/**
 * Walks events in global order and reports what breaks the chain. Keeps, per stream, the last
 * event's revision, position and hashes, plus the revisions it skipped while they are unexplained.
 * `check` answers what one event shows at once; `finish` what only the end shows (skipped
 * revisions that never came: `dropped`).
 */
export class ChainChecker {
  private readonly tails = new Map<string, StreamTail>();
  private readonly skipped = new Map<string, Skipped[]>();
  private lastPosition = 0;
  private count = 0;
  /** What the event being checked showed (most show nothing: no array is made for them). */
  private findings: ChainFinding[] | undefined;

  constructor(private readonly options: ChainCheckerOptions) {}

  /** Events checked so far. */
  get checked(): number {
    return this.count;
  }

  check(event: ChainEvent): readonly ChainFinding[] {
    this.count++;
    this.findings = undefined;
    const { streamName: stream, revision, position, metadata } = event;

    if (position <= this.lastPosition) {
      this.report(event, 'reordered', `position ${position} comes after position ${this.lastPosition}`);
    } else if (this.options.densePositions && position > this.lastPosition + 1) {
      const from = this.lastPosition + 1;
      const missing = `position${position - 1 > from ? `s ${from}–${position - 1} are` : ` ${from} is`} missing`;
      this.report(event, 'gap', missing, { position: from, stream: null, revision: null });
    }
    if (position > this.lastPosition) this.lastPosition = position;

    const stored = metadata.hash;
    if (stored === undefined) {
      this.report(event, 'unchained', 'no hash: written before the chain, or its hash was removed');
    } else {
      const recomputed = hashOf(event);
      if (typeof recomputed !== 'string') {
        this.report(event, 'edited', `its content cannot be hashed: ${recomputed.cannot}`);
      } else if (stored !== recomputed) {
        const detail = `stored hash ${short(stored)} is not the hash of its content (${short(recomputed)})`;
        this.report(event, 'edited', detail);
      }
    }
    const hash = typeof stored === 'string' ? stored : undefined;

    const tail = this.tails.get(stream);
    const next = tail === undefined ? 0 : tail.revision + 1;
    if (revision < next) {
      this.lateOrRepeated(event, tail!);
      return this.findings ?? NONE;
    }
    if (revision === next) {
      this.checkLink(event, tail);
    } else {
      const skip: Skipped = { from: next, to: revision - 1, position, revision, reordered: false };
      const list = this.skipped.get(stream);
      if (list === undefined) this.skipped.set(stream, [skip]);
      else list.push(skip);
    }
    if (tail === undefined) {
      this.tails.set(stream, { revision, position, hash, prevHash: metadata.prevHash });
    } else {
      tail.revision = revision;
      tail.position = position;
      tail.hash = hash;
      tail.prevHash = metadata.prevHash;
    }
    return this.findings ?? NONE;
  }

  /** Revisions skipped and never seen: `dropped`, at the event that came after them. */
  finish(): readonly ChainFinding[] {
    const findings: ChainFinding[] = [];
    for (const [stream, list] of this.skipped) {
      for (const s of list) {
        const missing = s.to > s.from ? `revisions ${s.from}–${s.to} are` : `revision ${s.from} is`;
        findings.push({
          kind: 'dropped',
          position: s.position,
          stream,
          revision: s.revision,
          detail: `${missing} missing before revision ${s.revision}`,
        });
      }
    }
    this.skipped.clear();
    return findings.sort((a, b) => a.position - b.position);
  }

  private report(
    event: ChainEvent,
    kind: ChainFindingKind,
    detail: string,
    at?: Partial<ChainFinding>,
  ): void {
    const { position, streamName: stream, revision } = event;
    (this.findings ??= []).push({ kind, position, stream, revision, detail, ...at });
  }

  /** The event follows its stream's tail: its prevHash must be the tail's hash (null at revision 0). */
  private checkLink(event: ChainEvent, tail: StreamTail | undefined): void {
    const prevHash = event.metadata.prevHash;
    if (event.metadata.hash === undefined) return;
    if (tail === undefined) {
      if (prevHash !== null)
        this.report(event, 'dropped', `revision 0 links to ${short(prevHash)} instead of null`);
      return;
    }
    if (tail.hash === undefined || prevHash === tail.hash) return;
    if (prevHash === tail.prevHash && prevHash !== undefined) {
      const detail = `the chain steps over it: revision ${event.revision} links to revision ${tail.revision - 1}`;
      this.report(event, 'inserted', detail, { position: tail.position, revision: tail.revision });
    } else {
      const detail =
        `prevHash ${short(prevHash)} is not the hash of revision ${tail.revision} ` +
        `at position ${tail.position} (${short(tail.hash)})`;
      this.report(event, 'dropped', detail);
    }
  }

  /** A revision at or below the tail: one the stream skipped earlier (`reordered`), or a repeat. */
  private lateOrRepeated(event: ChainEvent, tail: StreamTail): void {
    const report = this.report.bind(this, event);
    const { revision, streamName: stream } = event;
    const list = this.skipped.get(stream);
    const i = list?.findIndex((s) => s.from <= revision && revision <= s.to) ?? -1;
    if (list === undefined || i < 0) {
      report('inserted', `revision ${revision} appears again (the stream is at revision ${tail.revision})`);
      return;
    }
    const s = list[i]!;
    report('reordered', `revision ${revision} comes after revision ${s.revision} at position ${s.position}`);
    if (!s.reordered) {
      report(
        'reordered',
        `revision ${s.revision} comes before revision ${revision} at position ${event.position}`,
        {
          position: s.position,
          revision: s.revision,
        },
      );
    }
    // What is still missing of the skip stays pending: `dropped` at the end unless it arrives too.
    const rest: Skipped[] = [];
    if (s.from < revision) rest.push({ ...s, to: revision - 1, reordered: true });
    if (revision < s.to) rest.push({ ...s, from: revision + 1, reordered: true });
    list.splice(i, 1, ...rest);
    if (list.length === 0) this.skipped.delete(stream);
  }
}

/** How the chain's writer stores metadata: its canonical text with `hash` added as the last member. */
const HASH_MEMBER = ',"hash":"';
const SUFFIX_LENGTH = ',"hash":""}'.length + 64;

/**
 * The hash of the stored text itself, when the metadata ends the way the chain's writer stores
 * it: canonical data and metadata text are what `chainEncoding` would make, so this is the same
 * hash without parsing and re-encoding. Undefined when the text is not in that form.
 */
function storedTextHash(event: ChainEvent): string | undefined {
  const stored = event.stored;
  const hash = event.metadata.hash;
  if (stored === undefined || typeof hash !== 'string' || hash.length !== 64) return undefined;
  // The text must end `,"hash":"<the parsed hash>"}`: then what precedes it is the rest of the metadata.
  const m = stored.metadata;
  const at = m.length - SUFFIX_LENGTH;
  if (!m.startsWith(HASH_MEMBER, at) || !m.startsWith(hash, at + HASH_MEMBER.length) || !m.endsWith('"}'))
    return undefined;
  return chainHashOfCanonical({
    stream: event.streamName,
    revision: event.revision,
    type: event.type,
    dataJson: stored.data,
    metadataJson: `${stored.metadata.slice(0, -SUFFIX_LENGTH)}}`,
  });
}

/**
 * The event's hash, or why it has none (content JSON cannot carry: not what a store reads back).
 * Where the stored text hashes to the stored hash the event is as written, byte for byte; any
 * other text is parsed and re-encoded, so text that is equivalent but not canonical is not
 * reported as an edit.
 */
function hashOf(event: ChainEvent): string | { cannot: string } {
  const fast = storedTextHash(event);
  if (fast !== undefined && fast === event.metadata.hash) return fast;
  try {
    return recomputeHash(event);
  } catch (error) {
    if (error instanceof TypeError) return { cannot: error.message };
    if (error instanceof SyntaxError) return { cannot: `its stored data is not JSON (${error.message})` };
    throw error;
  }
}

/** Checks a whole list of events in global order; findings sorted by position. */
export function checkChain(events: Iterable<ChainEvent>, options: ChainCheckerOptions): ChainFinding[] {
  const checker = new ChainChecker(options);
  const findings: ChainFinding[] = [];
  for (const event of events) findings.push(...checker.check(event));
  findings.push(...checker.finish());
  return findings.sort((a, b) => a.position - b.position);
}
