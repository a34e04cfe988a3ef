import { InvalidCommand, InvariantViolated } from '../errors';
import { deciderSpec } from '../spec';
import {
  AlreadyResident,
  HashsigExhausted,
  NotResident,
  OperationClosed,
  OperationInProgress,
  PartitionMismatch,
  UnknownOperation,
} from './errors';
import type { KeyEvent } from './events';
import {
  at,
  completeTransitExport,
  completeTransitImport,
  hashsigGenerated,
  hsmName,
  KEKEK_NAME,
  KEY,
  path1,
  prepareTransfer,
  recordSignatures,
  released,
  rsaGenerated,
  sha,
  startTransfer,
  sigs,
  transferPrepared,
  transferStarted,
  transitExported,
  transitImported,
} from './fixtures';
import { hashsigUsage, keyDecider, liveHolders } from './index';
import { evolve } from './evolve';
import { initialState } from './state';

const spec = deciderSpec(keyDecider);
const fold = (events: KeyEvent[]) => events.reduce(evolve, initialState());
const T1 = sha('71');
const KEKEK_OTHER = 'cccccccc-0000-4000-8000-0000000000ff';
const five = [0, 1, 2, 3, 4].map(path1);
const split = { sourceRange: { start: 5, end: 18 }, exportedRange: { start: 18, end: 32 } };
const used: KeyEvent[] = [hashsigGenerated(), released('c0', 'hsm-a', five, 1)];
const started: KeyEvent[] = [...used, ...transferStarted('op-1', 'hsm-a', 'hsm-b', 2)];
const exported: KeyEvent[] = [...started, transitExported('op-1', 'hsm-a', 'hsm-b', T1, 3, split, 'c1')];
const done: KeyEvent[] = [...exported, transitImported('op-1', 'hsm-b', T1, 4, 'c1')];

describe('a hashsig key on hsm-a that has used leaves 0 … 4', () => {
  it("records the intent before the KEKEK exists, with hsm-b's KEKEK candidates at that moment", () => {
    spec
      .given(used)
      .when(prepareTransfer('op-1', 'hsm-a', 'hsm-b', 2, [KEKEK_OTHER]))
      .then([transferPrepared('op-1', 'hsm-a', 'hsm-b', 2, 'c0', [KEKEK_OTHER])]);
  });

  it('records the KEKEK generated on hsm-b and starts the prepared transfer', () => {
    spec
      .given([...used, transferPrepared('op-1', 'hsm-a', 'hsm-b', 2)])
      .when(startTransfer('op-1', 'hsm-a', 'hsm-b', 2))
      .then(transferStarted('op-1', 'hsm-a', 'hsm-b', 2));
  });

  it("keeps the snapshot and the intent's time when the transfer starts", () => {
    const op = fold([
      ...used,
      transferPrepared('op-1', 'hsm-a', 'hsm-b', 2, 'c0', [KEKEK_OTHER]),
      ...transferStarted('op-1', 'hsm-a', 'hsm-b', 3),
    ]);
    expect(op.status === 'live' && op.ops['op-1']).toMatchObject({
      kekek: { kekekName: KEKEK_NAME },
      priorKekekNames: [KEKEK_OTHER],
      startedAt: at(2),
    });
  });

  it('treats a repeated start with the same KEKEK as done', () => {
    spec
      .given([
        ...used,
        transferPrepared('op-1', 'hsm-a', 'hsm-b', 2),
        ...transferStarted('op-1', 'hsm-a', 'hsm-b', 2),
      ])
      .when(startTransfer('op-1', 'hsm-a', 'hsm-b', 3))
      .then([]);
  });

  it('refuses to start a transfer that was not prepared (the KEKEK must come after the intent)', () => {
    spec
      .given(used)
      .when(startTransfer('op-1', 'hsm-a', 'hsm-b', 2))
      .thenThrows(UnknownOperation, 'was never started');
  });

  it('refuses to start a prepared transfer between other HSMs', () => {
    spec
      .given([...used, transferPrepared('op-1', 'hsm-a', 'hsm-b', 2)])
      .when(startTransfer('op-1', 'hsm-a', 'hsm-c', 2))
      .thenThrows(InvalidCommand, 'was prepared from hsm-a to hsm-b');
  });

  it('blocks other operations on the copy while only prepared', () => {
    spec
      .given([...used, transferPrepared('op-1', 'hsm-a', 'hsm-b', 2)])
      .when(prepareTransfer('op-2', 'hsm-a', 'hsm-c', 3))
      .thenThrows(
        OperationInProgress,
        'copy c0 is busy with transfer op-1 from hsm-a to hsm-b (prepared, no KEKEK recorded)',
      );
  });

  it('fails a prepared transfer without abandoning a blob or losing a copy', () => {
    spec
      .given([...used, transferPrepared('op-1', 'hsm-a', 'hsm-b', 2)])
      .when({ type: 'FailOperation', data: { keyId: KEY, opId: 'op-1', reason: 'crash', at: at(3) } })
      .then([
        {
          type: 'KeyOperationFailed',
          data: {
            keyId: KEY,
            opId: 'op-1',
            kind: 'transfer',
            reason: 'crash',
            abandonedBlobSha256: null,
            lostCopyId: null,
            at: at(3),
          },
        },
      ]);
  });

  it('refuses a KEKEK generated anywhere but the destination', () => {
    const cmd = startTransfer('op-1', 'hsm-a', 'hsm-b', 2);
    spec
      .given(used)
      .when({ ...cmd, data: { ...cmd.data, kekek: { ...cmd.data.kekek, hsmId: 'hsm-a' } } })
      .thenThrows(InvalidCommand, 'the KEKEK must be generated on the destination hsm-b');
  });

  it('refuses a transfer from an HSM that holds no copy', () => {
    spec
      .given(used)
      .when(prepareTransfer('op-1', 'hsm-b', 'hsm-a', 2))
      .thenThrows(
        NotResident,
        `transfer of key ${KEY} from hsm-b to hsm-a refused: hsm-b holds no copy of key ${KEY}`,
      );
  });
});

