import { createHash, randomBytes } from 'node:crypto';
import { lmotsPublicKey } from './lmots';
import { lmsAuthPath, lmsGenerateTree, lmsPublicKey, lmsSign, lmsVerify } from './lms';
import { LmotsType, LmsType } from '../../lib/rfc8554-params';

const I = randomBytes(16);
const SEED = randomBytes(32);

/** RFC 8554 §5.3 root computed directly from the LM-OTS public keys, by recursion. */
function referenceNode(h: number, r: number): Buffer {
  const u32 = (v: number): Buffer => Buffer.from([v >>> 24, v >>> 16, v >>> 8, v].map((b) => b & 0xff));
  if (r >= 2 ** h) {
    const K = lmotsPublicKey(LmotsType.W2, I, r - 2 ** h, SEED);
    return createHash('sha256')
      .update(Buffer.concat([I, u32(r), Buffer.from([0x82, 0x82]), K]))
      .digest();
  }
  const left = referenceNode(h, 2 * r);
  const right = referenceNode(h, 2 * r + 1);
  return createHash('sha256')
    .update(Buffer.concat([I, u32(r), Buffer.from([0x83, 0x83]), left, right]))
    .digest();
}

describe('an H5/W2 LMS tree', () => {
  const tree = lmsGenerateTree(LmsType.H5, LmotsType.W2, I, SEED);

  it('has the root of RFC 8554 §5.3', () => {
    expect(Buffer.from(tree.root)).toEqual(referenceNode(5, 1));
  });

  it('keeps every node: 2^(h+1)·32 bytes', () => {
    expect(tree.nodes.length).toBe(64 * 32);
    expect(Buffer.from(tree.nodes.subarray(32 * 37, 32 * 38))).toEqual(referenceNode(5, 37));
  });

  it('signs every leaf so that lmsVerify accepts it and rejects other messages', () => {
    const pub = lmsPublicKey(tree);
    for (let q = 0; q < 32; q++) {
      const sig = lmsSign(tree, q, Uint8Array.of(q), randomBytes(32));
      expect(lmsVerify(pub, Uint8Array.of(q), sig)).toBe(true);
      expect(lmsVerify(pub, Uint8Array.of(q + 1), sig)).toBe(false);
    }
  });
});

describe('a tree keeping fewer levels than its height (the H20/H25 layout)', () => {
  // The layout is the same at every height; H5 keeps the spec fast (H10 took a minute of CI).
  const full = lmsGenerateTree(LmsType.H5, LmotsType.W2, I, SEED);

  it.each([1, 2, 4])('with %i cached levels has the same root and authentication paths', (cached) => {
    const partial = lmsGenerateTree(LmsType.H5, LmotsType.W2, I, SEED, cached);
    expect(partial.root).toEqual(full.root);
    expect(partial.nodes.length).toBe(2 ** (cached + 1) * 32);
    for (const q of [0, 1, 2 ** (5 - cached) - 1, 2 ** (5 - cached), 17, 30, 31, 3]) {
      expect(lmsAuthPath(partial, q)).toEqual(lmsAuthPath(full, q));
    }
  });
});
