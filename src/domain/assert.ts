/**
 * Small labelled input checks for command fields (docs/style.md §9): each names the field and what it
 * expected. They throw `InvalidCommand`; deciders call them before looking at state.
 */
import { InvalidCommand } from './errors';

const SHA256 = /^[0-9a-f]{64}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
/** Ids that become part of a stream name: no spaces, no slashes, bounded. */
const ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

function got(value: unknown): string {
  return typeof value === 'string'
    ? JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value)
    : String(value);
}

export function aId(field: string, value: unknown): asserts value is string {
  if (typeof value !== 'string' || !ID.test(value)) {
    throw new InvalidCommand(
      `"${field}" expected an id (letters, digits, . _ : -; at most 128), got ${got(value)}`,
    );
  }
}

export function aText(field: string, value: unknown): asserts value is string {
  if (typeof value !== 'string' || value.trim() === '' || value.length > 1024) {
    throw new InvalidCommand(
      `"${field}" expected non-empty text of at most 1024 characters, got ${got(value)}`,
    );
  }
}

export function aSha256(field: string, value: unknown): asserts value is string {
  if (typeof value !== 'string' || !SHA256.test(value)) {
    throw new InvalidCommand(
      `"${field}" expected a SHA-256 as 64 lowercase hex characters, got ${got(value)}`,
    );
  }
}

export function aUuid(field: string, value: unknown): asserts value is string {
  if (typeof value !== 'string' || !UUID.test(value)) {
    throw new InvalidCommand(`"${field}" expected a lowercase UUID, got ${got(value)}`);
  }
}

export function aTime(field: string, value: unknown): asserts value is string {
  if (typeof value !== 'string' || !ISO_TIME.test(value) || Number.isNaN(Date.parse(value))) {
    throw new InvalidCommand(`"${field}" expected an ISO-8601 time, got ${got(value)}`);
  }
}

export function aBase64(field: string, value: unknown): asserts value is string {
  if (typeof value !== 'string' || value.length === 0 || !BASE64.test(value)) {
    throw new InvalidCommand(`"${field}" expected non-empty base64, got ${got(value)}`);
  }
}

export function aInt(
  field: string,
  value: unknown,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): asserts value is number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new InvalidCommand(`"${field}" expected an integer in [${min}, ${max}], got ${got(value)}`);
  }
}

export function aOneOf<T extends string>(
  field: string,
  value: unknown,
  allowed: readonly T[],
): asserts value is T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw new InvalidCommand(`"${field}" expected one of ${allowed.join(', ')}, got ${got(value)}`);
  }
}
