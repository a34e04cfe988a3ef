import { isKeyName, strictBase64, textProblem } from './text';

describe('strictBase64 (RFC 4648 §4, canonical only)', () => {
  it.each([
    ['', ''],
    ['AA==', '00'],
    ['AAA=', '0000'],
    ['AAAA', '000000'],
    ['+/8=', 'fbff'],
  ])('reads %p', (s, hex) => {
    expect(strictBase64(s)?.toString('hex')).toBe(hex);
  });

  it.each([
    ['missing padding', 'AA'],
    ['padding where none belongs', 'AAAA===='],
    ['non-zero pad bits', 'AB=='],
    ['the URL-safe alphabet', '-_8='],
    ['a space', 'AA AA'],
    ['a newline', 'AAAA\n'],
    ['a stray character', 'AA*A'],
  ])('refuses %s', (_, s) => {
    expect(strictBase64(s)).toBeUndefined();
  });
});

describe('textProblem (c2sp.org/signed-note, Format)', () => {
  it.each(['', 'a\n', 'è 🌍 \u2014\n\n', '\u007f'])('accepts %p', (s) => {
    expect(textProblem(s)).toBeUndefined();
  });

  it.each([
    ['a\tb', 'control character U+0009 at offset 1'],
    ['ab\r\n', 'control character U+000d at offset 2'],
    ['\u0000', 'control character U+0000 at offset 0'],
    ['x\ud83c', 'unpaired surrogate (not UTF-8) U+d83c at offset 1'],
    ['\udf0dx', 'unpaired surrogate (not UTF-8) U+df0d at offset 0'],
  ])('names the first problem in %p', (s, problem) => {
    expect(textProblem(s)).toBe(problem);
  });
});

describe('isKeyName', () => {
  it.each(['example.com/log42', 'pixel6_transparency_log', 'è/🌍'])('accepts %p', (name) => {
    expect(isKeyName(name)).toBe(true);
  });

  it.each(['', 'a b', 'a+b', 'a\u00a0b', 'a\u2003b', 'a\u3000b', 'a\u0085b', 'a\u0001b', 'a\ud800'])(
    'refuses %p',
    (name) => {
      expect(isKeyName(name)).toBe(false);
    },
  );
});
