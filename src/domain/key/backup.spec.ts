import { InvalidCommand } from '../errors';
import { deciderSpec } from '../spec';
import type { RecordBackupExport, RecordBackupImport, RecordGeneratedKey } from './commands';
import { AlreadyResident, NotResident, OperationInProgress } from './errors';
import type { KeyEvent } from './events';
import { evolve } from './evolve';
import {
  at,
  deletedFromHsm,
  FLAGS,
  hashsigGenerated,
  hsmName,
  KEY,
  PUB,
  rawImportStarted,
  rsaGenerated,
  sha,
} from './fixtures';
import { keyDecider, liveHolders } from './index';
import { initialState, type BackupProvenance, type LiveKey } from './state';

const spec = deciderSpec(keyDecider);
const fold = (events: KeyEvent[]) => events.reduce(evolve, initialState()) as LiveKey;

const FILE = sha('f1');
const SOURCE = '0f0f0f0f-0000-4000-8000-000000000001';
const provenance: BackupProvenance = {
  format: 'cryptech-backup',
  fileSha256: FILE,
  sourceUuid: SOURCE,
  sourceFlags: 0x2b,
  kekekSpkiSha256: sha('ee'),
  kekekName: null,
};

const recordImported = (hsmId: string, hour: number, hsmKeyName = hsmName(hsmId)): RecordBackupImport => ({
  type: 'RecordBackupImport',
  data: { keyId: KEY, hsmId, hsmKeyName, provenance, at: at(hour) },
});
const backupImported = (hsmId: string, hour: number): KeyEvent => ({
  type: 'KeyBackupImported',
  data: { keyId: KEY, hsmId, hsmName: hsmName(hsmId), copyId: 'c0', provenance, at: at(hour) },
});
const recordExported = (hsmId: string, hour: number, sourceUuid = hsmName(hsmId)): RecordBackupExport => ({
  type: 'RecordBackupExport',
  data: { keyId: KEY, hsmId, fileSha256: FILE, kekekSpkiSha256: sha('ee'), sourceUuid, at: at(hour) },
});

describe('a key new to the ledger, imported from a cryptech_backup file', () => {
  const command = (keyType: 'ec' | 'hashsig', p: unknown = provenance): RecordGeneratedKey =>
    ({
      type: 'RecordGeneratedKey',
      data: {
        keyId: KEY,
        hsmId: 'hsm-b',
        hsmName: hsmName('hsm-b'),
        flags: FLAGS,
        publicKey: PUB,
        attributes: {},
        copyId: 'c0',
        provenance: p,
        at: at(1),
        ...(keyType === 'ec'
          ? { keyType, params: { curve: 'P-256' } }
          : { keyType, params: { levels: 1, lmsType: 5, lmotsType: 3, I: '10'.repeat(16) } }),
      },
    }) as RecordGeneratedKey;

  it('is recorded as KeyGenerated carrying its provenance', () =>
    spec
      .given([])
      .when(command('ec'))
      .then([
        {
          type: 'KeyGenerated',
          data: {
            keyId: KEY,
            hsmId: 'hsm-b',
            hsmName: hsmName('hsm-b'),
            flags: FLAGS,
            publicKey: PUB,
            attributes: {},
            copyId: 'c0',
            provenance,
            at: at(1),
            keyType: 'ec',
            params: { curve: 'P-256' },
            range: null,
          },
        },
      ]));

  it('is refused for a hashsig key: the format cannot carry its state', () => {
    spec
      .given([])
      .when(command('hashsig'))
      .thenThrows(InvalidCommand, 'a hashsig key cannot come from a cryptech_backup file');
  });

  it('is refused with a provenance that is not a cryptech_backup record', () => {
    spec
      .given([])
      .when(command('ec', { ...provenance, fileSha256: 'nope' }))
      .thenThrows(InvalidCommand, '"provenance.fileSha256"');
    spec
      .given([])
      .when(command('ec', { ...provenance, format: 'pkcs12' }))
      .thenThrows(InvalidCommand, '"provenance.format"');
  });
});

describe('a key the ledger holds, imported from a cryptech_backup file onto another HSM', () => {
  it('gets that HSM as a holder of its copy', () => {
    spec
      .given([rsaGenerated('hsm-a')])
      .when(recordImported('hsm-b', 1))
      .then([backupImported('hsm-b', 1)]);
    const state = fold([rsaGenerated('hsm-a'), backupImported('hsm-b', 1)]);
    expect(liveHolders(state).map((h) => (h.kind === 'hsm' ? h.hsmId : h.kind))).toEqual(['hsm-a', 'hsm-b']);
  });

  it('records nothing when the same import is recorded again', () => {
    spec
      .given([rsaGenerated('hsm-a'), backupImported('hsm-b', 1)])
      .when(recordImported('hsm-b', 2))
      .then([]);
  });

  it('is refused on an HSM that already holds the key under another name', () => {
    spec
      .given([rsaGenerated('hsm-b')])
      .when(recordImported('hsm-b', 1, SOURCE))
      .thenThrows(AlreadyResident, 'hsm-b already holds key');
  });

  it('is refused while an operation of the key runs on that HSM', () => {
    spec
      .given([rsaGenerated('hsm-a'), rawImportStarted('op-1', 'hsm-b', sha('b1'), 1)])
      .when(recordImported('hsm-b', 2))
      .thenThrows(OperationInProgress, 'hsm-b is busy');
  });

  it('is refused for a hashsig key', () => {
    spec
      .given([hashsigGenerated('hsm-a')])
      .when(recordImported('hsm-b', 1))
      .thenThrows(InvalidCommand, 'a cryptech_backup file cannot carry its state');
  });
});

describe('a key written to a cryptech_backup file', () => {
  it('records the file and the KEKEK, and changes no holder', () => {
    spec
      .given([rsaGenerated('hsm-a')])
      .when(recordExported('hsm-a', 1))
      .then([
        {
          type: 'KeyBackupExported',
          data: {
            keyId: KEY,
            hsmId: 'hsm-a',
            copyId: 'c0',
            fileSha256: FILE,
            kekekSpkiSha256: sha('ee'),
            sourceUuid: hsmName('hsm-a'),
            at: at(1),
          },
        },
      ]);
  });

  it('is refused from an HSM that does not hold the key, or under another key name', () => {
    spec
      .given([rsaGenerated('hsm-a'), deletedFromHsm('hsm-a', 1)])
      .when(recordExported('hsm-a', 2))
      .thenThrows(NotResident, 'hsm-a holds no copy');
    spec
      .given([rsaGenerated('hsm-a')])
      .when(recordExported('hsm-a', 1, SOURCE))
      .thenThrows(InvalidCommand, `"sourceUuid" is ${SOURCE}`);
  });

  it('is refused for a key without EXPORTABLE, and for a hashsig key', () => {
    spec
      .given([rsaGenerated('hsm-a', 0x09)])
      .when(recordExported('hsm-a', 1))
      .thenThrows(Error, 'without EXPORTABLE');
    spec
      .given([hashsigGenerated('hsm-a')])
      .when(recordExported('hsm-a', 1))
      .thenThrows(InvalidCommand, 'a cryptech_backup file cannot carry its state');
  });
});
