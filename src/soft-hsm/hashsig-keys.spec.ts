import { randomBytes } from 'node:crypto';
import { LmotsType, LmsType } from '../lib/rfc8554-params';
import { lmsGenerateTree, type HssPrivateState } from './hashsig';
import { partitionForTransit, rangeForRawExport, TopTreeMemo, type HashsigStoredState } from './hashsig-keys';

const state = (
  q: number,
  qStart: number,
  qEnd: number,
  frozen?: { qStart: number; qEnd: number },
): HashsigStoredState => ({
  hss: {
    levels: 1,
    lmsType: 5,
    lmotsType: 4,
    top: { I: new Uint8Array(16), SEED: new Uint8Array(32), root: new Uint8Array(32), q, qStart, qEnd },
    lower: [],
  } as HssPrivateState,
  ...(frozen ? { frozen } : {}),
});

describe('partitionForTransit (§7.6)', () => {
  it('keeps [q, floor((q + q_end) / 2)) and hands out the rest', () => {
    const { source, copy } = partitionForTransit(state(3, 0, 32), 'T');
    expect([source.top.q, source.top.qEnd]).toEqual([3, 17]);
    expect(copy).toEqual({ qStart: 17, qEnd: 32 });
  });

  it('halves again on a second export, and refuses when fewer than 2 leaves are left', () => {
    const { copy } = partitionForTransit(state(3, 0, 17), 'T');
    expect(copy).toEqual({ qStart: 10, qEnd: 17 });
    expect(() => partitionForTransit(state(16, 0, 17), 'T')).toThrow(
      expect.objectContaining({ status: 'HASHSIG_KEY_EXHAUSTED' }),
    );
    expect(() => partitionForTransit(state(4, 0, 32, { qStart: 4, qEnd: 32 }), 'T')).toThrow(
      expect.objectContaining({ status: 'HASHSIG_KEY_EXHAUSTED' }),
    );
  });
});

describe('rangeForRawExport (§9.2)', () => {
  it('hands the whole remaining range to the blob once, then the same frozen range again', () => {
    expect(rangeForRawExport(state(5, 0, 32))).toEqual({ frozen: { qStart: 5, qEnd: 32 }, changed: true });
    expect(rangeForRawExport(state(5, 0, 32, { qStart: 5, qEnd: 32 }))).toEqual({
      frozen: { qStart: 5, qEnd: 32 },
      changed: false,
    });
  });
});

describe('TopTreeMemo', () => {
  const types = [LmsType.H5, LmotsType.W1] as const;

  it('hands back the tree it built for the same (I, SEED), and the same root lmsGenerateTree computes', () => {
    const memo = new TopTreeMemo();
    const I = randomBytes(16);
    const SEED = randomBytes(32);
    const first = memo.tree(...types, I, SEED);
    expect(memo.tree(...types, Uint8Array.from(I), Uint8Array.from(SEED))).toBe(first);
    expect(Buffer.from(first.root)).toEqual(Buffer.from(lmsGenerateTree(...types, I, SEED).root));
  });

  it('recomputes when the SEED differs (never a tree of another key), and forgets the oldest past its limit', () => {
    const memo = new TopTreeMemo(1);
    const I = randomBytes(16);
    const a = memo.tree(...types, I, randomBytes(32));
    const b = memo.tree(...types, I, randomBytes(32));
    expect(b).not.toBe(a);
    expect(Buffer.from(b.root)).not.toEqual(Buffer.from(a.root));
    const other = randomBytes(16);
    const c = memo.tree(...types, other, b.SEED);
    expect(memo.tree(...types, other, b.SEED)).toBe(c);
    expect(memo.tree(...types, I, b.SEED)).not.toBe(b);
  });
});
