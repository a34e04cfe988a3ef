import { generateKeyPairSync, sign, verify } from 'node:crypto';
import rfc6979 from '../../test/vectors/rfc6979-ecdsa.json';
import { hex, thrown, toHex } from '../../test/support/bytes';
import { ArgumentError, DerError } from '../lib/errors';
import { buildEcSpki } from '../lib/spki';
import { derToP1363, p1363ToDer } from './ecdsa-signature';

const N = 'ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551';
const N_MINUS_1 = 'ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632550';
const ONE = '00'.repeat(31) + '01';
const ZERO = '00'.repeat(32);
const HIGH = '80' + '00'.repeat(31);

describe('RFC 6979 §A.2.5 P-256 signatures (test/vectors/rfc6979-ecdsa.json) as DER', () => {
  it.each(rfc6979.cases.filter((c) => c.curve === 'P-256'))('$name', (c) => {
    const spki = Buffer.from(buildEcSpki({ curve: 'P-256', point: hex(c.point) }));
    const derSig = p1363ToDer(hex(c.signature));
    const key = { key: spki, format: 'der', type: 'spki' } as const;
    expect(verify('sha256', Buffer.from(c.message), key, derSig)).toBe(true);
    expect(toHex(derToP1363(derSig))).toBe(c.signature);
  });
});

describe('against node:crypto', () => {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });

  it('reads 200 of its DER signatures to r ‖ s it accepts, and writes them back byte for byte', () => {
    for (let i = 0; i < 200; i++) {
      const message = Buffer.from(`message ${i}`);
      const derSig = sign('sha256', message, privateKey);
      const raw = derToP1363(derSig);
      expect(verify('sha256', message, { key: publicKey, dsaEncoding: 'ieee-p1363' }, raw)).toBe(true);
      expect(toHex(p1363ToDer(raw))).toBe(toHex(derSig));
    }
  });
});

describe('encodings at the edges of the range', () => {
  it.each([
    ['r = 1, s = n − 1', ONE + N_MINUS_1, `3026020101022100${N_MINUS_1}`],
    ['a high bit takes a sign octet', HIGH + ONE, `302602210080${'00'.repeat(31)}020101`],
    [
      'leading zero octets are dropped',
      '00007f' + '11'.repeat(29) + ONE,
      `3023021e7f${'11'.repeat(29)}020101`,
    ],
  ])('%s', (_, raw, derHex) => {
    expect(toHex(p1363ToDer(hex(raw)))).toBe(derHex);
    expect(toHex(derToP1363(hex(derHex)))).toBe(raw);
  });
});

describe('refusals', () => {
  it.each([
    ['63 bytes', '11'.repeat(63), '"signature" expected 64 bytes, got 63'],
    ['65 bytes', '11'.repeat(65), '"signature" expected 64 bytes, got 65'],
    ['r = 0', ZERO + ONE, '"signature r" expected an integer in [1, n − 1] of P-256'],
    ['s = n', ONE + N, '"signature s" expected an integer in [1, n − 1] of P-256'],
  ])('raw %s: a labelled ArgumentError', (_, raw, message) => {
    const e = thrown(() => p1363ToDer(hex(raw)));
    expect(e).toBeInstanceOf(ArgumentError);
    expect(e).toMatchObject({ message });
  });

  it.each([
    ['trailing bytes after the SEQUENCE', '3006020101020101' + '00', 'unexpected trailing bytes'],
    ['a third INTEGER', '3009020101020101020101', 'unexpected trailing bytes'],
    ['a non-minimal INTEGER', '300702020001020101', 'non-minimal INTEGER'],
    ['a negative INTEGER', '3006020181020101', 'negative INTEGER'],
    ['r = 0', '3006020100020101', 'Ecdsa-Sig-Value r is not in [1, n − 1]'],
    ['s = n', `3026020101022100${N}`, 'Ecdsa-Sig-Value s is not in [1, n − 1]'],
    [
      'r of 33 significant bytes',
      `3026022101${'00'.repeat(32)}020101`,
      'Ecdsa-Sig-Value r is not in [1, n − 1]',
    ],
    ['a long-form length for a short SEQUENCE', '308106020101020101', 'non-minimal length'],
    ['an OCTET STRING for r', '3006040101020101', 'expected tag 0x02'],
    ['a SET, not a SEQUENCE', '3106020101020101', 'expected tag 0x30'],
    ['73 bytes', '30' + '47' + '11'.repeat(71), 'exceed the 72 of P-256'],
    ['nothing', '', 'expected tag 0x30, found end of data'],
  ])('DER with %s: a DerError', (_, derHex, part) => {
    const e = thrown(() => derToP1363(hex(derHex)));
    expect(e).toBeInstanceOf(DerError);
    expect((e as Error).message).toContain(part);
  });
});
