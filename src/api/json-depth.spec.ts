/**
 * The nesting scan the JSON body parser runs first (src/api/http.ts): it counts arrays and objects
 * outside strings only, honours escapes, and agrees with the depth of the parsed value.
 */
import fc from 'fast-check';
import { MAX_JSON_DEPTH, nestsDeeperThan } from './json-depth';

/** The depth of a parsed JSON value: 0 for a scalar, 1 for `[]` or `{}`, one more per level inside. */
function depthOf(value: unknown): number {
  if (value === null || typeof value !== 'object') return 0;
  const children = Array.isArray(value) ? value : Object.values(value as object);
  return 1 + Math.max(0, ...children.map(depthOf));
}

describe('nestsDeeperThan', () => {
  it.each<[string, string, number, boolean]>([
    ['a scalar', '"hsm-a"', 0, false],
    ['an empty object at the limit', '{}', 1, false],
    ['an empty object over a limit of 0', '{}', 0, true],
    ['a request body of this API', '{"hsm":"hsm-a","type":"ec","label":"x"}', 1, false],
    ['32 arrays at a limit of 32', `${'['.repeat(32)}${']'.repeat(32)}`, 32, false],
    ['33 arrays at a limit of 32', `${'['.repeat(33)}${']'.repeat(33)}`, 32, true],
    ['33 objects at a limit of 32', `${'{"a":'.repeat(33)}1${'}'.repeat(33)}`, 32, true],
    ['unclosed arrays', '['.repeat(5000), 32, true],
    ['siblings, not nesting', `[${'[],'.repeat(100)}[]]`, 2, false],
    ['brackets inside a string', `{"a":"${'[{'.repeat(100)}"}`, 1, false],
    ['an escaped quote inside a string', `{"a":"\\"[[[[\\"","b":1}`, 1, false],
    ['an escaped backslash ends the string before a bracket', '["\\\\",[[]]]', 2, true],
    ['three backslashes then a quote: still inside', '["\\\\\\"[[["]', 1, false],
    ['a \\u escape of a quote', '["\\u0022[[["]', 1, false],
    ['an unterminated string hides what follows', '["[[[[', 1, false],
    ['a key holding brackets', '{"[[[[":{"{{{{":[]}}', 3, false],
  ])('%s', (_label, text, limit, expected) => {
    expect(nestsDeeperThan(text, limit)).toBe(expected);
  });

  it('agrees with the depth of the parsed value for any JSON text', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), fc.integer({ min: 0, max: 8 }), (value, limit) => {
        const text = JSON.stringify(value);
        expect(nestsDeeperThan(text, limit)).toBe(depthOf(JSON.parse(text)) > limit);
      }),
      { numRuns: 500 },
    );
  });

  it('refuses the 5,000-level bodies that overflowed the stack, and allows 32 levels', () => {
    expect(nestsDeeperThan(`${'['.repeat(5000)}${']'.repeat(5000)}`, MAX_JSON_DEPTH)).toBe(true);
    expect(nestsDeeperThan(`${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}`, MAX_JSON_DEPTH)).toBe(true);
    expect(nestsDeeperThan(`${'{"a":'.repeat(32)}1${'}'.repeat(32)}`, MAX_JSON_DEPTH)).toBe(false);
  });
});
