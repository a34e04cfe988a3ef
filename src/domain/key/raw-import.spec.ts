import { deciderSpec } from '../spec';
import {
  AlreadyResident,
  BlobNotImportable,
  OperationInProgress,
  StaleBlob,
  UnknownBlob,
  WrongKekDomain,
} from './errors';
import type { KeyEvent } from './events';
import {
  at,
  completeRawExport,
  completeRawImport,
  deletedFromHsm,
  hashsigGenerated,
  hsmName,
  KEY,
  path1,
  rawExported,
  rawExportStarted,
  rawImported,
  rawImportStarted,
  released,
  rsaGenerated,
  sha,
  startRawImport,
} from './fixtures';
import { blobVerdict, currentBlob, keyDecider, liveHolders } from './index';
import { evolve } from './evolve';
import { initialState } from './state';

const spec = deciderSpec(keyDecider);
const fold = (events: KeyEvent[]) => events.reduce(evolve, initialState());
const B1 = sha('b1');
const B2 = sha('b2');
const B3 = sha('b3');

// Hashsig key: exported from hsm-a to B1, hsm-a's disabled copy deleted.
const inB1: KeyEvent[] = [
  hashsigGenerated(),
  rawExportStarted('op-1', 'hsm-a', 1),
  rawExported('op-1', 'hsm-a', B1, 2, { range: { start: 0, end: 32 } }),
  deletedFromHsm('hsm-a', 3),
];
// …then imported on hsm-b, used for two signatures, raw-exported again to B2, hsm-b's copy deleted.
const inB2: KeyEvent[] = [
  ...inB1,
  rawImportStarted('op-2', 'hsm-b', B1, 4),
  rawImported('op-2', 'hsm-b', B1, 5),
  released('c0', 'hsm-b', [path1(0), path1(1)], 6),
  rawExportStarted('op-3', 'hsm-b', 7),
  rawExported('op-3', 'hsm-b', B2, 8, { range: { start: 2, end: 32 }, supersedes: [B1] }),
  deletedFromHsm('hsm-b', 9),
];
// …then B2 imported on hsm-c.
const onC: KeyEvent[] = [
  ...inB2,
  rawImportStarted('op-4', 'hsm-c', B2, 10),
  rawImported('op-4', 'hsm-c', B2, 11),
];

describe('a hashsig key whose current blob is B1', () => {
  it('starts importing B1 on an HSM of its KEK domain', () => {
    spec
      .given(inB1)
      .when(startRawImport('op-2', 'hsm-b', B1, 4))
      .then([rawImportStarted('op-2', 'hsm-b', B1, 4)]);
  });

  it('refuses the import on an HSM of another KEK domain', () => {
    spec
      .given(inB1)
      .when(startRawImport('op-2', 'hsm-b', B1, 4, 'kd-2'))
      .thenThrows(
        WrongKekDomain,
        "wrong KEK domain: blob b1b1b1b1… is wrapped under KEK domain kd-1's master KEK, but hsm-b is in KEK domain kd-2; it cannot unwrap it",
      );
  });

  it('refuses the import on an HSM in no KEK domain', () => {
    spec
      .given(inB1)
      .when(startRawImport('op-2', 'hsm-b', B1, 4, null))
      .thenThrows(WrongKekDomain, 'but hsm-b is in no KEK domain');
  });

  it('refuses a blob that is not one of this key', () => {
    spec
      .given(inB1)
      .when(startRawImport('op-2', 'hsm-b', B3, 4))
      .thenThrows(UnknownBlob, `blob b3b3b3b3… is not a blob of key ${KEY}`);
  });
});

