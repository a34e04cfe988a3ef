import vectors from '../../test/vectors/rfc8554-appendix-f.json';
import { rfc8554LeafIndices } from '../../test/hashsig/rfc8554-verify';
import { hex, toHex } from '../../test/support/bytes';
import { readU32, writeU32 } from './bytes';
import { HashsigMalformed } from './errors';
import {
  BoundedReader,
  encodeLmsPublicKey,
  hssSignatureIndexPath,
  parseHssPublicKey,
  parseHssSignature,
  readLmsPublicKey,
} from './rfc8554';
import { LmotsType, lmotsParams, lmsParams } from './rfc8554-params';

describe.each(vectors.cases)('RFC 8554 Appendix F, $name', (vector) => {
  const publicKey = hex(vector.publicKey);
  const signature = hex(vector.signature);
  // Offsets (§6.2, §5.4): Nspk; level 0's q at 4 and LM-OTS type at 8, then C, y[p], its LMS type
  // and path[h]; then level 1's public key (§5.3) and level 1's signature.
  const otsType0 = readU32(signature, 8);
  const lmsTypeAt = 12 + 32 + 32 * lmotsParams(otsType0).p;
  const pub1At = lmsTypeAt + 4 + 32 * lmsParams(readU32(signature, lmsTypeAt)).h;
  const q1At = pub1At + 56;
  const h1 = lmsParams(readU32(signature, pub1At)).h;

  function withU32(offset: number, value: number): Uint8Array {
    const copy = signature.slice();
    writeU32(copy, offset, value);
    return copy;
  }

  describe('parseHssSignature on the valid signature', () => {
    it('gives each level its leaf, as the RFC and the independent reader say, and its tree', () => {
      const parts = parseHssSignature(signature);
      expect(parts.signedPublicKeys).toHaveLength(vector.levels - 1);
      expect(parts.indexPath.map((l) => l.q)).toEqual(vector.q);
      expect(rfc8554LeafIndices(signature)).toEqual(vector.q);
      expect(parts.indexPath[0].I).toBeNull();
      expect(hssSignatureIndexPath(publicKey, signature)).toEqual([
        { I: publicKey.subarray(12, 28), q: vector.q[0] },
        { I: signature.subarray(pub1At + 8, pub1At + 24), q: vector.q[1] },
      ]);
    });

    it('reads level 1’s public key as the bytes it signed (encodeLmsPublicKey round trip)', () => {
      const [signed] = parseHssSignature(signature).signedPublicKeys;
      expect(toHex(encodeLmsPublicKey(signed.publicKey))).toBe(toHex(signature.subarray(pub1At, q1At)));
    });

    it('returns views into the input', () => {
      expect(parseHssSignature(signature).signature.path.buffer).toBe(signature.buffer);
    });
  });

  describe('parseHssSignature on malformed bytes', () => {
    it('refuses every truncation, from 0 bytes to one byte short, without reading past the end', () => {
      for (let length = 0; length < signature.length; length++) {
        expect(() => parseHssSignature(signature.subarray(0, length))).toThrow(HashsigMalformed);
      }
    });

    it.each([
      ['a trailing byte', () => new Uint8Array([...signature, 0]), /1 unexpected trailing bytes/],
      ['Nspk = 8 (L = 9)', () => withU32(0, 8), /Nspk = 8 exceeds 7/],
      ['Nspk = 2^32 − 1', () => withU32(0, 0xffffffff), /Nspk = 4294967295 exceeds 7/],
      ['LM-OTS type 0', () => withU32(8, 0), /unknown LM-OTS type 0/],
      ['LM-OTS type 5', () => withU32(8, 5), /unknown LM-OTS type 5/],
      ['LMS type 10', () => withU32(lmsTypeAt, 10), /unknown LMS type 10/],
      ['public key LMS type 4', () => withU32(pub1At, 4), /unknown LMS type 4/],
      [`bottom q = 2^h`, () => withU32(q1At, 2 ** h1), new RegExp(`q = ${2 ** h1} is not below 2\\^${h1}`)],
    ])('refuses %s, saying why', (_case, bytes, reason) => {
      expect(() => parseHssSignature(bytes())).toThrow(HashsigMalformed);
      expect(() => parseHssSignature(bytes())).toThrow(reason);
    });

    it('a valid signature that claims the other LM-OTS type is read with its lengths and refused', () => {
      const other = otsType0 === LmotsType.W8 ? LmotsType.W4 : LmotsType.W8;
      expect(() => parseHssSignature(withU32(8, other))).toThrow(HashsigMalformed);
    });
  });

  describe('the public key', () => {
    it('parses L and the top tree', () => {
      const pub = parseHssPublicKey(publicKey);
      expect(pub.levels).toBe(vector.levels);
      expect(toHex(pub.top.root)).toBe(vector.publicKey.slice(2 * 28));
    });

    it.each([
      ['L = 0', 0],
      ['L = 9', 9],
    ])('parseHssPublicKey refuses %s', (_case, L) => {
      const bad = publicKey.slice();
      writeU32(bad, 0, L);
      expect(() => parseHssPublicKey(bad)).toThrow(HashsigMalformed);
    });

    it('refuses a public key one byte short or long', () => {
      expect(() => parseHssPublicKey(publicKey.subarray(0, 59))).toThrow(/"T\[1\]" needs 32 bytes/);
      expect(() => parseHssPublicKey(new Uint8Array([...publicKey, 0]))).toThrow(
        /1 unexpected trailing bytes/,
      );
    });

    it('hssSignatureIndexPath refuses a key with another L', () => {
      const otherL = publicKey.slice();
      writeU32(otherL, 0, 3);
      expect(() => hssSignatureIndexPath(otherL, signature)).toThrow(/has 2 levels, the public key 3/);
    });
  });
});

describe('BoundedReader', () => {
  it('reads u32 and views, and names the field and offset when bytes run out', () => {
    const r = new BoundedReader(hex('0000000701020304'), 'thing');
    expect(r.u32('a')).toBe(7);
    expect(toHex(r.take('b', 3))).toBe('010203');
    expect(r.remaining).toBe(1);
    expect(() => r.take('c', 2)).toThrow('malformed thing: "c" needs 2 bytes at offset 7, only 1 remain');
    expect(() => r.end()).toThrow('malformed thing: 1 unexpected trailing bytes at offset 7');
  });

  it('readLmsPublicKey refuses an unknown LM-OTS type in a public key', () => {
    const pub = hex('00000005' + '00000009' + '00'.repeat(48));
    expect(() => readLmsPublicKey(new BoundedReader(pub, 'LMS public key'))).toThrow(/unknown LM-OTS type 9/);
  });
});
