import { InvalidCommand } from '../errors';
import { checkIndexPath, comparePaths, formatPath, type IndexPath, judgePath } from './index-path';
import type { HashsigParams } from './params';

const I0 = '00'.repeat(16);
const A = 'aa'.repeat(16);
const B = 'bb'.repeat(16);
const X = 'cc'.repeat(16);
const owned = { start: 0, end: 32 };
const l1 = (q: number): IndexPath => [{ q, I: I0 }];
const l2 = (q0: number, I1: string, q1: number): IndexPath => [
  { q: q0, I: I0 },
  { q: q1, I: I1 },
];

describe('a copy that has signed nothing yet', () => {
  it('accepts a first top-level index inside its range', () => {
    expect(judgePath(null, owned, l1(0))).toEqual({ ok: true });
    expect(judgePath(null, { start: 16, end: 32 }, l1(16))).toEqual({ ok: true });
  });

  it('flags a first index outside its range', () => {
    expect(judgePath(null, { start: 16, end: 32 }, l1(3))).toEqual({
      ok: false,
      rule: 'outside-range',
      detail: "top-level index 3 lies outside this copy's range [16, 32)",
    });
  });
});

describe('a single-level (L = 1) copy that last used leaf 5', () => {
  it('accepts leaf 6 and a jump to leaf 9', () => {
    expect(judgePath(l1(5), owned, l1(6))).toEqual({ ok: true });
    expect(judgePath(l1(5), owned, l1(9))).toEqual({ ok: true });
  });

  it('flags leaf 5 again as repeated', () => {
    expect(judgePath(l1(5), owned, l1(5))).toMatchObject({ ok: false, rule: 'repeated' });
  });

  it('flags leaf 4 as not increasing', () => {
    expect(judgePath(l1(5), owned, l1(4))).toMatchObject({ ok: false, rule: 'not-increasing' });
  });
});

describe('a two-level (HSS) copy whose top leaf 5 signed tree A, last used at leaf 3', () => {
  const last = l2(5, A, 3);

  it('accepts the next bottom leaf of tree A', () => {
    expect(judgePath(last, owned, l2(5, A, 4))).toEqual({ ok: true });
  });

  it('accepts a fresh tree B under a new top leaf', () => {
    expect(judgePath(last, owned, l2(6, B, 0))).toEqual({ ok: true });
  });

  it('accepts continuing tree A after leaf 5 left the range (the source after a transit split)', () => {
    expect(judgePath(last, { start: 6, end: 18 }, l2(5, A, 4))).toEqual({ ok: true });
  });

  it('flags a second tree under the same top leaf: the top leaf signed twice', () => {
    expect(judgePath(last, owned, l2(5, B, 9))).toEqual({
      ok: false,
      rule: 'tree-reused',
      detail: `leaf 5 signed level-1 tree aaaaaaaa… and now bbbbbbbb…`,
    });
  });

  it('flags a bottom leaf already passed', () => {
    expect(judgePath(last, owned, l2(5, A, 2))).toMatchObject({ ok: false, rule: 'not-increasing' });
    expect(judgePath(last, owned, l2(5, A, 3))).toMatchObject({ ok: false, rule: 'repeated' });
  });
});

describe('a three-level copy', () => {
  const last: IndexPath = [
    { q: 2, I: I0 },
    { q: 7, I: A },
    { q: 1, I: X },
  ];

  it('accepts a new level-2 tree under the next level-1 leaf', () => {
    expect(
      judgePath(last, owned, [
        { q: 2, I: I0 },
        { q: 8, I: A },
        { q: 0, I: B },
      ]),
    ).toEqual({ ok: true });
  });

  it('flags a new level-2 tree under the same level-1 leaf', () => {
    expect(
      judgePath(last, owned, [
        { q: 2, I: I0 },
        { q: 7, I: A },
        { q: 5, I: B },
      ]),
    ).toMatchObject({ ok: false, rule: 'tree-reused' });
  });
});

describe('index path shape', () => {
  const params: HashsigParams = { levels: 2, lmsType: 5, lmotsType: 3, I: I0 };

  it('accepts L levels with leaves below 2^h', () => {
    expect(() => checkIndexPath(params, l2(31, A, 31), 'p')).not.toThrow();
  });

  it.each([
    ['a wrong level count', l1(0), '"p" expected 2 levels (L), got 1'],
    ['a leaf beyond the tree', l2(32, A, 0), '"p[0].q" expected a leaf index in [0, 32), got 32'],
    ['a malformed I', l2(1, 'xyz', 0), '"p[1].I" expected 32 lowercase hex characters'],
    [
      'another key’s top tree',
      [
        { q: 1, I: B },
        { q: 0, I: A },
      ],
      'not a signature of this key',
    ],
  ])('refuses %s', (_, path, message) => {
    expect(() => checkIndexPath(params, path, 'p')).toThrow(InvalidCommand);
    expect(() => checkIndexPath(params, path, 'p')).toThrow(message);
  });

  it('orders paths by their q-tuples and formats them', () => {
    expect(comparePaths(l2(5, A, 3), l2(5, B, 4))).toBeLessThan(0);
    expect(comparePaths(l2(6, A, 0), l2(5, B, 31))).toBeGreaterThan(0);
    expect(formatPath(l2(5, A, 3))).toBe('5/aaaa…:3');
  });
});
