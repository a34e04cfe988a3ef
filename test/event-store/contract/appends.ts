import {
  EventTooLarge,
  InvalidEventStoreArgument,
  MAX_EVENT_BYTES,
  WrongExpectedRevision,
  type EventData,
  type ExpectedRevision,
} from '../../../src/event-store';
import {
  addedMetadataBytes,
  ascending,
  event,
  events,
  readEverything,
  storedMetadata,
  type ContractOptions,
  type StoreUnderTest,
} from './helpers';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * An event whose encoded size (UTF-8 of type + JSON data + JSON metadata) is exactly `bytes` once
 * the store added what it adds to the metadata (`added` bytes).
 */
function eventOfEncodedSize(bytes: number, added: number): EventData {
  const type = 'BlobStored';
  const metadata = { note: 'é' };
  const fixed =
    Buffer.byteLength(type) + Buffer.byteLength(JSON.stringify(metadata)) + added + '{"bytes":""}'.length;
  // Mostly 3-byte characters, so a store that counts UTF-16 units instead of bytes fails the limit.
  const euros = Math.floor((bytes - fixed) / 3);
  const payload = '€'.repeat(euros) + 'a'.repeat(bytes - fixed - euros * 3);
  return { type, data: { bytes: payload }, metadata };
}

function encodedSize(e: { type: string; data: unknown; metadata?: unknown }): number {
  return (
    Buffer.byteLength(e.type) +
    Buffer.byteLength(JSON.stringify(e.data)) +
    Buffer.byteLength(JSON.stringify(e.metadata))
  );
}

