import { createHash } from 'node:crypto';
import vectors from '../../test/vectors/rfc6962-merkle.json';
import probes from '../../test/vectors/rfc6962-merkle-probes.json';
import { hex, thrown } from '../../test/support/bytes';
import { ArgumentError } from '../lib/errors';
import { leafHash, MerkleTree } from './merkle';
import { verifyConsistency, verifyInclusion } from './proofs';

const leaves = vectors.leaves.map(hex);
const rootAt = (size: number): Uint8Array => hex(vectors.roots[size].root);

/** The JSON keeps sizes beyond 2^53 − 1 as strings: such a caller has a bug, not a proof. */
const tooBig = (...ns: (number | string)[]): boolean => ns.some((n) => typeof n === 'string');
const num = (n: number | string): number => Number(n);

/** A copy of `bytes` with one bit flipped. */
function flipped(bytes: Uint8Array, bit: number): Uint8Array {
  const out = Uint8Array.from(bytes);
  out[bit >> 3] ^= 1 << (bit & 7);
  return out;
}

describe('published proofs of the 8-leaf tree verify (test/vectors/rfc6962-merkle.json)', () => {
  it.each(vectors.inclusion)('$label', ({ index, size, proof }) => {
    expect(verifyInclusion(leafHash(leaves[index]), index, size, proof.map(hex), rootAt(size))).toBe(true);
  });

  it.each(vectors.consistency)('$label', ({ size1, size2, proof }) => {
    expect(verifyConsistency(size1, size2, proof.map(hex), rootAt(size1), rootAt(size2))).toBe(true);
  });
});

describe('transparency-dev/merkle inclusion probes (test/vectors/rfc6962-merkle-probes.json)', () => {
  it.each(probes.inclusion)('$label → valid: $valid', (p) => {
    const call = (): boolean =>
      verifyInclusion(hex(p.leafHash), num(p.index), num(p.size), p.proof.map(hex), hex(p.root));
    if (tooBig(p.index, p.size)) expect(thrown(call)).toBeInstanceOf(ArgumentError);
    else expect(call()).toBe(p.valid);
  });
});

describe('transparency-dev/merkle consistency probes (test/vectors/rfc6962-merkle-probes.json)', () => {
  it.each(probes.consistency)('$label → valid: $valid', (p) => {
    const call = (): boolean =>
      verifyConsistency(num(p.size1), num(p.size2), p.proof.map(hex), hex(p.root1), hex(p.root2));
    if (tooBig(p.size1, p.size2)) expect(thrown(call)).toBeInstanceOf(ArgumentError);
    else expect(call()).toBe(p.valid);
  });
});

describe('every proof of the trees up to 70 leaves', () => {
  const tree = new MerkleTree();
  for (let i = 0; i < 70; i++) tree.append(createHash('sha256').update(`event ${i}`).digest());
  const leafHashes = Array.from({ length: 70 }, (_, i) =>
    leafHash(createHash('sha256').update(`event ${i}`).digest()),
  );

  it('verifies each inclusion proof, and fails it with the root, leaf, index, length or an entry changed', () => {
    for (let size = 1; size <= 70; size++) {
      const root = tree.root(size);
      for (let index = 0; index < size; index++) {
        const proof = tree.inclusionProof(index, size);
        const ok = (
          p: readonly Uint8Array[],
          i = index,
          s = size,
          r: Uint8Array = root,
          l: Uint8Array = leafHashes[index],
        ) => verifyInclusion(l, i, s, p, r);
        const where = `leaf ${index} of ${size}`;
        expect([where, ok(proof)]).toEqual([where, true]);
        // Not size + 1: a proof binds no tree size (see below); the signed checkpoint does.
        const wrong = [
          ok(proof, index, size, flipped(root, 255)),
          ok(proof, index, size, root, flipped(leafHashes[index], 0)),
          ok([...proof, root]),
          ok(proof, index + 1),
          ok(proof, index, size, tree.root(size - 1)),
          ...(proof.length > 0 ? [ok(proof.slice(1)), ok(proof.slice(0, -1))] : []),
          ...(index > 0 ? [ok(proof, index - 1)] : []),
          ...(proof.length > 0
            ? [ok(proof.map((h, j) => (j === index % proof.length ? flipped(h, index) : h)))]
            : []),
        ];
        expect([where, wrong.filter(Boolean).length]).toEqual([where, 0]);
      }
    }
  });

  it('verifies each consistency proof, and fails it with a root, size, length or an entry changed', () => {
    for (let size2 = 1; size2 <= 70; size2++) {
      for (let size1 = 1; size1 <= size2; size1++) {
        const [root1, root2] = [tree.root(size1), tree.root(size2)];
        const proof = tree.consistencyProof(size1, size2);
        const ok = (
          p: readonly Uint8Array[],
          m = size1,
          n = size2,
          r1: Uint8Array = root1,
          r2: Uint8Array = root2,
        ) => verifyConsistency(m, n, p, r1, r2);
        const where = `${size1} → ${size2}`;
        expect([where, ok(proof)]).toEqual([where, true]);
        const wrong = [
          ok(proof, size1, size2, flipped(root1, 3)),
          ok(proof, size1, size2, root1, flipped(root2, 100)),
          ok([...proof, root2]),
          ok([root1, ...proof]),
          ...(size1 > 1 ? [ok(proof, size1 - 1)] : []),
          ...(size1 < size2
            ? [
                ok(proof.slice(1)),
                ok(proof.slice(0, -1)),
                ok(proof, size1 + 1),
                ok(proof, size1, size2, root2, root1),
              ]
            : []),
          ...(proof.length > 0
            ? [ok(proof.map((h, j) => (j === size1 % proof.length ? flipped(h, size2) : h)))]
            : []),
        ];
        expect([where, wrong.filter(Boolean).length]).toEqual([where, 0]);
      }
    }
  });
});