describe('a hashsig key with 1 top-level leaf left', () => {
  it('refuses a transit export (HASHSIG_KEY_EXHAUSTED)', () => {
    const paths = Array.from({ length: 31 }, (_, q) => path1(q));
    spec
      .given([hashsigGenerated(), released('c0', 'hsm-a', paths, 1)])
      .when(prepareTransfer('op-1', 'hsm-a', 'hsm-b', 2))
      .thenThrows(
        HashsigExhausted,
        'copy c0 has 1 top-level leaves left ([31, 32)); a transit export needs 2',
      );
  });
});

describe('a hashsig transfer from hsm-a to hsm-b started', () => {
  it('splits the copy per libhal: source keeps [5, 18), new copy c1 gets [18, 32)', () => {
    spec
      .given(started)
      .when(completeTransitExport('op-1', T1, 3, split, 'c1'))
      .then([transitExported('op-1', 'hsm-a', 'hsm-b', T1, 3, split, 'c1')]);
  });

  it("refuses a partition that is not libhal's split", () => {
    spec
      .given(started)
      .when(
        completeTransitExport(
          'op-1',
          T1,
          3,
          { sourceRange: { start: 5, end: 19 }, exportedRange: { start: 19, end: 32 } },
          'c1',
        ),
      )
      .thenThrows(
        PartitionMismatch,
        "transfer op-1: source [5, 19) + exported [19, 32) is not libhal's split of copy c0 [0, 32) at q = 5 (expected [5, 18) + [18, 32), docs/libhal-rpc.md §7.6)",
      );
  });

  it('refuses a partition that starts below a leaf already used', () => {
    spec
      .given(started)
      .when(
        completeTransitExport(
          'op-1',
          T1,
          3,
          { sourceRange: { start: 3, end: 17 }, exportedRange: { start: 17, end: 32 } },
          'c1',
        ),
      )
      .thenThrows(
        PartitionMismatch,
        "the source's next leaf 3 is below 5, which copy c0 has already reached",
      );
  });

  it('refuses a hashsig export without a partition', () => {
    spec
      .given(started)
      .when(completeTransitExport('op-1', T1, 3, null, null))
      .thenThrows(InvalidCommand, 'needs "partition" and "newCopyId"');
  });

  it('refuses an import before the export is recorded', () => {
    spec
      .given(started)
      .when(completeTransitImport('op-1', 'hsm-b', 3))
      .thenThrows(UnknownOperation, 'has not recorded its export yet');
  });

  it('is released by FailOperation before the export, losing nothing', () => {
    spec
      .given(started)
      .when({
        type: 'FailOperation',
        data: { keyId: KEY, opId: 'op-1', reason: 'hsm-b unreachable', at: at(3) },
      })
      .then([
        {
          type: 'KeyOperationFailed',
          data: {
            keyId: KEY,
            opId: 'op-1',
            kind: 'transfer',
            reason: 'hsm-b unreachable',
            abandonedBlobSha256: null,
            lostCopyId: null,
            at: at(3),
          },
        },
      ]);
  });
});

