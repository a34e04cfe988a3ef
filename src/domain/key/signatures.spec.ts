import { InvalidCommand } from '../errors';
import type { IndexPath } from '../hashsig';
import { deciderSpec } from '../spec';
import { KeyFrozen, KeyNotFrozen, NotHashsig, UnknownCopy } from './errors';
import type { HashsigReuseDetected, KeyEvent } from './events';
import {
  at,
  hashsigGenerated,
  I0,
  KEY,
  path1,
  rawExported,
  rawExportStarted,
  recordSignatures,
  released,
  rsaGenerated,
  sha,
  startRawExport,
  startRawImport,
  prepareTransfer,
} from './fixtures';
import { hashsigUsage, keyDecider } from './index';
import { evolve } from './evolve';
import { initialState } from './state';

const spec = deciderSpec(keyDecider);
const fold = (events: KeyEvent[]) => events.reduce(evolve, initialState());
const A = 'aa'.repeat(16);
const B = 'bb'.repeat(16);
const path2 = (q0: number, I1: string, q1: number): IndexPath => [
  { q: q0, I: I0 },
  { q: q1, I: I1 },
];
const g = hashsigGenerated();
const upTo3 = released('c0', 'hsm-a', [0, 1, 2, 3].map(path1), 1);

const reuse = (
  paths: IndexPath[],
  position: number,
  rule: HashsigReuseDetected['data']['offending']['rule'],
  detail: string,
  hour = 2,
): HashsigReuseDetected => ({
  type: 'HashsigReuseDetected',
  data: {
    ...released('c0', 'hsm-a', paths, hour).data,
    offending: { position, indexPath: paths[position]!, rule },
    detail: `copy c0 signing on hsm-a: ${detail}`,
  },
});

describe('a fresh hashsig key on hsm-a', () => {
  it('releases a batch whose indices increase', () => {
    spec
      .given([g])
      .when(recordSignatures('c0', 'hsm-a', [path1(0), path1(1)], 1))
      .then([released('c0', 'hsm-a', [path1(0), path1(1)], 1)]);
  });

  it('detects an index repeated within one batch, releasing none of it', () => {
    const paths = [path1(0), path1(1), path1(1)];
    spec
      .given([g])
      .when(recordSignatures('c0', 'hsm-a', paths, 2))
      .then([reuse(paths, 2, 'repeated', 'index path 1 was already used')]);
  });

  it('refuses a batch whose lengths differ', () => {
    const cmd = recordSignatures('c0', 'hsm-a', [path1(0)], 1);
    spec
      .given([g])
      .when({ ...cmd, data: { ...cmd.data, signatureSha256s: [] } })
      .thenThrows(
        InvalidCommand,
        '"indexPaths" and "signatureSha256s" expected 1 … 256 entries each, got 1 and 0',
      );
  });

  it('refuses an index path of another key (other top tree I)', () => {
    spec
      .given([g])
      .when(recordSignatures('c0', 'hsm-a', [[{ q: 0, I: A }]], 1))
      .thenThrows(InvalidCommand, 'not a signature of this key');
  });

  it('refuses an unknown copy', () => {
    spec
      .given([g])
      .when(recordSignatures('c9', 'hsm-a', [path1(0)], 1))
      .thenThrows(UnknownCopy, `key ${KEY} has no copy c9`);
  });
});

describe('a hashsig key on hsm-a that has used leaves 0 … 3', () => {
  it('releases leaf 4', () => {
    spec
      .given([g, upTo3])
      .when(recordSignatures('c0', 'hsm-a', [path1(4)], 2))
      .then([released('c0', 'hsm-a', [path1(4)], 2)]);
  });

  it('detects leaf 3 again as reuse and freezes the key', () => {
    spec
      .given([g, upTo3])
      .when(recordSignatures('c0', 'hsm-a', [path1(3)], 2))
      .then([reuse([path1(3)], 0, 'repeated', 'index path 3 was already used')]);
  });

  it('releases leaf 3 again only in the deliberately broken build (unsafeSkipIndexCheck, test-only)', () => {
    const broken = recordSignatures('c0', 'hsm-a', [path1(3)], 2);
    spec
      .given([g, upTo3])
      .when({ ...broken, data: { ...broken.data, unsafeSkipIndexCheck: true } })
      .then([released('c0', 'hsm-a', [path1(3)], 2)]);
  });

  it('detects leaf 2 as a step back (state rolled back, e.g. a stale blob)', () => {
    spec
      .given([g, upTo3])
      .when(recordSignatures('c0', 'hsm-a', [path1(2)], 2))
      .then([
        reuse(
          [path1(2)],
          0,
          'not-increasing',
          'top-level index 2 is below 3, which this copy has already used',
        ),
      ]);
  });

  it('withholds a signature made by an HSM that holds no copy', () => {
    spec
      .given([g, upTo3])
      .when(recordSignatures('c0', 'hsm-b', [path1(4)], 2))
      .then([
        {
          type: 'HashsigSignaturesWithheld',
          data: {
            ...released('c0', 'hsm-b', [path1(4)], 2).data,
            reason: 'signer-not-holder',
            detail: `hsm-b holds no copy of key ${KEY} in the ledger`,
          },
        },
      ]);
  });

  it('counts usage and what remains', () => {
    expect(hashsigUsage(fold([g, upTo3]))).toEqual({
      signatures: 4,
      withheld: 0,
      lastIndex: 3,
      remainingTopLeaves: 28,
      remaining: 28,
    });
  });
});

