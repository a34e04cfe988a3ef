import * as asn1js from 'asn1js';
import fc from 'fast-check';
import prefixes from '../../test/vectors/rfc8017-digestinfo-prefixes.json';
import { hex, thrown, toHex } from '../../test/support/bytes';
import { DerReader, MAX_DER_BYTES, Tag, der, encodeDer } from './der';
import { DerError } from './errors';
import { EC_CURVES, OID } from './spki';

const reader = (h: string): DerReader => DerReader.of(hex(h));

function derError(fn: () => unknown): DerError {
  const e = thrown(fn);
  if (!(e instanceof DerError)) throw new Error(`expected DerError, got ${String(e)}`);
  return e;
}

describe('DER reader', () => {
  describe('lengths (X.690 §10.1)', () => {
    it.each([
      ['indefinite length on a primitive', '0480', /x:/],
      ['non-minimal long form for a short length', '0481050000000000', /non-minimal length/],
      ['long form with a leading zero octet', '0482008000', /x:/],
      [
        'long form with a leading zero octet, content present',
        '048200' + '80' + '00'.repeat(128),
        /non-minimal length/,
      ],
      ['five length octets', '04850000000001', /x:/],
      ['five length octets, content present', '0485000000000100', /non-minimal length/],
      ['length past the end', '040500', /x:/],
      ['missing length', '04', /x:/],
      ['truncated long-form length', '0482ff', /x:/],
    ])('rejects %s', (_label, h, reason) => {
      expect(derError(() => reader(h).read(Tag.OCTET_STRING, 'x')).message).toMatch(reason);
    });

    it('rejects an indefinite-length SEQUENCE, with or without end-of-contents, which asn1js accepts', () => {
      expect(derError(() => reader('3080').sequence('s')).message).toMatch(/indefinite length is not DER/);
      expect(asn1js.fromBER(hex('3080020100' + '0000')).offset).toBe(7);
      expect(derError(() => reader('3080020100' + '0000').sequence('s')).message).toMatch(/indefinite/);
    });

    it('accepts the 128-byte boundary in long form', () => {
      const body = '00'.repeat(128);
      expect(reader('048180' + body).read(Tag.OCTET_STRING, 'x').length).toBe(128);
    });

    it('never reads past an inner container, even where asn1js does', () => {
      // SEQUENCE of 2 holding an OCTET STRING claiming 3: asn1js reads the 3 bytes after the SEQUENCE.
      expect(asn1js.fromBER(hex('30020403aabbcc')).offset).toBe(7);
      expect(derError(() => reader('30020403aabbcc').sequence('outer')).message).toMatch(/runs past the end/);
      // One level down: the OCTET STRING at 4 claims 3 of the inner SEQUENCE's 2 bytes.
      expect(asn1js.fromBER(hex('3006' + '3002' + '0403010203')).offset).toBe(9);
      expect(derError(() => reader('3006' + '3002' + '0403010203').sequence('outer')).offset).toBe(4);
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

    it('rejects BER forms: a constructed OCTET STRING and a multi-octet tag', () => {
      expect(derError(() => reader('2404040201ff').read(Tag.OCTET_STRING, 'x')).message).toMatch(
        /expected tag 0x04, found 0x24/,
      );
      expect(derError(() => reader('3004' + '1f020100').sequence('s')).message).toMatch(/multi-octet tag/);
    });

    it('rejects inputs over MAX_DER_BYTES and nesting deeper than our structures', () => {
      expect(derError(() => DerReader.of(new Uint8Array(MAX_DER_BYTES + 1))).message).toMatch(/exceed/);
      const deep = Array.from({ length: 40 }).reduce<string>((inner) => seq(inner), '');
      expect(derError(() => reader(deep).sequence('s'))).toBeInstanceOf(DerError);
    });

    it('reads any bytes in an OCTET or BIT STRING raw, whatever asn1js makes of them', () => {
      // asn1js decodes every string's content on speculation (e.g. 2c… as a constructed UTF8String).
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 60 }), (content) => {
          const r = DerReader.of(encodeDer(der.seq(der.octets(content), der.bits(content)))).sequence('s');
          expect(toHex(r.read(Tag.OCTET_STRING, 'o'))).toBe(toHex(content));
          expect(toHex(r.enterBitString('b').rest())).toBe(toHex(content));
          r.finish('s');
        }),
        { numRuns: 20000, seed: 690 },
      );
      const asText = reader('3009' + '0402' + '2c00' + '0303002c00').sequence('s');
      expect(toHex(asText.read(Tag.OCTET_STRING, 'o'))).toBe('2c00');
      expect(toHex(asText.enterBitString('b').rest())).toBe('2c00');
    });

    it('reads DER inside an OCTET STRING the same whether asn1js decoded it already or not', () => {
      const inner = '3003020107';
      for (const h of ['0405' + inner, '0406' + inner + '00']) {
        const r = reader(h).enter(Tag.OCTET_STRING, 'o').sequence('inner');
        expect(r.u32('n')).toBe(7);
      }
      const trailing = reader('0406' + inner + '00').enter(Tag.OCTET_STRING, 'o');
      trailing.sequence('inner');
      expect(derError(() => trailing.finish('o')).message).toMatch(/1 unexpected trailing bytes/);
    });

    it('returns views into the input, not into the copy asn1js decodes', () => {
      const input = hex('3005' + '0403aabbcc');
      const value = DerReader.of(input).sequence('s').read(Tag.OCTET_STRING, 'x');
      expect(value.buffer).toBe(input.buffer);
      input.fill(0);
      expect(toHex(value)).toBe('000000');
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
      ['a non-minimal arc', '06032a8001', /non-minimal OID arc/],
      ['a truncated arc', '06022a86', /o:/],
      ['an empty OID', '0600', /empty OBJECT IDENTIFIER/],
      ['an arc asn1js can only show as hex', '060b2aff' + 'ffffffffffffffff7f', /OID arc too large/],
      ['an arc of 8 octets', '06092a' + '8180808080808000', /OID arc too large/],
    ])('OBJECT IDENTIFIER: rejects %s', (_label, h, reason) => {
      expect(derError(() => reader(h).oid('o')).message).toMatch(reason);
    });

    it('OBJECT IDENTIFIER: reads an arc of 7 octets (2^49 − 1), the largest, exactly', () => {
      expect(reader('06082a' + 'ffffffffffff7f').oid('o')).toBe(`1.2.${2 ** 49 - 1}`);
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

  it.each([
    [0, 2],
    [1, 2],
    [127, 2],
    [128, 3],
    [255, 3],
    [256, 4],
    [65535, 4],
    [65536, 5],
  ])('encodes a %i-byte OCTET STRING header minimally (%i bytes)', (len, header) => {
    const out = encodeDer(der.octets(new Uint8Array(len)));
    expect(out.length).toBe(header + len);
    const parsed = asn1js.fromBER(out);
    expect(parsed.offset).toBe(out.length);
    expect(toHex(new Uint8Array(parsed.result.toBER(false)))).toBe(toHex(out));
  });

  it.each([0, 1, 127, 128, 255, 256, 65530])('reads a %i-byte OCTET STRING back', (len) => {
    const out = encodeDer(der.octets(new Uint8Array(len).fill(7)));
    expect(toHex(DerReader.of(out).read(Tag.OCTET_STRING, 'x'))).toBe('07'.repeat(len));
  });

  it('refuses to read a 65536-byte OCTET STRING: the input exceeds MAX_DER_BYTES', () => {
    const out = encodeDer(der.octets(new Uint8Array(65536)));
    expect(out.length).toBeGreaterThan(MAX_DER_BYTES);
    expect(derError(() => DerReader.of(out)).message).toMatch(/65541 bytes exceed the 65536-byte limit/);
  });

  const oids = [...Object.values(OID), ...Object.values(EC_CURVES).map((c) => c.oid), '2.999.1234567'];
  it.each(oids)('OID %s encodes as asn1js does and reads back', (oid) => {
    const ours = encodeDer(der.oid(oid));
    const theirs = new Uint8Array(new asn1js.ObjectIdentifier({ value: oid }).toBER(false));
    expect(toHex(ours)).toBe(toHex(theirs));
    expect(DerReader.of(ours).oid('o')).toBe(oid);
  });

  it.each(prefixes.cases)(
    '$name AlgorithmIdentifier of RFC 8017 §9.2 note 1 reads and re-encodes',
    ({ prefix }) => {
      // prefix = 30 L <AlgorithmIdentifier> 04 len
      const algorithmIdentifier = hex(prefix.slice(4, -4));
      const r = DerReader.of(algorithmIdentifier).sequence('alg');
      const oid = r.oid('oid');
      r.null('parameters');
      r.finish('alg');
      expect(toHex(encodeDer(der.seq(der.oid(oid), der.null())))).toBe(toHex(algorithmIdentifier));
    },
  );

  it('refuses an OID that is not dotted decimal', () => {
    expect(thrown(() => der.oid('1.2.x'))).toMatchObject({ type: 'bad-arguments', halStatus: 1 });
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

function seq(inner: string): string {
  const len = inner.length / 2;
  return (
    '30' + (len < 128 ? len.toString(16).padStart(2, '0') : '81' + len.toString(16).padStart(2, '0')) + inner
  );
}
