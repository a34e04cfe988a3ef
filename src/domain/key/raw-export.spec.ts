import { InvalidCommand } from '../errors';
import { deciderSpec } from '../spec';
import {
  BlobNotStored,
  DuplicateOperation,
  NoKekDomain,
  NotExportable,
  NotResident,
  OperationClosed,
  OperationInProgress,
  UnknownOperation,
} from './errors';
import type { KeyEvent } from './events';
import {
  at,
  completeRawExport,
  deletedFromHsm,
  hashsigGenerated,
  hsmName,
  KEY,
  path1,
  rawExported,
  rawExportStarted,
  released,
  rsaGenerated,
  sha,
  startRawExport,
} from './fixtures';
import { keyDecider } from './index';
import { currentBlob, hashsigUsage, liveHolders, openObligations } from './queries';
import { evolve } from './evolve';
import { initialState } from './state';

const spec = deciderSpec(keyDecider);
const fold = (events: KeyEvent[]) => events.reduce(evolve, initialState());
const B1 = sha('b1');
const B2 = sha('b2');
const g = hashsigGenerated();
const started = rawExportStarted('op-1', 'hsm-a', 1);
const exported = rawExported('op-1', 'hsm-a', B1, 2, { range: { start: 0, end: 32 } });

describe('a hashsig key on hsm-a', () => {
  it('starts a raw export from hsm-a', () => {
    spec
      .given([g])
      .when(startRawExport('op-1', 'hsm-a', 1))
      .then([started]);
  });

  it('refuses a raw export from an HSM outside any KEK domain', () => {
    spec
      .given([g])
      .when(startRawExport('op-1', 'hsm-a', 1, null))
      .thenThrows(NoKekDomain, `raw export of key ${KEY} from hsm-a refused: hsm-a is in no KEK domain`);
  });

  it('refuses a raw export from an HSM that holds no copy', () => {
    spec
      .given([g])
      .when(startRawExport('op-1', 'hsm-b', 1))
      .thenThrows(NotResident, `hsm-b holds no copy of key ${KEY}`);
  });

  it('loses copy c0 when hsm-a, its only holder, deletes it (zeroized): nothing holds the range any more', () => {
    spec
      .given([g])
      .when({
        type: 'RecordDeletedFromHsm',
        data: { keyId: KEY, hsmId: 'hsm-a', reason: 'zeroized', at: at(1) },
      })
      .then([deletedFromHsm('hsm-a', 1, { reason: 'zeroized', lost: true })]);
    const state = fold([g, deletedFromHsm('hsm-a', 1, { reason: 'zeroized', lost: true })]);
    expect(liveHolders(state)).toEqual([]);
    expect(hashsigUsage(state)).toEqual({
      signatures: 0,
      withheld: 0,
      lastIndex: null,
      remainingTopLeaves: 0,
      remaining: 0,
    });
  });

  it('gives the blob the unused rest of the range once signatures were released', () => {
    spec
      .given([
        g,
        released('c0', 'hsm-a', [path1(0), path1(1), path1(2)], 1),
        rawExportStarted('op-1', 'hsm-a', 2),
      ])
      .when(completeRawExport('op-1', B1, 3))
      .then([rawExported('op-1', 'hsm-a', B1, 3, { range: { start: 3, end: 32 } })]);
  });
});

describe('a hashsig raw export in flight', () => {
  it('records the blob as the holder of the whole remaining range', () => {
    spec
      .given([g, started])
      .when(completeRawExport('op-1', B1, 2))
      .then([exported]);
  });

  it('refuses a second operation on the copy', () => {
    spec
      .given([g, started])
      .when(startRawExport('op-2', 'hsm-a', 2))
      .thenThrows(
        OperationInProgress,
        `copy c0 is busy with raw-export op-1 from hsm-a, open since ${at(1)}; it must complete or fail first`,
      );
  });

  it('refuses to complete before the blob bytes are stored', () => {
    spec
      .given([g, started])
      .when({
        ...completeRawExport('op-1', B1, 2),
        data: { ...completeRawExport('op-1', B1, 2).data, storedBlob: null },
      })
      .thenThrows(
        BlobNotStored,
        'blob b1b1b1b1… is not stored: store it in blob-b1b1b1b1… before recording the export',
      );
  });

  it('refuses a blob said to be wrapped in another KEK domain than hsm-a was in', () => {
    spec
      .given([g, started])
      .when(completeRawExport('op-1', B1, 2, 'kd-2'))
      .thenThrows(InvalidCommand, 'hsm-a was in KEK domain kd-1 when op-1 started');
  });

  it('is released by FailOperation after a crash (the HSM shows the copy still live)', () => {
    spec
      .given([g, started])
      .when({
        type: 'FailOperation',
        data: { keyId: KEY, opId: 'op-1', reason: 'EXPORT_RAW never ran', at: at(3) },
      })
      .then([
        {
          type: 'KeyOperationFailed',
          data: {
            keyId: KEY,
            opId: 'op-1',
            kind: 'raw-export',
            reason: 'EXPORT_RAW never ran',
            abandonedBlobSha256: null,
            lostCopyId: null,
            at: at(3),
          },
        },
      ]);
  });
});