export function appendContract(store: StoreUnderTest, options: ContractOptions): void {
  describe('given an empty store', () => {
    it('has head position 0 and nothing to read', async () => {
      expect(await store().headPosition()).toBe(0);
      expect(await store().readAll()).toEqual([]);
      expect(await store().readStream('key-1')).toEqual([]);
    });

    it('appends a first event at revision 0 and position 1', async () => {
      expect(await store().append('key-1', [event('KeyGenerated')])).toEqual({
        nextExpectedRevision: 0,
        position: 1,
      });
    });

    it('appends several events at consecutive revisions and positions, returning the last', async () => {
      expect(await store().append('key-1', events(3))).toEqual({ nextExpectedRevision: 2, position: 3 });
      const read = await store().readStream('key-1');
      expect(read.map((e) => [e.revision, e.position, e.data])).toEqual([
        [0, 1, { n: 0 }],
        [1, 2, { n: 1 }],
        [2, 3, { n: 2 }],
      ]);
    });

    it('records the stream, type, data, a generated UUID and the time of recording', async () => {
      const before = Date.now();
      await store().append('key-1', [event('KeyGenerated', { hsmId: 'hsm-a', bits: 2048 })]);
      const [recorded] = await store().readStream('key-1');
      expect(recorded).toMatchObject({
        streamName: 'key-1',
        revision: 0,
        position: 1,
        type: 'KeyGenerated',
        data: { hsmId: 'hsm-a', bits: 2048 },
        metadata: {},
      });
      expect(recorded.id).toMatch(UUID);
      expect(recorded.recordedAt).toBe(new Date(recorded.recordedAt).toISOString());
      expect(Date.parse(recorded.recordedAt)).toBeGreaterThanOrEqual(before - 1000);
      expect(Date.parse(recorded.recordedAt)).toBeLessThanOrEqual(Date.now() + 1000);
    });

    it('keeps the ids the caller supplies', async () => {
      const ids = ['6f1c2a3e-8a8b-4c5d-9e0f-112233445566', '00000000-0000-4000-8000-000000000001'];
      await store().append(
        'key-1',
        ids.map((id) => ({ ...event('Noted'), id })),
      );
      expect((await store().readStream('key-1')).map((e) => e.id)).toEqual(ids);
    });
  });

  describe('given a stream that does not exist', () => {
    it.each<[ExpectedRevision]>([['no_stream'], ['any']])(
      'accepts an append expecting %s',
      async (expected) => {
        const result = await store().append('key-1', [event('KeyGenerated')], { expectedRevision: expected });
        expect(result).toEqual({ nextExpectedRevision: 0, position: 1 });
      },
    );

    it.each<[ExpectedRevision]>([['stream_exists'], [0], [3]])(
      'refuses an append expecting %s, reporting actual -1, and appends nothing',
      async (expected) => {
        const append = store().append('key-1', [event('KeyGenerated')], { expectedRevision: expected });
        await expect(append).rejects.toBeInstanceOf(WrongExpectedRevision);
        await expect(append).rejects.toMatchObject({
          type: 'wrong-expected-revision',
          stream: 'key-1',
          expected,
          actual: -1,
        });
        expect(await store().headPosition()).toBe(0);
      },
    );
  });

  describe('given a stream at revision 2', () => {
    beforeEach(async () => {
      await store().append('key-1', events(3));
    });

    it.each<[ExpectedRevision]>([['stream_exists'], ['any'], [2]])(
      'accepts an append expecting %s',
      async (expected) => {
        const result = await store().append('key-1', events(2), { expectedRevision: expected });
        expect(result).toEqual({ nextExpectedRevision: 4, position: 5 });
        expect((await store().readStream('key-1')).map((e) => e.revision)).toEqual(ascending(5));
      },
    );

    it.each<[ExpectedRevision]>([['no_stream'], [1], [0], [3]])(
      'refuses an append expecting %s, reporting actual 2, and appends nothing',
      async (expected) => {
        const append = store().append('key-1', [event('Late')], { expectedRevision: expected });
        await expect(append).rejects.toMatchObject({
          type: 'wrong-expected-revision',
          stream: 'key-1',
          expected,
          actual: 2,
        });
        expect((await store().readStream('key-1')).map((e) => e.type)).toEqual([
          'Counted',
          'Counted',
          'Counted',
        ]);
        expect(await store().headPosition()).toBe(3);
      },
    );
  });

  describe('given an event whose encoded size is exactly MAX_EVENT_BYTES', () => {
    const big = eventOfEncodedSize(MAX_EVENT_BYTES, addedMetadataBytes(options, 0));

    it('accepts it and reads it back intact', async () => {
      await store().append('blob-1', [big]);
      const [read] = await store().readStream('blob-1');
      expect(encodedSize(read)).toBe(MAX_EVENT_BYTES);
      expect(read.data).toEqual(big.data);
      expect(read.metadata).toEqual(storedMetadata(options, big.metadata!, 0));
    });
  });

  describe('given an append whose second event is one byte over MAX_EVENT_BYTES', () => {
    const tooBig = eventOfEncodedSize(MAX_EVENT_BYTES + 1, addedMetadataBytes(options, 1));

    it('refuses it with EventTooLarge and appends neither event', async () => {
      expect(encodedSize(tooBig) + addedMetadataBytes(options, 1)).toBe(MAX_EVENT_BYTES + 1);
      const append = store().append('blob-1', [event('Small'), tooBig]);
      await expect(append).rejects.toBeInstanceOf(EventTooLarge);
      await expect(append).rejects.toMatchObject({
        type: 'event-too-large',
        stream: 'blob-1',
        eventType: 'BlobStored',
        size: MAX_EVENT_BYTES + 1,
        limit: MAX_EVENT_BYTES,
      });
      expect(await store().readStream('blob-1')).toEqual([]);
      expect(await store().headPosition()).toBe(0);
    });
  });

  describe('given invalid arguments', () => {
    const cases: Array<[string, string, unknown, unknown, unknown]> = [
      ['an empty stream name', 'stream', '', [event('A')], undefined],
      ['a 1025-char stream name', 'stream', 's'.repeat(1025), [event('A')], undefined],
      ['no events', 'events', 'key-1', [], undefined],
      [
        'an event with an empty type',
        'events[1].type',
        'key-1',
        [event('A'), { type: '', data: {} }],
        undefined,
      ],
      ['an event whose data is an array', 'events[0].data', 'key-1', [{ type: 'A', data: [1] }], undefined],
      ['an event whose data is null', 'events[0].data', 'key-1', [{ type: 'A', data: null }], undefined],
      ['a negative expected revision', 'expectedRevision', 'key-1', [event('A')], -1],
      ['a fractional expected revision', 'expectedRevision', 'key-1', [event('A')], 1.5],
      ['an unknown expected revision literal', 'expectedRevision', 'key-1', [event('A')], 'latest'],
    ];

    it.each(cases)(
      'refuses %s naming "%s", and appends nothing',
      async (_, field, stream, evts, expected) => {
        const append = store().append(stream as string, evts as EventData[], {
          expectedRevision: expected as ExpectedRevision,
        });
        await expect(append).rejects.toBeInstanceOf(InvalidEventStoreArgument);
        await expect(append).rejects.toThrow(`"${field}"`);
        expect(await store().headPosition()).toBe(0);
      },
    );

    it('accepts a stream name of exactly 1024 chars', async () => {
      const name = 'k'.repeat(1024);
      await store().append(name, [event('A')]);
      expect((await store().readStream(name)).map((e) => e.streamName)).toEqual([name]);
    });
  });

  describe('given metadata and unicode', () => {
    it('round-trips nested metadata exactly', async () => {
      const metadata = {
        operatorId: 'op-7',
        at: '2026-03-01T12:00:00.000Z',
        correlationId: 'c-1',
        causationId: null,
        chain: { prevHash: 'ab'.repeat(32), hash: 'cd'.repeat(32) },
        tags: ['raw-export', 42, true, { nested: [] }],
      };
      await store().append('key-1', [event('KeyRawExported', { opId: 'op-1' }, metadata)]);
      const [read] = await store().readStream('key-1');
      expect(read.metadata).toEqual(storedMetadata(options, metadata, 0));
    });

    it('round-trips unicode in stream names, types and data', async () => {
      const stream = 'key-ключ-鍵-🔑';
      const data = {
        label: 'Schlüssel für Zürich — 鍵 — مفتاح — 🗝️👩‍💻',
        combining: 'e\u0301',
        nul: 'a\u0000b',
        loneSurrogate: '\ud800',
        '键名 🔑': 'unicode key',
      };
      await store().append(stream, [event('Schlüssel✓', data)]);
      const all = await readEverything(store());
      expect(all.map((e) => [e.streamName, e.type, e.data])).toEqual([[stream, 'Schlüssel✓', data]]);
      expect((await store().readStream(stream)).map((e) => e.data)).toEqual([data]);
    });
  });
}
