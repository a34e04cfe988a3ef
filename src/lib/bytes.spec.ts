import { thrown, toHex } from '../../test/support/bytes';
import { abytes, aint, concatBytes, equalBytes, readU32, u32str, writeU16, writeU32 } from './bytes';
import { ArgumentError } from './errors';

describe('abytes', () => {
  it('accepts a Uint8Array of any length, or of one of the lengths given', () => {
    expect(() => abytes(new Uint8Array(3), 'x')).not.toThrow();
    expect(() => abytes(Buffer.alloc(24), 'kek', 16, 24, 32)).not.toThrow();
  });

  it.each([
    [new Uint8Array(15), [16], '"I" expected 16 bytes, got 15'],
    [new Uint8Array(20), [16, 24, 32], '"I" expected 16 or 24 or 32 bytes, got 20'],
    [null, [], '"I" expected Uint8Array, got null'],
    ['abcd', [], '"I" expected Uint8Array, got string'],
    [[1, 2], [], '"I" expected Uint8Array, got object'],
  ])('refuses %p with a labelled ArgumentError', (value, lengths, message) => {
    const e = thrown(() => abytes(value, 'I', ...lengths));
    expect(e).toBeInstanceOf(ArgumentError);
    expect(e).toMatchObject({ message, field: 'I', type: 'bad-arguments', halStatus: 1 });
  });
});

describe('aint', () => {
  it.each([0, 7, 0xffffffff])('accepts %p in [0, 2^32 − 1]', (n) => {
    expect(() => aint(n, 'q', 0, 0xffffffff)).not.toThrow();
  });

  it.each([
    [-1, '"q" expected an integer in [0, 31], got -1'],
    [32, '"q" expected an integer in [0, 31], got 32'],
    [1.5, '"q" expected an integer in [0, 31], got 1.5'],
    [NaN, '"q" expected an integer in [0, 31], got NaN'],
    ['3', '"q" expected an integer in [0, 31], got string'],
  ])('refuses %p', (value, message) => {
    expect(thrown(() => aint(value, 'q', 0, 31))).toMatchObject({ message, field: 'q' });
  });

  it('refuses integers past 2^53, which a double cannot count exactly', () => {
    expect(thrown(() => aint(2 ** 53, 'q', 0, 2 ** 60))).toBeInstanceOf(ArgumentError);
  });
});

describe('byte helpers', () => {
  it('concatBytes joins into a fresh array', () => {
    const a = Uint8Array.of(1, 2);
    const out = concatBytes(a, new Uint8Array(0), Uint8Array.of(3));
    expect(toHex(out)).toBe('010203');
    expect(out.buffer).not.toBe(a.buffer);
  });

  it('equalBytes compares contents, and different lengths are unequal', () => {
    expect(equalBytes(Uint8Array.of(1, 2), Buffer.from([1, 2]))).toBe(true);
    expect(equalBytes(Uint8Array.of(1, 2), Uint8Array.of(1, 3))).toBe(false);
    expect(equalBytes(Uint8Array.of(1, 2), Uint8Array.of(1, 2, 0))).toBe(false);
  });

  it('writes and reads big-endian u32 and u16 (RFC 8554 §3.1.3)', () => {
    const b = new Uint8Array(6);
    writeU32(b, 0, 0x01020304);
    writeU16(b, 4, 0x8182);
    expect(toHex(b)).toBe('010203048182');
    expect(readU32(b, 0)).toBe(0x01020304);
    expect(readU32(Uint8Array.of(0xff, 0xff, 0xff, 0xff), 0)).toBe(0xffffffff);
  });

  it('u32str encodes 0 … 2^32 − 1 and refuses anything else', () => {
    expect(toHex(u32str(0))).toBe('00000000');
    expect(toHex(u32str(0xffffffff))).toBe('ffffffff');
    expect(thrown(() => u32str(2 ** 32))).toBeInstanceOf(ArgumentError);
    expect(thrown(() => u32str(-1))).toBeInstanceOf(ArgumentError);
  });
});