describe('what a proof does not prove', () => {
  // The 3-leaf tree's root, with its own proofs, passes for a 4-leaf tree whose right subtree hash
  // would be leaf 2's hash: no such tree exists (leaf and node hashes are domain-separated), but
  // nothing in the proof says so. The size is authenticated by the signed checkpoint, next to the root.
  const [root3, l1, l2] = [rootAt(3), leafHash(leaves[1]), leafHash(leaves[2])];

  it('binds no tree size by itself: a 3-leaf root verifies as a 4-leaf root', () => {
    expect(verifyInclusion(leafHash(leaves[0]), 0, 4, [l1, l2], root3)).toBe(true);
    expect(verifyConsistency(1, 4, [l1, l2], rootAt(1), root3)).toBe(true);
  });
});

describe('malformed values are false, not exceptions', () => {
  const root8 = rootAt(8);
  const proof08 = vectors.inclusion[1].proof.map(hex);
  const leaf0 = leafHash(leaves[0]);

  it.each([
    ['index = size', () => verifyInclusion(leaf0, 8, 8, proof08, root8)],
    ['size 0', () => verifyInclusion(leaf0, 0, 0, [], hex(vectors.roots[0].root))],
    ['a 31-byte leaf hash', () => verifyInclusion(leaf0.subarray(1), 0, 8, proof08, root8)],
    [
      'a 33-byte proof entry',
      () => verifyInclusion(leaf0, 0, 8, [...proof08.slice(0, 2), new Uint8Array(33)], root8),
    ],
    ['an empty root', () => verifyInclusion(leaf0, 0, 8, proof08, new Uint8Array(0))],
    ['a proof of 1000 entries', () => verifyInclusion(leaf0, 0, 8, Array(1000).fill(leaf0), root8)],
    ['size1 = 0', () => verifyConsistency(0, 8, [], hex(vectors.roots[0].root), root8)],
    ['size1 > size2', () => verifyConsistency(8, 7, [], root8, rootAt(7))],
    ['equal sizes and roots, with a proof', () => verifyConsistency(8, 8, [root8], root8, root8)],
    ['equal sizes, other roots', () => verifyConsistency(8, 8, [], root8, rootAt(7))],
    ['different sizes, empty proof', () => verifyConsistency(4, 8, [], rootAt(4), root8)],
    ['a 31-byte root', () => verifyConsistency(8, 8, [], root8.subarray(1), root8.subarray(1))],
  ])('%s', (_, call) => {
    expect(call()).toBe(false);
  });

  it('handles sizes up to 2^53 − 1 without running away', () => {
    const big = Number.MAX_SAFE_INTEGER;
    expect(verifyInclusion(leaf0, big - 1, big, Array(53).fill(leaf0), root8)).toBe(false);
    expect(verifyConsistency(big - 1, big, Array(60).fill(leaf0), root8, root8)).toBe(false);
  });
});

describe('arguments of the wrong type are labelled ArgumentErrors', () => {
  const h = new Uint8Array(32);
  it.each([
    [
      'leafHash',
      () => verifyInclusion('00' as unknown as Uint8Array, 0, 1, [], h),
      '"leafHash" expected Uint8Array, got string',
    ],
    [
      'index',
      () => verifyInclusion(h, 0.5, 1, [], h),
      '"index" expected an integer in [0, 9007199254740991], got 0.5',
    ],
    [
      'size',
      () => verifyInclusion(h, 0, -1, [], h),
      '"size" expected an integer in [0, 9007199254740991], got -1',
    ],
    [
      'proof',
      () => verifyInclusion(h, 0, 1, null as unknown as Uint8Array[], h),
      '"proof" expected an array of hashes',
    ],
    [
      'proof[1]',
      () => verifyConsistency(1, 2, [h, 'x' as unknown as Uint8Array], h, h),
      '"proof[1]" expected Uint8Array, got string',
    ],
    [
      'root2',
      () => verifyConsistency(1, 2, [h], h, undefined as unknown as Uint8Array),
      '"root2" expected Uint8Array, got undefined',
    ],
    [
      'size1',
      () => verifyConsistency(2 ** 53, 2 ** 53, [], h, h),
      '"size1" expected an integer in [0, 9007199254740991], got 9007199254740992',
    ],
  ])('%s', (_, call, message) => {
    const e = thrown(call);
    expect(e).toBeInstanceOf(ArgumentError);
    expect(e).toMatchObject({ message });
  });
});
