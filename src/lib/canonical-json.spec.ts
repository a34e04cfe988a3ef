import fc from 'fast-check';
import { canonicalJson, canonicalOrder } from './canonical-json';

/** The plain definition (RFC 8785 §3.2): sorted members, JSON.stringify for every leaf. */
function reference(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(reference).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${keys.map((k) => `${JSON.stringify(k)}:${reference((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

describe('canonicalJson (RFC 8785)', () => {
  it('sorts members by UTF-16 code units at every depth, without whitespace', () => {
    expect(canonicalJson({ b: 1, a: [{ z: true, y: null }], '\u20ac': 'x', A: 's' })).toBe(
      '{"A":"s","a":[{"y":null,"z":true}],"b":1,"\u20ac":"x"}',
    );
  });

  it('gives equal JSON values one text whatever the member order', () => {
    expect(canonicalJson({ x: { p: 1, q: [1, 2] }, y: 'a' })).toBe(
      canonicalJson({ y: 'a', x: { q: [1, 2], p: 1 } }),
    );
  });

  it('writes numbers and strings as JSON.stringify does (RFC 8785 §3.2.2)', () => {
    expect(canonicalJson([1e21, 0.1, -0, 1e-7, 'line\nbreak', '\u007f'])).toBe(
      '[1e+21,0.1,0,1e-7,"line\\nbreak","\u007f"]',
    );
  });

  it('agrees with the plain definition on any JSON value, lone surrogates and controls included', () => {
    fc.assert(
      fc.property(fc.jsonValue({ stringUnit: 'binary' }), (value) => {
        expect(canonicalJson(value)).toBe(reference(value));
      }),
      { numRuns: 500 },
    );
  });

  it('writes a value whose members are in canonical order as JSON.stringify does, and others the same', () => {
    const value = JSON.parse('{"a":{"b":[1,{"c":"\\u00e9","d":-0}]},"z":null}') as unknown;
    expect(canonicalJson(value)).toBe(JSON.stringify(value));
    expect(canonicalJson({ z: null, a: { b: [1, { d: -0, c: 'é' }] } })).toBe(
      '{"a":{"b":[1,{"c":"é","d":0}]},"z":null}',
    );
  });

  it('puts the members of any JSON value in canonical order, copying only what it reorders', () => {
    const indexKey = /^(?:0|[1-9]\d*)$/;
    const hasIndexKey = (v: unknown): boolean =>
      v !== null &&
      typeof v === 'object' &&
      (Object.keys(v).some((k) => indexKey.test(k)) || Object.values(v).some(hasIndexKey));
    fc.assert(
      fc.property(fc.jsonValue({ stringUnit: 'binary' }), (value) => {
        const before = JSON.stringify(value);
        const ordered = canonicalOrder(value);
        expect(JSON.stringify(value)).toBe(before);
        expect(canonicalJson(ordered)).toBe(canonicalJson(value));
        if (!hasIndexKey(value)) expect(JSON.stringify(ordered)).toBe(canonicalJson(value));
        if (JSON.stringify(value) === canonicalJson(value)) expect(ordered).toBe(value);
      }),
      { numRuns: 500 },
    );
    const proto = JSON.parse('{"z":1,"__proto__":{"b":2,"a":1}}') as object;
    expect(JSON.stringify(canonicalOrder(proto))).toBe('{"__proto__":{"a":1,"b":2},"z":1}');
  });

  it.each([
    ['undefined', { a: undefined }, '$.a is undefined'],
    ['NaN', [NaN], '$[0] is NaN'],
    ['Infinity', { n: Infinity }, '$.n is Infinity'],
    ['a Date', { d: new Date(0) }, '$.d is object'],
    ['a Buffer', [Buffer.from('x')], '$[0] is object'],
  ])('refuses %s, naming where', (_what, value, message) => {
    expect(() => canonicalJson(value)).toThrow(message);
    expect(() => canonicalOrder(value)).toThrow(message);
  });
});
