import { createHash } from 'node:crypto';
import vectors from '../../test/vectors/rfc6962-merkle.json';
import { hex, thrown, toHex } from '../../test/support/bytes';
import { ArgumentError } from '../lib/errors';
import { emptyRoot, leafHash, MerkleTree, mth, nodeHash, splitPoint } from './merkle';
import { verifyConsistency, verifyInclusion } from './proofs';

const leaves = vectors.leaves.map(hex);
const hexes = (hs: readonly Uint8Array[]): string[] => hs.map(toHex);

/** Leaf data of varied lengths (0..40 bytes), the same on every run. */
function someLeaves(n: number): Uint8Array[] {
  return Array.from({ length: n }, (_, i) =>
    createHash('sha512')
      .update(`leaf ${i}`)
      .digest()
      .subarray(0, i % 41),
  );
}

function treeOf(data: readonly Uint8Array[]): MerkleTree {
  const tree = new MerkleTree();
  for (const d of data) tree.append(d);
  return tree;
}

/**
 * RFC 9162 §2.1.3.1 PATH and §2.1.4.1 SUBPROOF, written out as recursions over leaf ranges, to hold
 * the tree's O(log n) answers against. Subtree hashes come from `mth` (memoised: the recursions
 * for all sizes up to 70 ask for a few hundred distinct ranges, over and over).
 */
function references(data: readonly Uint8Array[]) {
  const memo = new Map<string, string>();
  const hash = (lo: number, hi: number): string => {
    const key = `${lo}:${hi}`;
    if (!memo.has(key)) memo.set(key, toHex(mth(data.slice(lo, hi))));
    return memo.get(key) as string;
  };
  const path = (m: number, lo: number, hi: number): string[] => {
    if (hi - lo <= 1) return [];
    const k = lo + splitPoint(hi - lo);
    return m < k ? [...path(m, lo, k), hash(k, hi)] : [...path(m, k, hi), hash(lo, k)];
  };
  const subproof = (m: number, lo: number, hi: number, b: boolean): string[] => {
    if (m === hi) return b ? [] : [hash(lo, hi)];
    const k = lo + splitPoint(hi - lo);
    return m <= k ? [...subproof(m, lo, k, b), hash(k, hi)] : [...subproof(m, k, hi, false), hash(lo, k)];
  };
  return {
    path: (m: number, n: number) => path(m, 0, n),
    proof: (m: number, n: number) => subproof(m, 0, n, true),
  };
}

describe('RFC 9162 §2.1.1 hashing', () => {
  it('hashes the empty tree as SHA-256 of nothing', () => {
    expect(toHex(emptyRoot())).toBe(vectors.roots[0].root);
    expect(toHex(mth([]))).toBe(vectors.roots[0].root);
  });

  it.each(vectors.leaves.map((l, i) => ({ l, i })))(
    'hashes leaf $i ("$l") as SHA-256(0x00 ‖ data)',
    ({ i }) => {
      expect(toHex(leafHash(leaves[i]))).toBe(vectors.nodeHashes.levels[0][i]);
    },
  );

  it('hashes each pair of complete subtrees as SHA-256(0x01 ‖ left ‖ right), level by level', () => {
    const { levels } = vectors.nodeHashes;
    for (let l = 1; l < levels.length; l++) {
      levels[l].forEach((h, i) =>
        expect(toHex(nodeHash(hex(levels[l - 1][2 * i]), hex(levels[l - 1][2 * i + 1])))).toBe(h),
      );
    }
  });

  it('refuses node inputs that are not 32-byte hashes, naming the side', () => {
    expect(thrown(() => nodeHash(new Uint8Array(31), new Uint8Array(32)))).toMatchObject({
      message: '"left" expected 32 bytes, got 31',
    });
    expect(thrown(() => nodeHash(new Uint8Array(32), new Uint8Array(33)))).toBeInstanceOf(ArgumentError);
  });
});

describe('the 8-leaf reference tree (test/vectors/rfc6962-merkle.json)', () => {
  const tree = treeOf(leaves);

  it.each(vectors.roots)(
    'has root $root at size $size, by mth, by the full tree and while growing',
    ({ size, root }) => {
      expect(toHex(mth(leaves.slice(0, size)))).toBe(root);
      expect(toHex(tree.root(size))).toBe(root);
      expect(toHex(treeOf(leaves.slice(0, size)).root())).toBe(root);
    },
  );

  it.each(vectors.inclusion)('$label: the tree answers the published path', ({ index, size, proof }) => {
    expect(hexes(tree.inclusionProof(index, size))).toEqual(proof);
  });

  it.each(vectors.consistency)('$label: the tree answers the published proof', ({ size1, size2, proof }) => {
    expect(hexes(tree.consistencyProof(size1, size2))).toEqual(proof);
  });

  it('takes precomputed leaf hashes to the same tree', () => {
    const byHash = new MerkleTree();
    vectors.nodeHashes.levels[0].forEach((h) => byHash.appendLeafHash(hex(h)));
    expect(toHex(byHash.root())).toBe(vectors.roots[8].root);
  });
});

