import { createHash } from 'node:crypto';
import vectors from '../../test/vectors/chain-hash.json';
import { canonicalJson, canonicalOrder } from '../lib/canonical-json';
import fc from 'fast-check';
import {
  chainEncoding,
  chainHash,
  chainHashOfCanonical,
  ChainChecker,
  checkChain,
  recomputeHash,
  type ChainEvent,
  type ChainFinding,
  type ChainInput,
} from './chain';

describe('the chain hash (docs/architecture.md §6.1)', () => {
  describe.each(vectors.vectors)('vector: $label', ({ event, encoding, hash }) => {
    const input = event as ChainInput;

    it('encodes the event as the text written by hand', () => {
      expect(chainEncoding(input)).toBe(encoding);
    });

    it('hashes it to the recorded SHA-256, as node:crypto does over that text', () => {
      expect(chainHash(input)).toBe(hash);
      expect(createHash('sha256').update(encoding, 'utf8').digest('hex')).toBe(hash);
    });
  });

  it('is RFC 8785 of the five members, however it is assembled (from objects or canonical texts)', () => {
    fc.assert(
      fc.property(
        fc.string(),
        fc.nat(),
        fc.string(),
        fc.dictionary(fc.string(), fc.jsonValue(), { noNullPrototype: true }),
        fc.dictionary(fc.string(), fc.jsonValue(), { noNullPrototype: true }),
        (stream, revision, type, data, given) => {
          const { hash: _hash, ...metadata } = given;
          const input = { stream, revision, type, data, metadata };
          expect(chainEncoding(input)).toBe(canonicalJson(input));
          const fromTexts = chainHashOfCanonical({
            stream,
            revision,
            type,
            dataJson: canonicalJson(data),
            metadataJson: canonicalJson(metadata),
          });
          expect(fromTexts).toBe(chainHash(input));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('links the second vector to the first', () => {
    const [first, second] = vectors.vectors;
    expect(second!.event.metadata.prevHash).toBe(first!.hash);
  });

  it('recomputes a recorded event from its content, leaving its own hash out', () => {
    const { event, hash } = vectors.vectors[0]!;
    const recorded: ChainEvent = {
      streamName: event.stream,
      revision: event.revision,
      position: 9,
      type: event.type,
      data: event.data,
      metadata: { ...event.metadata, hash: 'whatever was stored' },
    };
    expect(recomputeHash(recorded)).toBe(hash);
  });

  it.each<[string, ChainInput, string]>([
    [
      'metadata that holds a hash',
      { stream: 's', revision: 0, type: 'T', data: {}, metadata: { prevHash: null, hash: 'ab' } },
      '"metadata" expected without "hash"',
    ],
    [
      'a negative revision',
      { stream: 's', revision: -1, type: 'T', data: {}, metadata: {} },
      '"revision" expected an integer >= 0',
    ],
    [
      'data JSON cannot carry',
      { stream: 's', revision: 0, type: 'T', data: { at: undefined }, metadata: {} },
      '$.data.at is undefined',
    ],
  ])('refuses %s', (_what, input, message) => {
    expect(() => chainHash(input)).toThrow(message);
  });
});

/** A correctly chained ledger: one event per entry, positions 1, 2, …, revisions counted per stream. */
function ledger(streams: readonly string[]): ChainEvent[] {
  const tails = new Map<string, { revision: number; hash: string }>();
  return streams.map((stream, i) => {
    const tail = tails.get(stream);
    const revision = tail === undefined ? 0 : tail.revision + 1;
    const metadata = { operatorId: 'spec', prevHash: tail?.hash ?? null };
    const data = { n: i };
    const hash = chainHash({ stream, revision, type: 'Noted', data, metadata });
    tails.set(stream, { revision, hash });
    return {
      streamName: stream,
      revision,
      position: i + 1,
      type: 'Noted',
      data,
      metadata: { ...metadata, hash },
    };
  });
}

/** Renumbers positions 1, 2, … (as a ledger whose rows were moved, with no position left free). */
const densely = (events: ChainEvent[]): ChainEvent[] => events.map((e, i) => ({ ...e, position: i + 1 }));

/** The event rewritten by someone who knows the hash: its own hash made consistent again. */
function rehashed(event: ChainEvent, change: Partial<ChainEvent>): ChainEvent {
  const { hash: _hash, ...rest } = { ...event.metadata, ...change.metadata };
  const next = { ...event, ...change, metadata: rest };
  return { ...next, metadata: { ...rest, hash: recomputeHash(next) } };
}

const where = (findings: readonly ChainFinding[]) =>
  findings.map((f) => [f.kind, f.position, f.stream, f.revision]);

// Positions:    1     2     3     4     5     6     7     8
const STREAMS = ['a', 'b', 'a', 'a', 'b', 'c', 'a', 'b'];
// Revisions:    a0    b0    a1    a2    b1    c0    a3    b2

describe('ChainChecker on a ledger someone tampered with', () => {
  const sparse = { densePositions: false };
  const dense = { densePositions: true };

  it('reports nothing for an intact ledger', () => {
    expect(checkChain(ledger(STREAMS), dense)).toEqual([]);
  });

  it('edited: reports an event whose content no longer has its stored hash', () => {
    const events = ledger(STREAMS);
    events[3] = { ...events[3]!, data: { n: 99 } };
    const findings = checkChain(events, dense);
    expect(where(findings)).toEqual([['edited', 4, 'a', 2]]);
    expect(findings[0]!.detail).toMatch(
      /^stored hash [0-9a-f]{8}… is not the hash of its content \([0-9a-f]{8}…\)$/,
    );
  });

  it('dropped: reports the missing revisions where the stream goes on, and the hole in positions', () => {
    const events = ledger(STREAMS);
    events.splice(2, 1); // a1 at position 3
    expect(where(checkChain(events, dense))).toEqual([
      ['gap', 3, null, null],
      ['dropped', 4, 'a', 2],
    ]);
    expect(checkChain(events, dense)[1]!.detail).toBe('revision 1 is missing before revision 2');
  });

  it('dropped: reports an event linked to something other than the event before it', () => {
    const events = ledger(STREAMS);
    // a3 rewritten to link elsewhere, consistent in itself: what came between a2 and it is gone.
    events[6] = rehashed(events[6]!, { metadata: { ...events[6]!.metadata, prevHash: 'cd'.repeat(32) } });
    const findings = checkChain(events, dense);
    expect(where(findings)).toEqual([['dropped', 7, 'a', 3]]);
    expect(findings[0]!.detail).toMatch(
      /^prevHash cdcdcdcd… is not the hash of revision 2 at position 4 \([0-9a-f]{8}…\)$/,
    );
  });

  it('inserted: reports an event the next one steps over (it links to the same predecessor)', () => {
    const events = ledger(STREAMS);
    // a2 made to link to a0, as a1 does: either a1 was slipped in, or a2 lost its predecessor.
    events[3] = rehashed(events[3]!, {
      metadata: { ...events[3]!.metadata, prevHash: events[0]!.metadata.hash },
    });
    // a3 still links to the old a2, whose hash changed.
    expect(where(checkChain(events, dense))).toEqual([
      ['inserted', 3, 'a', 1],
      ['dropped', 7, 'a', 3],
    ]);
  });

  it('dropped: reports a first revision that links to a predecessor', () => {
    const events = ledger(STREAMS);
    events[5] = rehashed(events[5]!, { metadata: { ...events[5]!.metadata, prevHash: 'ab'.repeat(32) } });
    expect(where(checkChain(events, dense))).toEqual([['dropped', 6, 'c', 0]]);
  });

  it('inserted: reports a revision that appears a second time', () => {
    const events = ledger(STREAMS);
    events.push({ ...events[2]!, position: 9 }); // a1 again
    expect(where(checkChain(events, dense))).toEqual([['inserted', 9, 'a', 1]]);
  });

  it('inserted: reports an event the chain steps over', () => {
    // a forged a2 slipped in before the real one, which was renumbered to a3 and rehashed: the
    // real one still links to a1, so the chain steps over the forged event.
    const events = ledger(['a', 'a', 'a']);
    const forged = rehashed(events[2]!, { data: { n: 'forged' } });
    const real = rehashed(events[2]!, { revision: 3, position: 4 });
    expect(where(checkChain([...events.slice(0, 2), forged, real], dense))).toEqual([
      ['inserted', 3, 'a', 2],
    ]);
  });

  it('reordered: reports both events of a stream whose order was swapped', () => {
    const events = ledger(STREAMS);
    [events[2], events[3]] = [events[3]!, events[2]!]; // a2 before a1
    expect(where(checkChain(densely(events), dense))).toEqual([
      ['reordered', 3, 'a', 2],
      ['reordered', 4, 'a', 1],
    ]);
  });

  it('edited: reports content JSON cannot carry (no store reads that back), instead of stopping', () => {
    const events = ledger(STREAMS);
    events[1] = { ...events[1]!, data: { at: new Date(0) } };
    const findings = checkChain(events, dense);
    expect(where(findings)).toEqual([['edited', 2, 'b', 0]]);
    expect(findings[0]!.detail).toMatch(/^its content cannot be hashed: \$\.data\.at is object: not JSON$/);
  });

  it('unchained: reports an event without a hash', () => {
    const events = ledger(STREAMS);
    const { hash: _hash, ...metadata } = events[4]!.metadata;
    events[4] = { ...events[4]!, metadata };
    expect(where(checkChain(events, dense))).toEqual([['unchained', 5, 'b', 1]]);
  });

  it('gap: reports missing positions only where positions are dense (SQLite)', () => {
    const events = ledger(STREAMS).map((e) => ({ ...e, position: e.position * 10 }));
    expect(checkChain(events, sparse)).toEqual([]);
    expect(where(checkChain(events.slice(0, 2), dense))).toEqual([
      ['gap', 1, null, null],
      ['gap', 11, null, null],
    ]);
  });

  it('answers each event as it comes and keeps the unexplained skips for the end', () => {
    const events = ledger(STREAMS);
    events.splice(4, 1); // b1
    const checker = new ChainChecker(sparse);
    expect(events.flatMap((e) => checker.check(e))).toEqual([]);
    expect(where(checker.finish())).toEqual([['dropped', 8, 'b', 2]]);
    expect(checker.checked).toBe(7);
  });
});

describe('ChainChecker speed', () => {
  it('checks 200,000 events (printed, not asserted)', () => {
    const N = 200_000;
    const events: ChainEvent[] = [];
    const tails = new Map<string, { revision: number; hash: string }>();
    for (let i = 0; i < N; i++) {
      // The shape of a custody event: a raw export's data and the service's metadata.
      const stream = `key-${(i * 7919) % 997}`;
      const tail = tails.get(stream);
      const revision = tail === undefined ? 0 : tail.revision + 1;
      const data = {
        opId: `op-${i}`,
        hsmId: 'hsm-a',
        blobSha256: 'f1c3a5e0b2d4c6e8f0a2c4e6081a3c5e7092b4d6f8a0c2e4061a3c5e7092b4d6',
        kekDomainId: 'kd-1',
        copyId: 'c0',
        range: null,
        supersedes: [],
        at: '2026-11-27T00:00:00.000Z',
      };
      const metadata = {
        operatorId: 'bench',
        role: 'operator',
        at: '2026-11-27T00:00:00.000Z',
        correlationId: `c-${i}`,
        causationId: `e-${i}`,
        prevHash: tail?.hash ?? null,
      };
      const hash = chainHash({ stream, revision, type: 'KeyRawExported', data, metadata });
      tails.set(stream, { revision, hash });
      // Parsed JSON, as events come back from the store, members in the order the chained store
      // writes them (canonical, `hash` last).
      events.push(
        JSON.parse(
          JSON.stringify({
            streamName: stream,
            revision,
            position: i + 1,
            type: 'KeyRawExported',
            data: canonicalOrder(data),
            metadata: { ...canonicalOrder(metadata), hash },
          }),
        ) as ChainEvent,
      );
    }
    // Twice: the first pass also warms the JIT up. Under Jest (a vm context) this runs about half
    // as fast as in plain Node; `npm run bench -- audit` measures it there (audit.chain.check).
    const rates = [1, 2].map(() => {
      const checker = new ChainChecker({ densePositions: true });
      const cpu = process.cpuUsage();
      const started = process.hrtime.bigint();
      let findings = 0;
      for (const e of events) findings += checker.check(e).length;
      findings += checker.finish().length;
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const used = process.cpuUsage(cpu);
      expect(findings).toBe(0);
      return `${Math.round(N / seconds)} events/s (${Math.round(N / ((used.user + used.system) / 1e6))} per CPU second)`;
    });
    console.log(`ChainChecker over ${N} events: ${rates.join(', then ')}`);
  });
});
