import { canonicalJson } from './canonical-json';

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

  it.each([
    ['undefined', { a: undefined }, '$.a is undefined'],
    ['NaN', [NaN], '$[0] is NaN'],
    ['Infinity', { n: Infinity }, '$.n is Infinity'],
    ['a Date', { d: new Date(0) }, '$.d is object'],
    ['a Buffer', [Buffer.from('x')], '$[0] is object'],
  ])('refuses %s, naming where', (_what, value, message) => {
    expect(() => canonicalJson(value)).toThrow(message);
  });
});
