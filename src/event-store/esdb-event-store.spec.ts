import {
  AccessDeniedError,
  CancelledError,
  DeadlineExceededError,
  InvalidArgumentError,
  MaxAppendSizeExceededError,
  StreamDeletedError,
  TimeoutError,
  UnavailableError,
  UnknownError,
  WrongExpectedVersionError,
} from '@eventstore/db-client';
import { encodedEventSize, openEsdbEventStore, translateEsdbError } from './esdb-event-store';
import {
  EventTooLarge,
  InvalidEventStoreArgument,
  LedgerUnavailable,
  StreamDeleted,
  WrongExpectedRevision,
} from './errors';
import { MAX_EVENT_BYTES } from './event-store';

// The client's real error classes, built the way it builds them from a server reply, so a change in
// the client's error shapes fails here rather than in production.
describe('translateEsdbError', () => {
  describe('a wrong expected version', () => {
    it('becomes WrongExpectedRevision with the numeric actual revision', () => {
      const vendor = new WrongExpectedVersionError(undefined, {
        streamName: 'key-1',
        expected: 3n,
        current: 5n,
      });
      const ours = translateEsdbError(vendor);
      expect(ours).toBeInstanceOf(WrongExpectedRevision);
      expect(ours).toMatchObject({
        type: 'wrong-expected-revision',
        stream: 'key-1',
        expected: 3,
        actual: 5,
      });
    });

    it('reports actual -1 when the stream does not exist', () => {
      const vendor = new WrongExpectedVersionError(undefined, {
        streamName: 'key-1',
        expected: 0n,
        current: 'no_stream',
      });
      expect(translateEsdbError(vendor)).toMatchObject({ stream: 'key-1', expected: 0, actual: -1 });
    });

    it("prefers the caller's stream and expectation (the server sees the namespaced name)", () => {
      const vendor = new WrongExpectedVersionError(undefined, {
        streamName: 'run42-key-1',
        expected: 'stream_exists',
        current: 'no_stream',
      });
      const ours = translateEsdbError(vendor, { stream: 'key-1', expected: 'stream_exists' });
      expect(ours).toMatchObject({ stream: 'key-1', expected: 'stream_exists', actual: -1 });
      expect(ours.message).toBe(
        'append to "key-1" expected revision stream_exists, but the stream is at no_stream',
      );
    });
  });

  it('turns a deleted stream into StreamDeleted', () => {
    const ours = translateEsdbError(StreamDeletedError.fromStreamName('blob-3f2a'));
    expect(ours).toBeInstanceOf(StreamDeleted);
    expect(ours).toMatchObject({ type: 'stream-deleted', stream: 'blob-3f2a' });
  });

  it("turns the server's append size limit into EventTooLarge with the server's limit", () => {
    const events = [
      { type: 'BlobStored', data: { bytes: 'a'.repeat(600_000) } },
      { type: 'BlobStored', data: { bytes: 'b'.repeat(600_000) } },
    ];
    const ours = translateEsdbError(MaxAppendSizeExceededError.fromMaxAppendSize(1_048_576), {
      stream: 'blob-1',
      events,
    });
    expect(ours).toBeInstanceOf(EventTooLarge);
    expect(ours).toMatchObject({
      stream: 'blob-1',
      eventType: 'BlobStored',
      size: encodedEventSize(events[0]) + encodedEventSize(events[1]),
      limit: 1_048_576,
    });
  });

  it.each([
    ['unavailable', new UnavailableError()],
    ['deadline exceeded', new DeadlineExceededError()],
    ['aborted (timeout)', new TimeoutError()],
    ['cancelled by the server', new CancelledError()],
    ['access denied', new AccessDeniedError()],
    ['unknown', new UnknownError()],
  ])('turns %s into LedgerUnavailable, keeping the cause', (_label, vendor) => {
    const ours = translateEsdbError(vendor);
    expect(ours).toBeInstanceOf(LedgerUnavailable);
    expect(ours.cause).toBe(vendor);
    expect(ours.message).toMatch(/^EventStoreDB /);
  });

  // What the client rejects with when no channel could be opened: a bare gRPC ServiceError.
  it.each([
    [14, 'UNAVAILABLE: No connection established'],
    [4, 'DEADLINE_EXCEEDED: Deadline exceeded'],
  ])('turns a raw gRPC status %i into LedgerUnavailable', (code, details) => {
    const raw = Object.assign(new Error(`${code} ${details}`), { code, details });
    const ours = translateEsdbError(raw);
    expect(ours).toBeInstanceOf(LedgerUnavailable);
    expect(ours.message).toContain(details);
  });

  it("turns the client's argument check into InvalidEventStoreArgument", () => {
    const ours = translateEsdbError(new InvalidArgumentError('maxCount must be positive'));
    expect(ours).toBeInstanceOf(InvalidEventStoreArgument);
    expect(ours.message).toBe('maxCount must be positive');
  });

  it('passes our own errors and non-client errors through unchanged', () => {
    const ours = new StreamDeleted('key-1');
    const bug = new TypeError('x is undefined');
    expect(translateEsdbError(ours)).toBe(ours);
    expect(translateEsdbError(bug)).toBe(bug);
  });
});

describe('EsdbEventStore argument checks (refused before any network call)', () => {
  // Nothing listens on port 1: reaching the network would give LedgerUnavailable, not these errors.
  const store = openEsdbEventStore('esdb://127.0.0.1:1?tls=false');
  afterAll(() => store.close());

  it('refuses an event over 1 MiB encoded with EventTooLarge', async () => {
    const event = { type: 'BlobStored', data: { bytes: 'x'.repeat(MAX_EVENT_BYTES) } };
    await expect(store.append('blob-1', [event])).rejects.toMatchObject({
      type: 'event-too-large',
      stream: 'blob-1',
      eventType: 'BlobStored',
      size: encodedEventSize(event),
      limit: MAX_EVENT_BYTES,
    });
  });

  it.each([
    ['an empty stream name', '', { type: 'A', data: {} }, /"stream" expected a non-empty string/],
    ['a system stream name', '$all', { type: 'A', data: {} }, /"stream" must not start with "\$"/],
    [
      'a system event type',
      'key-1',
      { type: '$metadata', data: {} },
      /"events\[0\]\.type" must not start with "\$"/,
    ],
    [
      'an id that is not a UUID',
      'key-1',
      { type: 'A', data: {}, id: 'e1' },
      /"events\[0\]\.id" expected a UUID/,
    ],
  ])('refuses %s', async (_label, stream, event, message) => {
    const attempt = store.append(stream, [event]);
    await expect(attempt).rejects.toBeInstanceOf(InvalidEventStoreArgument);
    await expect(attempt).rejects.toThrow(message);
  });

  it('rejects a URL that is not esdb://', () => {
    expect(() => openEsdbEventStore('http://127.0.0.1:2113')).toThrow(InvalidEventStoreArgument);
  });
});
