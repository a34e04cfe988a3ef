/**
 * Keys in cryptech_backup files (docs/libhal-rpc.md §8): a known key imported from one onto another
 * HSM, and a key written to one. Both are RSA/EC only: the format cannot carry a hashsig key's
 * state. A key new to the ledger is recorded by RecordGeneratedKey with its provenance (decide.ts).
 *
 * Rules: an import is refused on an HSM that already holds the key, or one with an operation of
 * this key under way; the import of the same key name is a repeat (no event). An export is
 * recorded only from an HSM that holds a live copy, and only for an EXPORTABLE key; a frozen key
 * (hashsig only) never gets here. Neither command opens an operation: the HSM step is done when
 * they are decided (the handler checked the HSM).
 */
import { aId, aInt, aSha256, aUuid } from '../assert';
import { InvalidCommand } from '../errors';
import { lookup } from '../message';
import type { RecordBackupExport, RecordBackupImport } from './commands';
import { AlreadyResident, NotResident } from './errors';
import type { KeyEvent } from './events';
import { refuseConflictingOp, requireExportable } from './guards';
import type { BackupProvenance, LiveKey } from './state';

/** Checks a provenance record field by field (RecordGeneratedKey and RecordBackupImport carry one). */
export function checkProvenance(p: BackupProvenance): void {
  if (typeof p !== 'object' || p === null)
    throw new InvalidCommand(`"provenance" expected an object, got ${String(p)}`);
  if (p.format !== 'cryptech-backup')
    throw new InvalidCommand(
      `"provenance.format" expected "cryptech-backup", got ${JSON.stringify(p.format)}`,
    );
  aSha256('provenance.fileSha256', p.fileSha256);
  aUuid('provenance.sourceUuid', p.sourceUuid);
  aInt('provenance.sourceFlags', p.sourceFlags, 0, 0xffffffff);
  aSha256('provenance.kekekSpkiSha256', p.kekekSpkiSha256);
  if (p.kekekName !== null) aUuid('provenance.kekekName', p.kekekName);
}

function requirePlain(state: LiveKey, refused: string): void {
  if (state.keyType === 'hashsig')
    throw new InvalidCommand(
      `${refused} refused: key ${state.keyId} is a hashsig key, and a cryptech_backup file cannot carry its state`,
    );
}

export function recordBackupImport(state: LiveKey, c: RecordBackupImport['data']): KeyEvent[] {
  aId('hsmId', c.hsmId);
  aUuid('hsmKeyName', c.hsmKeyName);
  checkProvenance(c.provenance);
  const refused = `recording the import of key ${state.keyId} onto ${c.hsmId} from a cryptech_backup file`;
  requirePlain(state, refused);
  const there = lookup(state.residency, c.hsmId);
  if (there !== undefined) {
    if (there.hsmKeyName === c.hsmKeyName) return [];
    throw new AlreadyResident(state.keyId, c.hsmId, there.hsmKeyName, there.since, refused);
  }
  refuseConflictingOp(state, { copyIds: [], hsmIds: [c.hsmId] }, refused);
  return [
    {
      type: 'KeyBackupImported',
      data: {
        keyId: state.keyId,
        hsmId: c.hsmId,
        hsmName: c.hsmKeyName,
        copyId: state.originCopyId,
        provenance: provenanceOf(c.provenance),
        at: c.at,
      },
    },
  ];
}

export function recordBackupExport(state: LiveKey, c: RecordBackupExport['data']): KeyEvent[] {
  aId('hsmId', c.hsmId);
  aSha256('fileSha256', c.fileSha256);
  aSha256('kekekSpkiSha256', c.kekekSpkiSha256);
  aUuid('sourceUuid', c.sourceUuid);
  const refused = `recording the export of key ${state.keyId} from ${c.hsmId} to a cryptech_backup file`;
  requirePlain(state, refused);
  requireExportable(state, refused);
  const r = lookup(state.residency, c.hsmId);
  if (r === undefined || r.status !== 'live') throw new NotResident(state.keyId, c.hsmId, refused);
  if (r.hsmKeyName !== c.sourceUuid)
    throw new InvalidCommand(
      `"sourceUuid" is ${c.sourceUuid}, but ${c.hsmId} holds key ${state.keyId} as ${r.hsmKeyName}`,
    );
  return [
    {
      type: 'KeyBackupExported',
      data: {
        keyId: state.keyId,
        hsmId: c.hsmId,
        copyId: r.copyId,
        fileSha256: c.fileSha256,
        kekekSpkiSha256: c.kekekSpkiSha256,
        sourceUuid: c.sourceUuid,
        at: c.at,
      },
    },
  ];
}

/** The record as the event keeps it: exactly these fields, in this order. */
export function provenanceOf(p: BackupProvenance): BackupProvenance {
  return {
    format: p.format,
    fileSha256: p.fileSha256,
    sourceUuid: p.sourceUuid,
    sourceFlags: p.sourceFlags,
    kekekSpkiSha256: p.kekekSpkiSha256,
    kekekName: p.kekekName,
  };
}