describe('a hashsig key raw-exported from hsm-a but not yet deleted there', () => {
  it('still releases a signature hsm-a made before the export, recorded late', () => {
    const events = [
      g,
      upTo3,
      rawExportStarted('op-1', 'hsm-a', 2),
      rawExported('op-1', 'hsm-a', sha('b1'), 3, { range: { start: 4, end: 32 } }),
    ];
    spec
      .given(events)
      .when(recordSignatures('c0', 'hsm-a', [path1(4)], 4))
      .then([released('c0', 'hsm-a', [path1(4)], 4)]);
  });
});

describe('a two-level (HSS) key whose top leaf 0 signed tree A, last used at bottom leaf 5', () => {
  const g2 = hashsigGenerated('hsm-a', 2);
  const used = released('c0', 'hsm-a', [path2(0, A, 4), path2(0, A, 5)], 1);

  it('releases bottom leaf 6 of tree A, then a fresh tree under top leaf 1', () => {
    const paths = [path2(0, A, 6), path2(1, B, 0)];
    spec
      .given([g2, used])
      .when(recordSignatures('c0', 'hsm-a', paths, 2))
      .then([released('c0', 'hsm-a', paths, 2)]);
  });

  it('detects a second tree under top leaf 0: the top leaf signed twice', () => {
    const paths = [path2(0, B, 9)];
    spec
      .given([g2, used])
      .when(recordSignatures('c0', 'hsm-a', paths, 2))
      .then([reuse(paths, 0, 'tree-reused', 'leaf 0 signed level-1 tree aaaaaaaa… and now bbbbbbbb…')]);
  });

  it('counts what is left: 31 fresh top leaves × 32, plus 26 under top leaf 0', () => {
    expect(hashsigUsage(fold([g2, used]))).toEqual({
      signatures: 2,
      withheld: 0,
      lastIndex: 0,
      remainingTopLeaves: 31,
      remaining: 31 * 32 + 26,
    });
  });
});

describe('a hashsig key frozen after reuse', () => {
  const frozen: KeyEvent[] = [g, upTo3, reuse([path1(3)], 0, 'repeated', 'index path 3 was already used')];
  const refusal = `key ${KEY} is frozen since ${at(2)} (hashsig state reuse: copy c0 signing on hsm-a: index path 3 was already used)`;

  it('withholds further signatures but logs their indices', () => {
    spec
      .given(frozen)
      .when(recordSignatures('c0', 'hsm-a', [path1(4)], 3))
      .then([
        {
          type: 'HashsigSignaturesWithheld',
          data: {
            ...released('c0', 'hsm-a', [path1(4)], 3).data,
            reason: 'key-frozen',
            detail: `key ${KEY} is frozen since ${at(2)}: copy c0 signing on hsm-a: index path 3 was already used`,
          },
        },
      ]);
    expect(hashsigUsage(fold(frozen))).toMatchObject({ signatures: 4, withheld: 1 });
  });

  it.each([
    ['a raw export', startRawExport('op-1', 'hsm-a', 3)],
    ['a raw import', startRawImport('op-1', 'hsm-b', sha('b1'), 3)],
    ['a transfer', prepareTransfer('op-1', 'hsm-a', 'hsm-b', 3)],
  ])('refuses %s until an officer acts', (_, command) => {
    spec.given(frozen).when(command).thenThrows(KeyFrozen, refusal);
  });

  it('is unfrozen by an officer', () => {
    spec
      .given(frozen)
      .when({
        type: 'UnfreezeKey',
        data: { keyId: KEY, officerId: 'officer-1', reason: 'HSM replaced, indices audited', at: at(4) },
      })
      .then([
        {
          type: 'KeyUnfrozen',
          data: { keyId: KEY, officerId: 'officer-1', reason: 'HSM replaced, indices audited', at: at(4) },
        },
      ]);
  });
});

describe('a key that is not frozen', () => {
  it('refuses UnfreezeKey', () => {
    spec
      .given([g])
      .when({ type: 'UnfreezeKey', data: { keyId: KEY, officerId: 'officer-1', reason: 'x', at: at(4) } })
      .thenThrows(KeyNotFrozen, `key ${KEY} is not frozen`);
  });
});

describe('an RSA key', () => {
  it('has no hashsig index log', () => {
    spec
      .given([rsaGenerated()])
      .when(recordSignatures('c0', 'hsm-a', [path1(0)], 1))
      .thenThrows(NotHashsig, `key ${KEY} is an rsa key`);
    expect(hashsigUsage(fold([rsaGenerated()]))).toBeNull();
  });
});