describe('a hashsig transfer exported (copy c1 in transit)', () => {
  it('completes on hsm-b, which then holds c1', () => {
    spec
      .given(exported)
      .when(completeTransitImport('op-1', 'hsm-b', 4))
      .then([transitImported('op-1', 'hsm-b', T1, 4, 'c1')]);
  });

  it('treats a repeated export record with the same blob as recorded, and refuses another', () => {
    spec
      .given(exported)
      .when(completeTransitExport('op-1', T1, 5, split, 'c1'))
      .then([]);
    spec
      .given(exported)
      .when(completeTransitExport('op-1', sha('72'), 5, split, 'c2'))
      .thenThrows(OperationClosed, 'a second export 72727272… is not accepted');
  });

  it('on failure abandons the transit blob and loses copy c1: its range is never signed from', () => {
    const failed: KeyEvent = {
      type: 'KeyOperationFailed',
      data: {
        keyId: KEY,
        opId: 'op-1',
        kind: 'transfer',
        reason: 'hsm-b destroyed',
        abandonedBlobSha256: T1,
        lostCopyId: 'c1',
        at: at(5),
      },
    };
    spec
      .given(exported)
      .when({
        type: 'FailOperation',
        data: { keyId: KEY, opId: 'op-1', reason: 'hsm-b destroyed', at: at(5) },
      })
      .then([failed]);
    const state = fold([...exported, failed]);
    expect(hashsigUsage(state)).toMatchObject({ remainingTopLeaves: 13 });
    spec
      .given([...exported, failed])
      .when(recordSignatures('c1', 'hsm-b', [path1(18)], 6))
      .then([
        {
          type: 'HashsigSignaturesWithheld',
          data: {
            ...released('c1', 'hsm-b', [path1(18)], 6).data,
            reason: 'signer-not-holder',
            detail: `hsm-b holds no copy of key ${KEY} in the ledger`,
          },
        },
      ]);
  });
});