describe('a hashsig key with an import of B1 onto hsm-b in flight', () => {
  const inFlight = [...inB1, rawImportStarted('op-2', 'hsm-b', B1, 4)];

  it('refuses a second import of the same current blob while the first is in flight', () => {
    spec
      .given(inFlight)
      .when(startRawImport('op-3', 'hsm-c', B1, 5))
      .thenThrows(
        OperationInProgress,
        `raw import of blob b1b1b1b1… onto hsm-c refused: copy c0 is busy with raw-import op-2 of blob b1b1b1b1… onto hsm-b, open since ${at(4)}; it must complete or fail first`,
      );
  });

  it('completes with the key name hsm-b gave the imported key', () => {
    spec
      .given(inFlight)
      .when(completeRawImport('op-2', 'hsm-b', 5))
      .then([rawImported('op-2', 'hsm-b', B1, 5)]);
  });

  it('after FailOperation (crash, nothing on hsm-b) lets the other import start', () => {
    const failed: KeyEvent = {
      type: 'KeyOperationFailed',
      data: {
        keyId: KEY,
        opId: 'op-2',
        kind: 'raw-import',
        reason: 'no such key on hsm-b',
        abandonedBlobSha256: null,
        lostCopyId: null,
        at: at(5),
      },
    };
    spec
      .given([...inFlight, failed])
      .when(startRawImport('op-3', 'hsm-c', B1, 6))
      .then([rawImportStarted('op-3', 'hsm-c', B1, 6)]);
  });
});

describe('a hashsig key imported from B1 onto hsm-b', () => {
  const onB = [...inB1, rawImportStarted('op-2', 'hsm-b', B1, 4), rawImported('op-2', 'hsm-b', B1, 5)];

  it('makes hsm-b the holder and B1 consumed', () => {
    const state = fold(onB);
    expect(liveHolders(state)).toEqual([
      { copyId: 'c0', kind: 'hsm', hsmId: 'hsm-b', hsmKeyName: hsmName('hsm-b'), since: at(5) },
    ]);
    expect(currentBlob(state)).toBeUndefined();
  });

  it('refuses to import the consumed blob again, naming the holder', () => {
    spec
      .given(onB)
      .when(startRawImport('op-3', 'hsm-c', B1, 6))
      .thenThrows(
        StaleBlob,
        `blob b1b1b1b1… is consumed by hsm-b; copy c0 of key ${KEY} is held by hsm-b since ${at(5)}; importing it would reuse hashsig state`,
      );
  });

  it('treats a repeated completion with the same key name as recorded', () => {
    spec
      .given(onB)
      .when(completeRawImport('op-2', 'hsm-b', 6))
      .then([]);
  });
});

describe('a hashsig key exported, imported, used and re-exported (B1 superseded by B2)', () => {
  it('refuses importing the earlier blob, naming the current blob', () => {
    spec
      .given(inB2)
      .when(startRawImport('op-4', 'hsm-a', B1, 10))
      .thenThrows(
        StaleBlob,
        `blob b1b1b1b1… is superseded by b2b2b2b2…; copy c0 of key ${KEY} is held by blob b2b2b2b2… since ${at(8)}`,
      );
  });

  it('imports the current blob B2', () => {
    spec
      .given(inB2)
      .when(startRawImport('op-4', 'hsm-c', B2, 10))
      .then([rawImportStarted('op-4', 'hsm-c', B2, 10)]);
  });

  it('refuses importing the earlier blob once B2 is on hsm-c, naming hsm-c as holder', () => {
    spec
      .given(onC)
      .when(startRawImport('op-5', 'hsm-a', B1, 12))
      .thenThrows(
        StaleBlob,
        `blob b1b1b1b1… is superseded by b2b2b2b2…; copy c0 of key ${KEY} is held by hsm-c since ${at(11)}`,
      );
  });

  it('gives the same verdict to a blob presented from outside', () => {
    expect(blobVerdict(fold(onC), B1)).toEqual({
      accepted: false,
      reason: `blob b1b1b1b1… is superseded by b2b2b2b2…; copy c0 of key ${KEY} is held by hsm-c since ${at(11)}`,
      currentBlobSha256: null,
      currentHolder: 'hsm-c',
    });
    expect(blobVerdict(fold(inB2), B1)).toMatchObject({
      accepted: false,
      currentBlobSha256: B2,
      currentHolder: `blob ${B2}`,
    });
    expect(blobVerdict(fold(inB2), B2)).toEqual({ accepted: true, copyId: 'c0' });
  });
});

