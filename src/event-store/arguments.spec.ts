import { EventTooLarge, InvalidEventStoreArgument } from './errors';
import { MAX_EVENT_BYTES } from './event-store';
import {
  checkExpectedRevision,
  checkReadAllOptions,
  checkReadStreamOptions,
  encodeEvents,
  assertStreamName,
} from './arguments';

function refusal(call: () => unknown): string {
  try {
    call();
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidEventStoreArgument);
    return (err as Error).message;
  }
  throw new Error('expected InvalidEventStoreArgument, nothing was thrown');
}

class KeyBlob {
  readonly bytes = 'ab';
}

describe('encodeEvents', () => {
  it.each<[string, unknown, string]>([
    ['a non-array', { type: 'A', data: {} }, '"events" expected a non-empty array, got an object'],
    ['a null event', [null], '"events[0]" expected an event object, got null'],
    ['a missing type', [{ data: {} }], '"events[0].type" expected a non-empty string, got undefined'],
    [
      'a class instance as data',
      [{ type: 'A', data: new KeyBlob() }],
      '"events[0].data" expected a plain object, got an object',
    ],
    [
      'a string as metadata',
      [{ type: 'A', data: {}, metadata: 'x' }],
      '"events[0].metadata" expected a plain object or undefined, got "x"',
    ],
    [
      'an id that is no UUID',
      [{ type: 'A', data: {}, id: 'evt-1' }],
      '"events[0].id" expected a UUID or undefined, got "evt-1"',
    ],
    [
      'data JSON cannot encode',
      [{ type: 'A', data: { n: 10n } }],
      '"events[0].data" expected JSON-serialisable',
    ],
  ])('refuses %s, naming the field', (_, events, message) => {
    expect(refusal(() => encodeEvents('key-1', events))).toContain(message);
  });

  it('encodes data and metadata as JSON, with {} for absent metadata, and assigns a UUID', () => {
    const [encoded] = encodeEvents('key-1', [{ type: 'KeyGenerated', data: { bits: 2048 } }]);
    expect(encoded).toMatchObject({ type: 'KeyGenerated', data: '{"bits":2048}', metadata: '{}' });
    expect(encoded.id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('counts UTF-8 bytes of type, data and metadata against MAX_EVENT_BYTES', () => {
    // "T" (1 byte) + {"s":"…"} (8 + payload) + {} (2); the payload is mostly €: one UTF-16 unit, 3 bytes.
    const payload = MAX_EVENT_BYTES - 11;
    const atLimit = { type: 'T', data: { s: '€'.repeat(Math.floor(payload / 3)) + 'a'.repeat(payload % 3) } };
    expect(() => encodeEvents('blob-1', [atLimit])).not.toThrow();
    const over = { type: 'TT', data: atLimit.data };
    expect(() => encodeEvents('blob-1', [over])).toThrow(
      new EventTooLarge('blob-1', 'TT', MAX_EVENT_BYTES + 1, MAX_EVENT_BYTES),
    );
  });
});

describe('assertStreamName', () => {
  it.each<[string, unknown, string]>([
    ['an empty name', '', '"stream" expected a non-empty string of at most 1024 chars, got ""'],
    ['a number', 42, 'got 42'],
    ['a 1025-char name', 'x'.repeat(1025), 'got a 1025-char string'],
  ])('refuses %s', (_, stream, message) => {
    expect(refusal(() => assertStreamName(stream))).toContain(message);
  });
});

describe('checkExpectedRevision', () => {
  it.each([undefined, 'any'])('reads %p as any', (value) => {
    expect(checkExpectedRevision(value)).toBe('any');
  });

  it.each([-1, 0.5, Number.NaN, '3', null])('refuses %p, naming expectedRevision', (value) => {
    expect(refusal(() => checkExpectedRevision(value))).toContain('"expectedRevision" expected');
  });
});

describe('checkReadStreamOptions', () => {
  it.each([
    [{}, { forwards: true, fromRevision: 0, limit: -1 }],
    [
      { direction: 'backwards' as const },
      { forwards: false, fromRevision: Number.MAX_SAFE_INTEGER, limit: -1 },
    ],
    [
      { fromRevision: 'end' as const, maxCount: 0 },
      { forwards: true, fromRevision: Number.MAX_SAFE_INTEGER, limit: 0 },
    ],
  ])('turns %p into SQL bounds', (options, bounds) => {
    expect(checkReadStreamOptions(options)).toEqual(bounds);
  });

  it.each<[object, string]>([
    [{ direction: 'sideways' }, '"direction"'],
    [{ fromRevision: -2 }, '"fromRevision"'],
    [{ maxCount: 1.5 }, '"maxCount"'],
  ])('refuses %p, naming the field', (options, field) => {
    expect(refusal(() => checkReadStreamOptions(options))).toContain(field);
  });
});

describe('checkReadAllOptions', () => {
  it('defaults to the start and a page of 4096', () => {
    expect(checkReadAllOptions()).toEqual({ fromPosition: 0, maxCount: 4096 });
  });

  it('refuses a negative fromPosition', () => {
    expect(refusal(() => checkReadAllOptions({ fromPosition: -1 }))).toContain(
      '"fromPosition" expected an integer >= 0, got -1',
    );
  });
});
