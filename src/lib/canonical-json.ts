/**
 * Canonical JSON after RFC 8785 (JCS): object members sorted by their UTF-16 code units, no
 * whitespace, numbers and strings as ECMAScript's JSON.stringify writes them (which is what JCS
 * specifies for both). Two values that are equal as JSON encode to the same text, so their
 * encodings can be compared or hashed. Anything JSON cannot carry (undefined, NaN, functions,
 * class instances other than plain objects and arrays) is refused rather than dropped.
 *
 * The ledger's hash chain encodes every event with it (src/audit/chain.ts), so it is written for
 * speed: a value whose members are already in canonical order (as the ledger stores them, see
 * `canonicalOrder`) is written by JSON.stringify itself, which then emits exactly the canonical
 * text; other values are encoded here; only a refusal walks the value again to name where.
 */
export function canonicalJson(value: unknown): string {
  try {
    return inOrder(value) ? JSON.stringify(value) : encode(value);
  } catch (error) {
    if (error !== NOT_JSON) throw error;
    explain(value, '$');
    throw new TypeError('$ is not JSON');
  }
}

/**
 * The same JSON value with every object's members inserted in canonical order: `value` itself
 * when they already are, else a copy (the input is not touched). JSON.stringify of the result is
 * then the canonical text, except for members whose names are array indices ("0", "10"), which
 * JavaScript objects always keep first in numeric order; `canonicalJson` is exact either way.
 */
export function canonicalOrder<T>(value: T): T {
  try {
    return ordered(value) as T;
  } catch (error) {
    if (error !== NOT_JSON) throw error;
    explain(value, '$');
    throw new TypeError('$ is not JSON');
  }
}

/** Thrown by the fast paths; `explain` then finds the offending member and names it. */
const NOT_JSON = new Error('not JSON');

/** Characters JSON.stringify escapes: controls, quote, backslash, and surrogates (lone ones are escaped). */
const NEEDS_ESCAPE = /[\u0000-\u001f"\\\ud800-\udfff]/;

function quote(s: string): string {
  return NEEDS_ESCAPE.test(s) ? JSON.stringify(s) : `"${s}"`;
}

function isPlainObject(value: object): boolean {
  return Object.getPrototypeOf(value) === Object.prototype;
}

// The default sort, and `<`/`>` on strings, compare UTF-16 code units: RFC 8785 §3.2.3's order.
function ascending(keys: string[]): boolean {
  for (let i = 1; i < keys.length; i++) if (keys[i - 1] > keys[i]) return false;
  return true;
}

/** JSON with every object's members in canonical order (JSON.stringify follows Object.keys order). */
function inOrder(value: unknown): boolean {
  return typeof value === 'object' && value !== null ? containerInOrder(value) : leaf(value);
}

/** A JSON leaf (true), or a value JSON cannot carry (throws). Leaves are checked in line: no call each. */
function leaf(value: unknown): boolean {
  if (typeof value === 'string' || typeof value === 'boolean' || value === null) return true;
  if (typeof value === 'number' && Number.isFinite(value)) return true;
  throw NOT_JSON;
}

function containerInOrder(value: object): boolean {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      if (typeof item === 'object' && item !== null ? !containerInOrder(item) : !leaf(item)) return false;
    }
    return true;
  }
  if (!isPlainObject(value)) throw NOT_JSON;
  const keys = Object.keys(value);
  for (let i = 0; i < keys.length; i++) {
    if (i > 0 && keys[i - 1] > keys[i]) return false;
    const item = (value as Record<string, unknown>)[keys[i]];
    if (typeof item === 'object' && item !== null ? !containerInOrder(item) : !leaf(item)) return false;
  }
  return true;
}

function encode(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return quote(value);
    case 'number':
      if (!Number.isFinite(value)) throw NOT_JSON;
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object': {
      if (value === null) return 'null';
      if (Array.isArray(value)) {
        let out = '[';
        for (let i = 0; i < value.length; i++) out += (i === 0 ? '' : ',') + encode(value[i]);
        return `${out}]`;
      }
      if (!isPlainObject(value)) throw NOT_JSON;
      const keys = Object.keys(value);
      if (!ascending(keys)) keys.sort();
      let out = '{';
      for (let i = 0; i < keys.length; i++) {
        const key = keys[i];
        out += `${i === 0 ? '' : ','}${quote(key)}:${encode((value as Record<string, unknown>)[key])}`;
      }
      return `${out}}`;
    }
    default:
      throw NOT_JSON;
  }
}

/** An own member, even one named `__proto__` (JSON.parse makes those; assignment would not). */
function put(record: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__')
    Object.defineProperty(record, key, { value, enumerable: true, writable: true, configurable: true });
  else record[key] = value;
}

function ordered(value: unknown): unknown {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      if (!Number.isFinite(value)) throw NOT_JSON;
      return value;
    case 'object': {
      if (value === null) return value;
      if (Array.isArray(value)) {
        let copy: unknown[] | undefined;
        for (let i = 0; i < value.length; i++) {
          const item: unknown = value[i];
          const next = ordered(item);
          if (copy === undefined && next !== item) copy = value.slice(0, i);
          copy?.push(next);
        }
        return copy ?? value;
      }
      if (!isPlainObject(value)) throw NOT_JSON;
      const record = value as Record<string, unknown>;
      const keys = Object.keys(record);
      const sorted = ascending(keys);
      if (!sorted) keys.sort();
      let copy: Record<string, unknown> | undefined = sorted ? undefined : {};
      for (let i = 0; i < keys.length; i++) {
        const item = record[keys[i]];
        const next = ordered(item);
        if (copy === undefined && next !== item) {
          copy = {};
          for (let j = 0; j < i; j++) put(copy, keys[j], record[keys[j]]);
        }
        if (copy !== undefined) put(copy, keys[i], next);
      }
      return copy ?? value;
    }
    default:
      throw NOT_JSON;
  }
}

/** The slow walk of a refused value: throws a TypeError naming the first member JSON cannot carry. */
function explain(value: unknown, path: string): void {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError(`${path} is ${value}: not JSON`);
    return;
  }
  if (Array.isArray(value)) return value.forEach((v, i) => explain(v, `${path}[${i}]`));
  if (typeof value === 'object' && isPlainObject(value)) {
    for (const k of Object.keys(value).sort()) explain((value as Record<string, unknown>)[k], `${path}.${k}`);
    return;
  }
  throw new TypeError(`${path} is ${value === undefined ? 'undefined' : typeof value}: not JSON`);
}
