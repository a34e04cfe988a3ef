/**
 * Raw export and import (docs/architecture.md §3, §4; docs/libhal-rpc.md §9.2): EXPORT_RAW wraps the key under the HSM's
 * master KEK, so its blob imports only within that KEK domain.
 */
import { aId, aOneOf, aSha256, aUuid } from '../assert';
import { InvalidCommand } from '../errors';
import { abbr } from '../format';
import { from } from '../hashsig';
import { lookup } from '../message';
import {
  MOVE_REASONS,
  type CompleteRawExport,
  type CompleteRawImport,
  type MoveReason,
  type StartRawExport,
  type StartRawImport,
} from './commands';
import {
  AlreadyResident,
  BlobConflict,
  BlobNotImportable,
  NoKekDomain,
  NotResident,
  OperationClosed,
  StaleBlob,
  UnknownBlob,
  WrongKekDomain,
} from './errors';
import type { KeyEvent } from './events';
import {
  opFor,
  refuseConflictingOp,
  refuseIfFrozen,
  requireExportable,
  requireFreshOpId,
  requireStored,
} from './guards';
import { blobVerdict, nextTop } from './queries';
import type { LiveKey } from './state';

export function startRawExport(state: LiveKey, c: StartRawExport['data']): KeyEvent[] {
  aId('opId', c.opId);
  aId('hsmId', c.hsmId);
  const refused = `raw export of key ${state.keyId} from ${c.hsmId}`;
  refuseIfFrozen(state, refused);
  requireFreshOpId(state, c.opId);
  requireExportable(state, refused);
  const r = lookup(state.residency, c.hsmId);
  if (r === undefined) throw new NotResident(state.keyId, c.hsmId, refused);
  if (r.disabledBy !== null) {
    throw new NotResident(
      state.keyId,
      c.hsmId,
      refused,
      `${c.hsmId}'s copy ${r.copyId} was disabled by the raw export to blob ${abbr(r.disabledBy.blobSha256)} at ${r.disabledBy.at} and awaits deletion`,
    );
  }
  if (c.hsmKekDomainId === null) throw new NoKekDomain(c.hsmId, refused);
  aId('hsmKekDomainId', c.hsmKekDomainId);
  refuseConflictingOp(state, { copyIds: [r.copyId], hsmIds: [c.hsmId] }, refused);
  return [
    {
      type: 'KeyRawExportStarted',
      data: {
        keyId: state.keyId,
        opId: c.opId,
        hsmId: c.hsmId,
        copyId: r.copyId,
        kekDomainId: c.hsmKekDomainId,
        ...moveReason(c.reason),
        at: c.at,
      },
    },
  ];
}

/** The optional `reason` of a move, checked and carried onto its intent event. */
function moveReason(reason: MoveReason | undefined): { reason?: MoveReason } {
  if (reason === undefined) return {};
  aOneOf('reason', reason, MOVE_REASONS);
  return { reason };
}

/**
 * Completes at most once. A repeat with the same blob is a no-op; a different blob for a completed
 * export is refused — docs/libhal-rpc.md §9.2: re-exporting an already-disabled hashsig key returns a blob
 * of the same frozen range, and the ledger accepts only one of them as current.
 */