describe('a failed raw export', () => {
  const failed: KeyEvent = {
    type: 'KeyOperationFailed',
    data: {
      keyId: KEY,
      opId: 'op-1',
      kind: 'raw-export',
      reason: 'crash',
      abandonedBlobSha256: null,
      lostCopyId: null,
      at: at(3),
    },
  };

  it('no longer blocks a new export of the copy', () => {
    spec
      .given([g, started, failed])
      .when(startRawExport('op-2', 'hsm-a', 4))
      .then([rawExportStarted('op-2', 'hsm-a', 4)]);
  });

  it('records nothing when failed again', () => {
    spec
      .given([g, started, failed])
      .when({ type: 'FailOperation', data: { keyId: KEY, opId: 'op-1', reason: 'again', at: at(4) } })
      .then([]);
  });

  it('cannot complete any more', () => {
    spec
      .given([g, started, failed])
      .when(completeRawExport('op-1', B1, 4))
      .thenThrows(OperationClosed, 'operation op-1 failed at');
  });

  it('cannot reuse its opId', () => {
    spec
      .given([g, started, failed])
      .when(startRawExport('op-1', 'hsm-a', 4))
      .thenThrows(DuplicateOperation, 'operation op-1 already exists (raw-export failed at');
  });
});

describe('a hashsig key raw-exported to blob B1 (hsm-a disabled, not yet deleted)', () => {
  it('leaves an obligation to delete the disabled copy on hsm-a', () => {
    expect(openObligations(fold([g, started, exported]))).toEqual([
      {
        kind: 'delete-disabled-copy',
        hsmId: 'hsm-a',
        hsmKeyName: hsmName('hsm-a'),
        copyId: 'c0',
        blobSha256: B1,
        since: at(2),
      },
    ]);
    expect(liveHolders(fold([g, started, exported]))).toEqual([
      { copyId: 'c0', kind: 'blob', sha256: B1, since: at(2) },
    ]);
  });

  it('records the deletion, which clears the obligation and the residency', () => {
    spec
      .given([g, started, exported])
      .when({
        type: 'RecordDeletedFromHsm',
        data: { keyId: KEY, hsmId: 'hsm-a', reason: 'raw-exported', at: at(3) },
      })
      .then([deletedFromHsm('hsm-a', 3)]);
    const after = fold([g, started, exported, deletedFromHsm('hsm-a', 3)]);
    expect(openObligations(after)).toEqual([]);
    expect(after.status === 'live' && Object.keys(after.residency)).toEqual([]);
  });

  it('records nothing when the deletion is reported twice', () => {
    spec
      .given([g, started, exported, deletedFromHsm('hsm-a', 3)])
      .when({
        type: 'RecordDeletedFromHsm',
        data: { keyId: KEY, hsmId: 'hsm-a', reason: 'retry', at: at(4) },
      })
      .then([]);
  });

  it('refuses another raw export from the disabled copy', () => {
    spec
      .given([g, started, exported])
      .when(startRawExport('op-2', 'hsm-a', 3))
      .thenThrows(
        NotResident,
        `hsm-a's copy c0 was disabled by the raw export to blob b1b1b1b1… at ${at(2)} and awaits deletion`,
      );
  });

  it('treats a repeated completion with the same blob as already recorded', () => {
    spec
      .given([g, started, exported])
      .when(completeRawExport('op-1', B1, 3))
      .then([]);
  });

  it('refuses a second blob of the same frozen range from the same op (docs/libhal-rpc.md §9.2)', () => {
    spec
      .given([g, started, exported])
      .when(completeRawExport('op-1', B2, 3))
      .thenThrows(
        OperationClosed,
        `operation op-1 already completed at ${at(2)} with blob b1b1b1b1…; blob b2b2b2b2… is a second export of the same copy and is not accepted`,
      );
  });

  it('refuses to complete an operation that never started', () => {
    spec
      .given([g, started, exported])
      .when(completeRawExport('op-9', B2, 3))
      .thenThrows(UnknownOperation, `operation op-9 was never started for key ${KEY}`);
  });
});

describe('an RSA key on hsm-a with current blob B1', () => {
  const r = rsaGenerated();
  const rsaExported = rawExported('op-1', 'hsm-a', B1, 2);

  it('keeps hsm-a live after the export: many holders', () => {
    const state = fold([r, started, rsaExported]);
    expect(liveHolders(state)).toEqual([
      { copyId: 'c0', kind: 'hsm', hsmId: 'hsm-a', hsmKeyName: hsmName('hsm-a'), since: at(0) },
      { copyId: 'c0', kind: 'blob', sha256: B1, since: at(2) },
    ]);
    expect(openObligations(state)).toEqual([]);
  });

  it('makes a newer export current and supersedes B1', () => {
    spec
      .given([r, started, rsaExported, rawExportStarted('op-2', 'hsm-a', 3)])
      .when(completeRawExport('op-2', B2, 4))
      .then([rawExported('op-2', 'hsm-a', B2, 4, { supersedes: [B1] })]);
    const state = fold([
      r,
      started,
      rsaExported,
      rawExportStarted('op-2', 'hsm-a', 3),
      rawExported('op-2', 'hsm-a', B2, 4, { supersedes: [B1] }),
    ]);
    expect(currentBlob(state)?.sha256).toBe(B2);
    expect(state.status === 'live' && state.blobs[B1]?.status).toBe('superseded');
  });

  it('accepts an identical re-export (RFC 5649 is deterministic) without superseding itself', () => {
    spec
      .given([r, started, rsaExported, rawExportStarted('op-2', 'hsm-a', 3)])
      .when(completeRawExport('op-2', B1, 4))
      .then([rawExported('op-2', 'hsm-a', B1, 4)]);
  });
});

describe('an RSA key generated without EXPORTABLE', () => {
  it('refuses a raw export', () => {
    spec
      .given([rsaGenerated('hsm-a', 0x09)])
      .when(startRawExport('op-1', 'hsm-a', 1))
      .thenThrows(
        NotExportable,
        `key ${KEY} was generated without EXPORTABLE: raw export of key ${KEY} from hsm-a refused`,
      );
  });
});