describe('the tree against the §2.1 definitions', () => {
  const data = someLeaves(300);
  const tree = treeOf(data);
  const ref = references(data);

  it('agrees with mth at every size 0..300', () => {
    for (let size = 0; size <= 300; size++) {
      expect([size, toHex(tree.root(size))]).toEqual([size, toHex(mth(data.slice(0, size)))]);
    }
  });

  it('answers PATH(m, D[n]) as the recursion does, for every leaf of every size up to 70', () => {
    for (let n = 1; n <= 70; n++) {
      for (let m = 0; m < n; m++) {
        expect([n, m, hexes(tree.inclusionProof(m, n))]).toEqual([n, m, ref.path(m, n)]);
      }
    }
  });

  it('answers PROOF(m, D[n]) as SUBPROOF(m, D[n], true) does, for every 0 < m ≤ n ≤ 70', () => {
    for (let n = 1; n <= 70; n++) {
      for (let m = 1; m <= n; m++) {
        expect([m, n, hexes(tree.consistencyProof(m, n))]).toEqual([m, n, ref.proof(m, n)]);
      }
    }
  });

  it('answers for its own size when none is given', () => {
    expect(tree.size).toBe(300);
    expect(tree.root()).toEqual(tree.root(300));
    expect(tree.inclusionProof(17)).toEqual(tree.inclusionProof(17, 300));
    expect(tree.consistencyProof(123)).toEqual(tree.consistencyProof(123, 300));
  });

  it('hands out copies: changing a returned hash changes nothing inside', () => {
    const before = toHex(tree.root(255));
    tree.inclusionProof(0, 256)[0].fill(0);
    tree.consistencyProof(255, 256).forEach((h) => h.fill(0));
    tree.root(256).fill(0);
    expect(toHex(tree.root(255))).toBe(before);
    expect(toHex(tree.root(300))).toBe(toHex(mth(data)));
  });
});

describe('refusals, naming the argument', () => {
  const tree = treeOf(someLeaves(5));

  it.each([
    ['root(6)', () => tree.root(6), '"size" expected an integer in [0, 5], got 6'],
    ['root(-1)', () => tree.root(-1), '"size" expected an integer in [0, 5], got -1'],
    ['root(1.5)', () => tree.root(1.5), '"size" expected an integer in [0, 5], got 1.5'],
    ['inclusionProof(5, 5)', () => tree.inclusionProof(5, 5), '"index" expected an integer in [0, 4], got 5'],
    ['inclusionProof(0, 6)', () => tree.inclusionProof(0, 6), '"size" expected an integer in [0, 5], got 6'],
    [
      'inclusionProof(0, 0)',
      () => tree.inclusionProof(0, 0),
      '"index" has no leaf to prove: the tree of size 0 is empty',
    ],
    [
      'consistencyProof(0, 3)',
      () => tree.consistencyProof(0, 3),
      '"size1" expected an integer in [1, 9007199254740991], got 0',
    ],
    ['consistencyProof(4, 3)', () => tree.consistencyProof(4, 3), '"size1" expected at most size2 3, got 4'],
    [
      'consistencyProof(1, 6)',
      () => tree.consistencyProof(1, 6),
      '"size2" expected an integer in [0, 5], got 6',
    ],
    [
      'appendLeafHash(31 bytes)',
      () => tree.appendLeafHash(new Uint8Array(31)),
      '"leaf hash" expected 32 bytes, got 31',
    ],
    [
      'append("text")',
      () => tree.append('text' as unknown as Uint8Array),
      '"leaf data" expected Uint8Array, got string',
    ],
  ])('%s', (_, call, message) => {
    const e = thrown(call);
    expect(e).toBeInstanceOf(ArgumentError);
    expect(e).toMatchObject({ message });
  });

  it('is left unchanged by a refused append', () => {
    expect(tree.size).toBe(5);
  });
});

describe('a ledger-sized tree', () => {
  /** Stands for an event hash: 32 bytes, the position in the first four. */
  const leafData = (i: number): Uint8Array => {
    const d = new Uint8Array(32);
    new DataView(d.buffer).setUint32(0, i);
    return d;
  };

  it('holds 200,000 leaves and answers at that size and below', () => {
    const tree = new MerkleTree();
    for (let i = 0; i < 200_000; i++) tree.append(leafData(i));
    expect(tree.size).toBe(200_000);
    // Leaves 131072.. are the right subtree of the root: check it against mth over just those.
    const right = Array.from({ length: 200_000 - 131_072 }, (_, j) => leafData(131_072 + j));
    expect(toHex(tree.consistencyProof(131_072)[0])).toBe(toHex(mth(right)));
    for (const index of [0, 131_071, 131_072, 199_999]) {
      const leaf = leafHash(index < 131_072 ? leafData(index) : right[index - 131_072]);
      expect(verifyInclusion(leaf, index, 200_000, tree.inclusionProof(index), tree.root())).toBe(true);
    }
    for (const [m, n] of [
      [1, 200_000],
      [150_001, 199_999],
      [199_999, 200_000],
    ]) {
      expect(verifyConsistency(m, n, tree.consistencyProof(m, n), tree.root(m), tree.root(n))).toBe(true);
    }
  });
});