export function completeRawExport(state: LiveKey, c: CompleteRawExport['data']): KeyEvent[] {
  aId('opId', c.opId);
  aSha256('blobSha256', c.blobSha256);
  aId('kekDomainId', c.kekDomainId);
  const found = opFor(state, c.opId, 'raw-export');
  if ('closed' in found) {
    if (found.closed.outcome === 'completed' && found.closed.blobSha256 === c.blobSha256) return [];
    throw new OperationClosed(
      c.opId,
      found.closed.outcome === 'failed'
        ? `failed at ${found.closed.at}; blob ${abbr(c.blobSha256)} cannot complete it`
        : `already completed at ${found.closed.at} with blob ${abbr(found.closed.blobSha256 ?? '?')}; blob ${abbr(c.blobSha256)} is a second export of the same copy and is not accepted`,
    );
  }
  const op = found.open;
  if (c.kekDomainId !== op.kekDomainId) {
    throw new InvalidCommand(
      `"kekDomainId" is ${c.kekDomainId}, but ${op.hsmId} was in KEK domain ${op.kekDomainId} when ${c.opId} started`,
    );
  }
  requireStored(state, c.blobSha256, 'raw', c.storedBlob);
  const known = lookup(state.blobs, c.blobSha256);
  if (known !== undefined && known.copyId !== op.copyId) {
    throw new BlobConflict(c.blobSha256, `already belongs to copy ${known.copyId}, not ${op.copyId}`);
  }
  const copy = lookup(state.copies, op.copyId);
  const hashsig = copy?.kind === 'hashsig' ? copy : null;
  // A later export of the copy supersedes its earlier blobs; for hashsig that includes consumed ones.
  const supersedes = Object.values(state.blobs)
    .filter(
      (b) =>
        b.copyId === op.copyId &&
        b.sha256 !== c.blobSha256 &&
        b.kind === 'raw' &&
        (b.status === 'current' || (hashsig !== null && b.status === 'consumed')),
    )
    .map((b) => b.sha256)
    .sort();
  return [
    {
      type: 'KeyRawExported',
      data: {
        keyId: state.keyId,
        opId: c.opId,
        hsmId: op.hsmId,
        blobSha256: c.blobSha256,
        kekDomainId: op.kekDomainId,
        copyId: op.copyId,
        range: hashsig === null ? null : from(hashsig.range, nextTop(hashsig)),
        supersedes,
        at: c.at,
      },
    },
  ];
}

export function startRawImport(state: LiveKey, c: StartRawImport['data']): KeyEvent[] {
  aId('opId', c.opId);
  aId('hsmId', c.hsmId);
  aSha256('blobSha256', c.blobSha256);
  const refused = `raw import of blob ${abbr(c.blobSha256)} onto ${c.hsmId}`;
  refuseIfFrozen(state, refused);
  requireFreshOpId(state, c.opId);
  const blob = lookup(state.blobs, c.blobSha256);
  if (blob === undefined) throw new UnknownBlob(state.keyId, c.blobSha256);
  if (blob.kind === 'transit')
    throw new BlobNotImportable(
      c.blobSha256,
      `it is a transit blob (op ${blob.opId}), wrapped for one HSM's KEKEK`,
    );
  if (blob.status === 'destroyed')
    throw new BlobNotImportable(c.blobSha256, `it was destroyed at ${blob.statusSince}`);
  const verdict = blobVerdict(state, c.blobSha256);
  if (!verdict.accepted) throw new StaleBlob(c.blobSha256, verdict.reason);
  if (c.hsmKekDomainId === null || c.hsmKekDomainId !== blob.kekDomainId) {
    throw new WrongKekDomain(c.blobSha256, blob.kekDomainId ?? '?', c.hsmId, c.hsmKekDomainId);
  }
  const r = lookup(state.residency, c.hsmId);
  if (r !== undefined) throw new AlreadyResident(state.keyId, c.hsmId, r.hsmKeyName, r.since, refused);
  refuseConflictingOp(state, { copyIds: [blob.copyId], hsmIds: [c.hsmId] }, refused);
  return [
    {
      type: 'KeyRawImportStarted',
      data: {
        keyId: state.keyId,
        opId: c.opId,
        hsmId: c.hsmId,
        blobSha256: c.blobSha256,
        copyId: blob.copyId,
        kekDomainId: c.hsmKekDomainId,
        ...moveReason(c.reason),
        at: c.at,
      },
    },
  ];
}

export function completeRawImport(state: LiveKey, c: CompleteRawImport['data']): KeyEvent[] {
  aId('opId', c.opId);
  aUuid('hsmKeyName', c.hsmKeyName);
  const found = opFor(state, c.opId, 'raw-import');
  if ('closed' in found) {
    if (found.closed.outcome === 'completed' && found.closed.hsmName === c.hsmKeyName) return [];
    throw new OperationClosed(
      c.opId,
      found.closed.outcome === 'failed'
        ? `failed at ${found.closed.at}; it cannot complete`
        : `already completed at ${found.closed.at} as key name ${found.closed.hsmName ?? '?'}, not ${c.hsmKeyName}`,
    );
  }
  const op = found.open;
  return [
    {
      type: 'KeyRawImported',
      data: {
        keyId: state.keyId,
        opId: c.opId,
        hsmId: op.hsmId,
        hsmName: c.hsmKeyName,
        blobSha256: op.blobSha256,
        copyId: op.copyId,
        at: c.at,
      },
    },
  ];
}
