import { ArgumentError, HashsigUnsupportedType } from './errors';
import { hssSignatureLength, LmotsType, lmotsParams, LmsType, lmsParams } from './rfc8554-params';

describe('LM-OTS parameters (RFC 8554 §4.1)', () => {
  it.each(Object.entries(LmotsType))('%s has p and ls as computed by Appendix B', (_name, code) => {
    const { n, w, p, ls, sigLength } = lmotsParams(code);
    const u = Math.ceil((8 * n) / w);
    const v = Math.ceil((Math.floor(Math.log2((2 ** w - 1) * u)) + 1) / w);
    expect({ p, ls, sigLength }).toEqual({ p: u + v, ls: 16 - v * w, sigLength: 4 + n * (p + 1) });
  });

  it.each([0, 5, 0x0e000000, -1, 1.5])('refuses code %p with HashsigUnsupportedType', (code) => {
    expect(() => lmotsParams(code)).toThrow(HashsigUnsupportedType);
  });
});

describe('LMS parameters (RFC 8554 §5.1)', () => {
  it('maps codes 5..9 to heights 5..25', () => {
    expect(Object.values(LmsType).map((code) => lmsParams(code).h)).toEqual([5, 10, 15, 20, 25]);
  });

  it.each([0, 4, 10, 0x0e])('refuses code %p, naming the family and code', (code) => {
    expect(() => lmsParams(code)).toThrow(new HashsigUnsupportedType('lms', code, 'x').message.split(':')[0]);
  });
});

describe('HSS signature length (docs/libhal-rpc.md §7.1)', () => {
  it.each([
    [1, LmsType.H5, LmotsType.W4, 2352],
    [2, LmsType.H5, LmotsType.W2, 8980],
    [2, LmsType.H10, LmotsType.W4, 5076],
    [2, LmsType.H5, LmotsType.W1, 17428],
  ])('L%i, LMS %i, LM-OTS %i is %i bytes', (levels, lms, ots, length) => {
    expect(hssSignatureLength(levels, lms, ots)).toBe(length);
  });

  it.each([0, 9])('refuses L = %i', (levels) => {
    expect(() => hssSignatureLength(levels, LmsType.H5, LmotsType.W8)).toThrow(ArgumentError);
  });
});
