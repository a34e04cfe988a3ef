/**
 * Canonical JSON after RFC 8785 (JCS): object members sorted by their UTF-16 code units, no
 * whitespace, numbers and strings as ECMAScript's JSON.stringify writes them (which is what JCS
 * specifies for both). Two values that are equal as JSON encode to the same text, so their
 * encodings can be compared or hashed. Anything JSON cannot carry (undefined, NaN, functions,
 * class instances other than plain objects and arrays) is refused rather than dropped.
 */
export function canonicalJson(value: unknown): string {
  return encode(value, '$');
}

function encode(value: unknown, path: string): string {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError(`${path} is ${value}: not JSON`);
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map((v, i) => encode(v, `${path}[${i}]`)).join(',')}]`;
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const keys = Object.keys(value).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const members = keys.map(
      (k) => `${JSON.stringify(k)}:${encode((value as Record<string, unknown>)[k], `${path}.${k}`)}`,
    );
    return `{${members.join(',')}}`;
  }
  throw new TypeError(`${path} is ${value === undefined ? 'undefined' : typeof value}: not JSON`);
}
