import { randomUUID } from 'node:crypto';
import { EventTooLarge, InvalidEventStoreArgument } from './errors';
import {
  MAX_EVENT_BYTES,
  type EventData,
  type ExpectedRevision,
  type ReadAllOptions,
  type ReadStreamOptions,
} from './event-store';

/** Boundary checks for the `EventStore` port. Nothing here is SQLite-specific. */

export const MAX_STREAM_NAME_LENGTH = 1024;
const DEFAULT_READ_ALL_COUNT = 4096;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** An event ready to insert: JSON already encoded, id assigned. */
export interface EncodedEvent {
  readonly id: string;
  readonly type: string;
  readonly data: string;
  readonly metadata: string;
}

function describe(value: unknown): string {
  if (typeof value === 'string')
    return value.length > 40 ? `a ${value.length}-char string` : JSON.stringify(value);
  if (Array.isArray(value)) return 'an array';
  if (value === null || typeof value !== 'object') return String(value);
  return 'an object';
}

function invalid(field: string, expectation: string, got: unknown): InvalidEventStoreArgument {
  return new InvalidEventStoreArgument(`"${field}" expected ${expectation}, got ${describe(got)}`);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function isCount(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}

export function assertStreamName(stream: unknown): asserts stream is string {
  if (typeof stream !== 'string' || stream.length === 0 || stream.length > MAX_STREAM_NAME_LENGTH) {
    throw invalid('stream', `a non-empty string of at most ${MAX_STREAM_NAME_LENGTH} chars`, stream);
  }
}

export function checkExpectedRevision(value: unknown): ExpectedRevision {
  if (value === undefined) return 'any';
  if (isCount(value) || value === 'any' || value === 'no_stream' || value === 'stream_exists') return value;
  throw invalid('expectedRevision', 'an integer >= 0, "any", "no_stream" or "stream_exists"', value);
}

function stringify(value: unknown, field: string): string {
  try {
    return JSON.stringify(value);
  } catch (err) {
    throw invalid(field, `JSON-serialisable (${(err as Error).message})`, value);
  }
}

/** The checks of one event's shape (`events[i]`), before anything is encoded. */
export function checkEventShape(event: unknown, i: number): asserts event is EventData {
  if (!isPlainObject(event)) throw invalid(`events[${i}]`, 'an event object', event);
  const { type, data, metadata, id } = event;
  if (typeof type !== 'string' || type.length === 0)
    throw invalid(`events[${i}].type`, 'a non-empty string', type);
  if (!isPlainObject(data)) throw invalid(`events[${i}].data`, 'a plain object', data);
  if (metadata !== undefined && !isPlainObject(metadata)) {
    throw invalid(`events[${i}].metadata`, 'a plain object or undefined', metadata);
  }
  if (id !== undefined && (typeof id !== 'string' || !UUID.test(id))) {
    throw invalid(`events[${i}].id`, 'a UUID or undefined', id);
  }
}

/** `events` is a non-empty array. */
export function checkEventList(events: unknown): asserts events is unknown[] {
  if (!Array.isArray(events) || events.length === 0) throw invalid('events', 'a non-empty array', events);
}

function encodeEvent(stream: string, event: unknown, i: number): EncodedEvent {
  checkEventShape(event, i);
  const { type, data, metadata, id } = event;
  return checkEncodedSize(stream, {
    id: id ?? randomUUID(),
    type,
    data: stringify(data, `events[${i}].data`),
    metadata: stringify(metadata ?? {}, `events[${i}].metadata`),
  });
}

/** Refuses an encoded event over MAX_EVENT_BYTES (UTF-8 of type, data and metadata). */
export function checkEncodedSize(stream: string, encoded: EncodedEvent): EncodedEvent {
  const size =
    Buffer.byteLength(encoded.type, 'utf8') +
    Buffer.byteLength(encoded.data, 'utf8') +
    Buffer.byteLength(encoded.metadata, 'utf8');
  if (size > MAX_EVENT_BYTES) throw new EventTooLarge(stream, encoded.type, size, MAX_EVENT_BYTES);
  return encoded;
}

/** Validates and encodes a whole append up front, so a refused event means nothing is appended. */
export function encodeEvents(stream: string, events: unknown): EncodedEvent[] {
  checkEventList(events);
  return events.map((event: unknown, i) => encodeEvent(stream, event, i));
}

/** Read bounds as SQL parameters: inclusive revision bound and LIMIT (-1 means none). */
export function checkReadStreamOptions(options: ReadStreamOptions = {}): {
  forwards: boolean;
  fromRevision: number;
  limit: number;
} {
  const { direction = 'forwards', fromRevision, maxCount } = options;
  if (direction !== 'forwards' && direction !== 'backwards') {
    throw invalid('direction', '"forwards" or "backwards"', direction);
  }
  if (
    fromRevision !== undefined &&
    fromRevision !== 'start' &&
    fromRevision !== 'end' &&
    !isCount(fromRevision)
  ) {
    throw invalid('fromRevision', 'an integer >= 0, "start" or "end"', fromRevision);
  }
  if (maxCount !== undefined && !isCount(maxCount)) throw invalid('maxCount', 'an integer >= 0', maxCount);
  const forwards = direction === 'forwards';
  const from = fromRevision ?? (forwards ? 'start' : 'end');
  // "end" is past the last event: forwards from it reads nothing, backwards reads from the last one.
  const bound = from === 'start' ? 0 : from === 'end' ? Number.MAX_SAFE_INTEGER : from;
  return { forwards, fromRevision: bound, limit: maxCount ?? -1 };
}

export function checkReadAllOptions(options: ReadAllOptions = {}): {
  fromPosition: number;
  maxCount: number;
} {
  const { fromPosition = 0, maxCount = DEFAULT_READ_ALL_COUNT } = options;
  if (!isCount(fromPosition)) throw invalid('fromPosition', 'an integer >= 0', fromPosition);
  if (!isCount(maxCount)) throw invalid('maxCount', 'an integer >= 0', maxCount);
  return { fromPosition, maxCount };
}

export function checkFromPosition(fromPosition: unknown = 0): number {
  if (!isCount(fromPosition)) throw invalid('fromPosition', 'an integer >= 0', fromPosition);
  return fromPosition;
}