describe('a hashsig key split between hsm-a (c0: [5, 18)) and hsm-b (c1: [18, 32))', () => {
  it('keeps the copies disjoint and both live', () => {
    const state = fold(done);
    expect(
      state.status === 'live' &&
        Object.values(state.copies).map((c) => (c.kind === 'hashsig' ? [c.copyId, c.range] : null)),
    ).toEqual([
      ['c0', { start: 5, end: 18 }],
      ['c1', { start: 18, end: 32 }],
    ]);
    expect(liveHolders(state).map((h) => (h.kind === 'hsm' ? `${h.copyId}@${h.hsmId}` : h.sha256))).toEqual([
      'c0@hsm-a',
      'c1@hsm-b',
    ]);
    expect(hashsigUsage(state)).toEqual({
      signatures: 5,
      withheld: 0,
      lastIndex: 4,
      remainingTopLeaves: 27,
      remaining: 27,
    });
  });

  it('releases signatures from each copy within its own range', () => {
    spec
      .given(done)
      .when(recordSignatures('c0', 'hsm-a', [path1(5)], 5))
      .then([released('c0', 'hsm-a', [path1(5)], 5)]);
    spec
      .given(done)
      .when(recordSignatures('c1', 'hsm-b', [path1(18)], 5))
      .then([released('c1', 'hsm-b', [path1(18)], 5)]);
  });

  it('detects reuse when hsm-a signs with an index from c1’s range, and freezes the key', () => {
    spec
      .given(done)
      .when(recordSignatures('c0', 'hsm-a', [path1(20)], 5))
      .then([
        {
          type: 'HashsigReuseDetected',
          data: {
            keyId: KEY,
            copyId: 'c0',
            hsmId: 'hsm-a',
            indexPaths: [path1(20)],
            signatureSha256s: sigs(1),
            offending: { position: 0, indexPath: path1(20), rule: 'outside-range' },
            detail: "copy c0 signing on hsm-a: top-level index 20 lies outside this copy's range [5, 18)",
            at: at(5),
          },
        },
      ]);
  });

  it('detects reuse when hsm-b signs with an index from c0’s range', () => {
    spec
      .given(done)
      .when(recordSignatures('c1', 'hsm-b', [path1(7)], 5))
      .then([
        {
          type: 'HashsigReuseDetected',
          data: {
            ...released('c1', 'hsm-b', [path1(7)], 5).data,
            offending: { position: 0, indexPath: path1(7), rule: 'outside-range' },
            detail: "copy c1 signing on hsm-b: top-level index 7 lies outside this copy's range [18, 32)",
          },
        },
      ]);
  });
});

describe('the ledger history of a split', () => {
  it('refuses (InvariantViolated) a partition that overlaps another copy', () => {
    const bad = transitExported(
      'op-1',
      'hsm-a',
      'hsm-b',
      T1,
      3,
      { sourceRange: { start: 5, end: 20 }, exportedRange: { start: 18, end: 32 } },
      'c1',
    );
    expect(() => fold([...started, bad])).toThrow(InvariantViolated);
    expect(() => fold([...started, bad])).toThrow(
      `key ${KEY}: copy c0 owns [5, 20) and copy c1 owns [18, 32)`,
    );
  });
});

describe('an RSA transfer from hsm-a to hsm-b', () => {
  const rsaStarted: KeyEvent[] = [rsaGenerated(), ...transferStarted('op-1', 'hsm-a', 'hsm-b', 1)];

  it('exports without a partition, on the one RSA copy', () => {
    spec
      .given(rsaStarted)
      .when(completeTransitExport('op-1', T1, 2, null, null))
      .then([transitExported('op-1', 'hsm-a', 'hsm-b', T1, 2, null, 'c0')]);
  });

  it('refuses a partition for an RSA key', () => {
    spec
      .given(rsaStarted)
      .when(completeTransitExport('op-1', T1, 2, split, 'c1'))
      .thenThrows(InvalidCommand, 'apply to hashsig keys only');
  });

  it('leaves both HSMs holding the key', () => {
    const state = fold([
      ...rsaStarted,
      transitExported('op-1', 'hsm-a', 'hsm-b', T1, 2, null, 'c0'),
      transitImported('op-1', 'hsm-b', T1, 3, 'c0'),
    ]);
    expect(liveHolders(state)).toEqual([
      { copyId: 'c0', kind: 'hsm', hsmId: 'hsm-a', hsmKeyName: hsmName('hsm-a'), since: at(0) },
      { copyId: 'c0', kind: 'hsm', hsmId: 'hsm-b', hsmKeyName: hsmName('hsm-b'), since: at(3) },
    ]);
  });

  it('refuses a second transfer to hsm-b once it holds the key', () => {
    const state: KeyEvent[] = [
      ...rsaStarted,
      transitExported('op-1', 'hsm-a', 'hsm-b', T1, 2, null, 'c0'),
      transitImported('op-1', 'hsm-b', T1, 3, 'c0'),
    ];
    spec
      .given(state)
      .when(prepareTransfer('op-2', 'hsm-a', 'hsm-b', 4))
      .thenThrows(AlreadyResident, 'hsm-b already holds key');
  });
});