describe('an RSA key on hsm-a with raw blobs B1 (superseded) and B2 (current)', () => {
  const rsa: KeyEvent[] = [
    rsaGenerated(),
    rawExportStarted('op-1', 'hsm-a', 1),
    rawExported('op-1', 'hsm-a', B1, 2),
    rawExportStarted('op-2', 'hsm-a', 3),
    rawExported('op-2', 'hsm-a', B2, 4, { supersedes: [B1] }),
  ];

  it('imports the current blob onto hsm-b while hsm-a keeps it: many holders', () => {
    spec
      .given(rsa)
      .when(startRawImport('op-3', 'hsm-b', B2, 5))
      .then([rawImportStarted('op-3', 'hsm-b', B2, 5)]);
    const state = fold([
      ...rsa,
      rawImportStarted('op-3', 'hsm-b', B2, 5),
      rawImported('op-3', 'hsm-b', B2, 6),
    ]);
    expect(liveHolders(state).map((h) => (h.kind === 'hsm' ? h.hsmId : h.sha256))).toEqual([
      'hsm-a',
      'hsm-b',
      B2,
    ]);
    expect(currentBlob(state)?.status).toBe('current');
  });

  it('still imports the superseded blob (RSA/EC blobs are interchangeable)', () => {
    spec
      .given(rsa)
      .when(startRawImport('op-3', 'hsm-b', B1, 5))
      .then([rawImportStarted('op-3', 'hsm-b', B1, 5)]);
  });

  it('imports onto two HSMs side by side', () => {
    spec
      .given([...rsa, rawImportStarted('op-3', 'hsm-b', B2, 5)])
      .when(startRawImport('op-4', 'hsm-c', B2, 6))
      .then([rawImportStarted('op-4', 'hsm-c', B2, 6)]);
  });

  it('refuses an import onto an HSM that already holds the key', () => {
    spec
      .given(rsa)
      .when(startRawImport('op-3', 'hsm-a', B2, 5))
      .thenThrows(
        AlreadyResident,
        `raw import of blob b2b2b2b2… onto hsm-a refused: hsm-a already holds key ${KEY} (key name ${hsmName('hsm-a')}, since ${at(0)})`,
      );
  });

  it('refuses a second operation on the same HSM', () => {
    spec
      .given([...rsa, rawImportStarted('op-3', 'hsm-b', B2, 5)])
      .when(startRawImport('op-4', 'hsm-b', B1, 6))
      .thenThrows(OperationInProgress, 'hsm-b is busy with raw-import op-3');
  });

  it('accepts a completed raw export from another op while one is open elsewhere', () => {
    spec
      .given([...rsa, rawImportStarted('op-3', 'hsm-b', B2, 5), rawExportStarted('op-4', 'hsm-a', 6)])
      .when(completeRawExport('op-4', B1, 7))
      .then([rawExported('op-4', 'hsm-a', B1, 7, { supersedes: [B2] })]);
  });
});

describe('a key with a transit blob', () => {
  it('refuses to raw-import it', () => {
    const T = sha('7a');
    const withTransit: KeyEvent[] = [
      rsaGenerated(),
      {
        type: 'KekekGenerated',
        data: {
          keyId: KEY,
          opId: 'op-1',
          hsmId: 'hsm-b',
          kekekName: 'cccccccc-0000-4000-8000-0000000000ee',
          spkiSha256: sha('ee'),
          at: at(1),
        },
      },
      {
        type: 'KeyTransferStarted',
        data: {
          keyId: KEY,
          opId: 'op-1',
          fromHsm: 'hsm-a',
          toHsm: 'hsm-b',
          copyId: 'c0',
          kekekName: 'cccccccc-0000-4000-8000-0000000000ee',
          kekekSpkiSha256: sha('ee'),
          at: at(1),
        },
      },
      {
        type: 'KeyTransitExported',
        data: {
          keyId: KEY,
          opId: 'op-1',
          fromHsm: 'hsm-a',
          toHsm: 'hsm-b',
          sourceCopyId: 'c0',
          copyId: 'c0',
          partition: null,
          transitBlobSha256: T,
          at: at(2),
        },
      },
    ];
    spec
      .given(withTransit)
      .when(startRawImport('op-2', 'hsm-c', T, 3))
      .thenThrows(BlobNotImportable, 'it is a transit blob (op op-1)');
  });
});
