import { randomBytes } from 'node:crypto';
import { writeU32 } from '../../lib/bytes';
import { HashsigMalformed } from '../../lib/errors';
import { hssGenerateKey, hssPublicKey, hssSign } from './hss';
import { hssSignatureIndexPath, parseHssPublicKey, parseHssSignature } from '../../lib/rfc8554';
import { hssVerify } from './hss-verify';
import { LmotsType, LmsType } from '../../lib/rfc8554-params';

const rng = (n: number): Uint8Array => new Uint8Array(randomBytes(n));
const key = hssGenerateKey(
  { levels: 2, lmsType: LmsType.H5, lmotsType: LmotsType.W4 },
  { I: rng(16), SEED: rng(32) },
  rng,
);
const publicKey = hssPublicKey(key.state);
const message = new TextEncoder().encode('parse me');
const { signature } = hssSign(key, message, rng);
// Offsets in an L2/H5/W4 signature: Nspk, then level 0's q at 4, its LM-OTS type at 8, LMS type
// at 12 + 2180, level 1's public key at 16 + 2180 + 160, level 1's signature after that.
const lmsSig = 4 + 2180 + 4 + 160;
const at = { lmotsType0: 8, lmsType0: 8 + 2180, pub1: 4 + lmsSig, q1: 4 + lmsSig + 56 };

function withU32(offset: number, value: number): Uint8Array {
  const copy = signature.slice();
  writeU32(copy, offset, value);
  return copy;
}

describe('parseHssSignature on a valid L2/H5/W4 signature', () => {
  it('gives each level its leaf and tree: top leaf 0 (signed level 1), bottom leaf 0', () => {
    const parts = parseHssSignature(signature);
    expect(parts.signedPublicKeys).toHaveLength(1);
    expect(parts.indexPath.map((l) => l.q)).toEqual([0, 0]);
    expect(parts.indexPath[0].I).toBeNull();
    expect(parts.indexPath[1].I).toEqual(key.state.lower[0].I);
    expect(hssSignatureIndexPath(publicKey, signature)).toEqual([
      { I: key.state.top.I, q: 0 },
      { I: key.state.lower[0].I, q: 0 },
    ]);
  });
});

describe('parseHssSignature on malformed bytes', () => {
  it('refuses every truncation, from 0 bytes to one byte short, without reading past the end', () => {
    for (let length = 0; length < signature.length; length++) {
      expect(() => parseHssSignature(signature.subarray(0, length))).toThrow(HashsigMalformed);
    }
  });

  it.each([
    ['a trailing byte', new Uint8Array([...signature, 0]), /1 unexpected trailing bytes/],
    ['Nspk = 8 (L = 9)', withU32(0, 8), /Nspk = 8 exceeds 7/],
    ['Nspk = 2^32 − 1', withU32(0, 0xffffffff), /Nspk = 4294967295 exceeds 7/],
    ['LM-OTS type 0', withU32(at.lmotsType0, 0), /unknown LM-OTS type 0/],
    ['LM-OTS type 5', withU32(at.lmotsType0, 5), /unknown LM-OTS type 5/],
    ['LMS type 10', withU32(at.lmsType0, 10), /unknown LMS type 10/],
    ['public key LMS type 4', withU32(at.pub1, 4), /unknown LMS type 4/],
    ['bottom q = 32 in an H5 tree', withU32(at.q1, 32), /q = 32 is not below 2\^5/],
  ])('refuses %s, saying why', (_case, bytes, reason) => {
    expect(() => parseHssSignature(bytes)).toThrow(HashsigMalformed);
    expect(() => parseHssSignature(bytes)).toThrow(reason);
    expect(hssVerify(publicKey, message, bytes)).toBe(false);
  });

  it('a valid W4 signature that claims W8 is read with W8 lengths and refused at its end', () => {
    expect(() => parseHssSignature(withU32(at.lmotsType0, LmotsType.W8))).toThrow(HashsigMalformed);
  });
});

describe('hssVerify and the public key', () => {
  it('accepts the signature and rejects it under a key with another L', () => {
    expect(hssVerify(publicKey, message, signature)).toBe(true);
    const otherL = publicKey.slice();
    writeU32(otherL, 0, 3);
    expect(hssVerify(otherL, message, signature)).toBe(false);
    expect(() => hssSignatureIndexPath(otherL, signature)).toThrow(/has 2 levels, the public key 3/);
  });

  it.each([
    ['L = 0', 0],
    ['L = 9', 9],
  ])('parseHssPublicKey refuses %s', (_case, L) => {
    const bad = publicKey.slice();
    writeU32(bad, 0, L);
    expect(() => parseHssPublicKey(bad)).toThrow(HashsigMalformed);
    expect(hssVerify(bad, message, signature)).toBe(false);
  });

  it('refuses a public key one byte short or long', () => {
    expect(hssVerify(publicKey.subarray(0, 59), message, signature)).toBe(false);
    expect(hssVerify(new Uint8Array([...publicKey, 0]), message, signature)).toBe(false);
  });
});
