import * as asn1js from 'asn1js';
import { hex, thrown, toHex } from '../../../test/soft-hsm/crypto/support';
import { DerReader, Tag, der, encodeDer } from './asn1';
import { OID, EC_CURVES } from './der';
import { DIGESTS } from './digest';
import { DerError } from './errors';

const reader = (h: string): DerReader => DerReader.of(hex(h));

function derError(fn: () => unknown): DerError {
  const e = thrown(fn);
  if (!(e instanceof DerError)) throw new Error(`expected DerError, got ${String(e)}`);
  return e;
}

describe('DER reader', () => {
  describe('lengths (X.690 §10.1)', () => {
    it.each([
      ['indefinite length', '3080'],
      ['non-minimal long form for a short length', '0481050000000000'],
      ['long form with a leading zero octet', '0482008000'],
      ['five length octets', '04850000000001'],
      ['length past the end', '040500'],
      ['missing length', '04'],
      ['truncated long-form length', '0482ff'],
    ])('rejects %s', (_label, h) => {
      expect(derError(() => reader(h).read(Tag.OCTET_STRING, 'x'))).toBeInstanceOf(DerError);
    });

    it('accepts the 128-byte boundary in long form', () => {
      const body = '00'.repeat(128);
      expect(reader('048180' + body).read(Tag.OCTET_STRING, 'x').length).toBe(128);
    });

    it('never reads past an inner container even if the outer has more bytes', () => {
      // SEQUENCE of 2 holding an OCTET STRING claiming 3, followed by bytes outside the SEQUENCE.
      const r = reader('30020403aabbcc').sequence('outer');
      expect(derError(() => r.read(Tag.OCTET_STRING, 'inner')).message).toMatch(/runs past the end/);
    });

    it('reports the offset of the problem', () => {
      const top = reader('3003020100ff');
      top.sequence('s');
      expect(derError(() => top.finish('s')).offset).toBe(5);
      const r = reader('3003020100').sequence('s');
      r.uint('a');
      expect(derError(() => r.uint('b')).offset).toBe(5);
    });

    it('rejects a wrong tag with both tags named', () => {
      expect(derError(() => reader('0400').uint('n')).message).toMatch(/expected tag 0x02, found 0x04/);
    });
  });

  describe('INTEGER', () => {
    it.each([
      ['0', '020100', '00'],
      ['127', '02017f', '7f'],
      ['128', '02020080', '80'],
      ['2^32−1', '020500ffffffff', 'ffffffff'],
    ])('reads %s', (_label, h, magnitude) => {
      const m = reader(h).uint('n');
      expect(toHex(m)).toBe(magnitude);
    });

    it.each([
      ['empty', '0200'],
      ['negative', '020180'],
      ['redundant leading zero', '02020001'],
    ])('rejects %s', (_label, h) => {
      expect(derError(() => reader(h).uint('n')).message).toMatch(/INTEGER/);
    });

    it('u32 accepts 2^32−1 and rejects 2^32', () => {
      expect(reader('020500ffffffff').u32('n')).toBe(0xffffffff);
      expect(derError(() => reader('02050100000000').u32('n')).message).toMatch(/32 bits/);
    });
  });

  describe('other primitives', () => {
    it('NULL must be empty', () => {
      expect(() => reader('0500').null('p')).not.toThrow();
      expect(derError(() => reader('050100').null('p')).message).toMatch(/NULL/);
    });

    it('BIT STRING must have zero unused bits', () => {
      expect(toHex(reader('030300abcd').enterBitString('b').rest())).toBe('abcd');
      expect(derError(() => reader('030301abcd').enterBitString('b')).message).toMatch(/unused bits/);
      expect(derError(() => reader('0300').enterBitString('b')).message).toMatch(/unused bits/);
    });

    it.each([
      ['a non-minimal arc', '06032a8001'],
      ['a truncated arc', '06022a86'],
      ['an empty OID', '0600'],
    ])('OBJECT IDENTIFIER: rejects %s', (_label, h) => {
      expect(thrown(() => reader(h).oid('o'))).toBeInstanceOf(DerError);
    });

    it('finish() rejects trailing bytes', () => {
      const r = reader('0500ff');
      r.null('p');
      expect(derError(() => r.finish('thing')).message).toMatch(/1 unexpected trailing bytes/);
    });
  });
});

describe('DER writer', () => {
  it.each([
    [0, '020100'],
    [0x7f, '02017f'],
    [0x80, '02020080'],
    [0x100, '02020100'],
    [0xffffffff, '020500ffffffff'],
  ])('u32(%i) is minimal DER', (n, h) => {
    expect(toHex(encodeDer(der.u32(n)))).toBe(h);
  });

  it('uint() drops leading zeros without copying and adds the sign octet when needed', () => {
    expect(toHex(encodeDer(der.uint(hex('0000ff'))))).toBe('020200ff');
    expect(toHex(encodeDer(der.uint(hex('000001'))))).toBe('020101');
    expect(toHex(encodeDer(der.uint(new Uint8Array(0))))).toBe('020100');
  });

  it.each([0, 1, 127, 128, 255, 256, 65535, 65536])(
    'encodes a %i-byte OCTET STRING header minimally',
    (len) => {
      const out = encodeDer(der.octets(new Uint8Array(len)));
      expect(DerReader.of(out).read(Tag.OCTET_STRING, 'x').length).toBe(len);
      const parsed = asn1js.fromBER(out);
      expect(parsed.offset).toBe(out.length);
      expect(toHex(new Uint8Array(parsed.result.toBER(false)))).toBe(toHex(out));
    },
  );

  const oids = [
    ...Object.values(OID),
    ...Object.values(EC_CURVES).map((c) => c.oid),
    ...DIGESTS.map((d) => d.oid),
    '2.999.1234567',
  ];
  it.each(oids)('OID %s encodes as asn1js does and reads back', (oid) => {
    const ours = encodeDer(der.oid(oid));
    const theirs = new Uint8Array(new asn1js.ObjectIdentifier({ value: oid }).toBER(false));
    expect(toHex(ours)).toBe(toHex(theirs));
    expect(DerReader.of(ours).oid('o')).toBe(oid);
  });

  it('nested structures re-encode identically through asn1js', () => {
    const tree = der.seq(
      der.u32(0),
      der.seq(der.oid(OID.ecPublicKey), der.oid(EC_CURVES['P-256'].oid)),
      der.octetsOf(
        der.seq(der.u32(1), der.octets(new Uint8Array(200).fill(3)), der.ctx1(der.bits(hex('04aabb')))),
      ),
      der.bitsOf(der.seq(der.uint(hex('80')), der.null())),
    );
    const out = encodeDer(tree);
    const parsed = asn1js.fromBER(out);
    expect(parsed.offset).toBe(out.length);
    expect(toHex(new Uint8Array(parsed.result.toBER(false)))).toBe(toHex(out));
  });
});
