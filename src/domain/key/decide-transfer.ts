/**
 * HSM-to-HSM transfer under a transit KEK (docs/architecture.md §4; docs/libhal-rpc.md §5, §7.6): the destination
 * generates the KEKEK, the source EXPORTs to it, the destination IMPORTs. For hashsig the export
 * splits the copy: the source keeps `[q, mid)`, a new copy gets `[mid, end)`.
 */
import { aId, aSha256, aUuid } from '../assert';
import { InvalidCommand } from '../errors';
import { abbr } from '../format';
import {
  equals,
  formatRange,
  from,
  isRange,
  type Partition,
  type Range,
  size,
  transitPartition,
} from '../hashsig';
import { lookup } from '../message';
import type {
  CompleteTransitExport,
  CompleteTransitImport,
  PrepareTransfer,
  StartTransfer,
} from './commands';
import {
  AlreadyResident,
  BlobConflict,
  HashsigExhausted,
  NotResident,
  OperationClosed,
  PartitionMismatch,
  UnknownOperation,
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
import { nextTop } from './queries';
import type { LiveKey } from './state';

/**
 * The intent, before the destination generates the KEKEK (docs/architecture.md §4). All refusals happen here,
 * so a refused transfer leaves nothing on the destination; StartTransfer repeats the ones a
 * signature or a freeze since could have changed.
 */
export function prepareTransfer(state: LiveKey, c: PrepareTransfer['data']): KeyEvent[] {
  aId('opId', c.opId);
  aId('fromHsm', c.fromHsm);
  aId('toHsm', c.toHsm);
  if (!Array.isArray(c.priorKekekNames))
    throw new InvalidCommand(`"priorKekekNames" expected an array of HSM key names`);
  c.priorKekekNames.forEach((n, i) => aUuid(`priorKekekNames[${i}]`, n));
  requireFreshOpId(state, c.opId);
  const copyId = checkTransfer(state, c.fromHsm, c.toHsm, null);
  return [
    {
      type: 'KeyTransferPrepared',
      data: {
        keyId: state.keyId,
        opId: c.opId,
        fromHsm: c.fromHsm,
        toHsm: c.toHsm,
        copyId,
        priorKekekNames: [...c.priorKekekNames].sort(),
        at: c.at,
      },
    },
  ];
}

/** The KEKEK the destination generated for the prepared op `opId`: its provenance, and the start. */
export function startTransfer(state: LiveKey, c: StartTransfer['data']): KeyEvent[] {
  aId('opId', c.opId);
  aId('fromHsm', c.fromHsm);
  aId('toHsm', c.toHsm);
  aId('kekek.hsmId', c.kekek.hsmId);
  aUuid('kekek.kekekName', c.kekek.kekekName);
  aSha256('kekek.spkiSha256', c.kekek.spkiSha256);
  if (c.kekek.hsmId !== c.toHsm) {
    throw new InvalidCommand(
      `"kekek.hsmId" is ${c.kekek.hsmId}: the KEKEK must be generated on the destination ${c.toHsm} (docs/architecture.md §4)`,
    );
  }
  const found = opFor(state, c.opId, 'transfer');
  if ('closed' in found)
    throw new OperationClosed(c.opId, `${found.closed.outcome} at ${found.closed.at}; it cannot start now`);
  const op = found.open;
  if (op.kekek !== null) {
    if (op.kekek.kekekName === c.kekek.kekekName && op.kekek.spkiSha256 === c.kekek.spkiSha256) return [];
    throw new OperationClosed(c.opId, `already started with KEKEK ${op.kekek.kekekName}`);
  }
  if (op.fromHsm !== c.fromHsm || op.toHsm !== c.toHsm) {
    throw new InvalidCommand(
      `transfer ${c.opId} was prepared from ${op.fromHsm} to ${op.toHsm}, not from ${c.fromHsm} to ${c.toHsm}`,
    );
  }
  const copyId = checkTransfer(state, c.fromHsm, c.toHsm, c.opId);
  return [
    {
      type: 'KekekGenerated',
      data: {
        keyId: state.keyId,
        opId: c.opId,
        hsmId: c.toHsm,
        kekekName: c.kekek.kekekName,
        spkiSha256: c.kekek.spkiSha256,
        at: c.at,
      },
    },
    {
      type: 'KeyTransferStarted',
      data: {
        keyId: state.keyId,
        opId: c.opId,
        fromHsm: c.fromHsm,
        toHsm: c.toHsm,
        copyId,
        kekekName: c.kekek.kekekName,
        kekekSpkiSha256: c.kekek.spkiSha256,
        at: c.at,
      },
    },
  ];
}

/** The refusals of a transfer; `ownOpId` (when starting a prepared op) is not a conflict. Returns the source copy. */
function checkTransfer(state: LiveKey, fromHsm: string, toHsm: string, ownOpId: string | null): string {
  const refused = `transfer of key ${state.keyId} from ${fromHsm} to ${toHsm}`;
  if (fromHsm === toHsm)
    throw new InvalidCommand(`"toHsm" is the source ${fromHsm}; a transfer needs another HSM`);
  refuseIfFrozen(state, refused);
  requireExportable(state, refused);
  const source = lookup(state.residency, fromHsm);
  if (source === undefined || source.status !== 'live') {
    throw new NotResident(
      state.keyId,
      fromHsm,
      refused,
      source === undefined ? undefined : `${fromHsm}'s copy ${source.copyId} is disabled`,
    );
  }
  const dest = lookup(state.residency, toHsm);
  if (dest !== undefined) throw new AlreadyResident(state.keyId, toHsm, dest.hsmKeyName, dest.since, refused);
  const others =
    ownOpId === null
      ? state
      : { ...state, ops: Object.fromEntries(Object.entries(state.ops).filter(([id]) => id !== ownOpId)) };
  refuseConflictingOp(others, { copyIds: [source.copyId], hsmIds: [fromHsm, toHsm] }, refused);
  const copy = lookup(state.copies, source.copyId);
  if (copy?.kind === 'hashsig') {
    const left = from(copy.range, nextTop(copy));
    if (size(left) < 2) {
      throw new HashsigExhausted(
        copy.copyId,
        `has ${size(left)} top-level leaves left (${formatRange(left)}); a transit export needs 2 (docs/libhal-rpc.md §7.6, HASHSIG_KEY_EXHAUSTED)`,
      );
    }
  }
  return source.copyId;
}

export function completeTransitExport(state: LiveKey, c: CompleteTransitExport['data']): KeyEvent[] {
  aId('opId', c.opId);
  aSha256('transitBlobSha256', c.transitBlobSha256);
  const found = opFor(state, c.opId, 'transfer');
  if ('closed' in found) {
    if (found.closed.outcome === 'completed' && found.closed.blobSha256 === c.transitBlobSha256) return [];
    throw new OperationClosed(
      c.opId,
      `${found.closed.outcome} at ${found.closed.at}; its export cannot be recorded now`,
    );
  }
  const op = found.open;
  if (op.exported !== null) {
    if (op.exported.transitBlobSha256 === c.transitBlobSha256) return [];
    throw new OperationClosed(
      c.opId,
      `already recorded its export at ${op.exported.at} as blob ${abbr(op.exported.transitBlobSha256)}; a second export ${abbr(c.transitBlobSha256)} is not accepted`,
    );
  }
  requireStored(state, c.transitBlobSha256, 'transit', c.storedBlob);
  if (lookup(state.blobs, c.transitBlobSha256) !== undefined)
    throw new BlobConflict(c.transitBlobSha256, `is already a blob of key ${state.keyId}`);
  const source = lookup(state.copies, op.copyId);
  let copyId = op.copyId;
  if (source?.kind === 'hashsig') {
    if (c.partition === null || c.newCopyId === null) {
      throw new InvalidCommand(
        `a hashsig transit export needs "partition" and "newCopyId" (docs/libhal-rpc.md §7.6)`,
      );
    }
    aId('newCopyId', c.newCopyId);
    if (!isRange(c.partition.sourceRange) || !isRange(c.partition.exportedRange)) {
      throw new InvalidCommand(`"partition" expected two ranges with integers 0 ≤ start ≤ end`);
    }
    if (lookup(state.copies, c.newCopyId) !== undefined)
      throw new InvalidCommand(`"newCopyId" ${c.newCopyId} is already a copy of key ${state.keyId}`);
    checkPartition(c.opId, source.copyId, source.range, nextTop(source), c.partition);
    copyId = c.newCopyId;
  } else if (c.partition !== null || c.newCopyId !== null) {
    throw new InvalidCommand(
      `"partition" and "newCopyId" apply to hashsig keys only; key ${state.keyId} is ${state.keyType}`,
    );
  }
  return [
    {
      type: 'KeyTransitExported',
      data: {
        keyId: state.keyId,
        opId: c.opId,
        fromHsm: op.fromHsm,
        toHsm: op.toHsm,
        sourceCopyId: op.copyId,
        copyId,
        partition: source?.kind === 'hashsig' ? c.partition : null,
        transitBlobSha256: c.transitBlobSha256,
        at: c.at,
      },
    },
  ];
}

/**
 * The partition must be libhal's split at the HSM's next leaf q (docs/libhal-rpc.md §7.6), and q cannot be
 * below a leaf the ledger has seen used. If the HSM's q is unknown, the app passes the ledger's
 * `nextTop`: when the HSM is further on (reboots burn leaves, docs/libhal-rpc.md §7.3) the ledger then gives the
 * exported copy a superset of its real range, which can only raise false reuse alarms, never hide one.
 */
function checkPartition(opId: string, copyId: string, owned: Range, next: number, p: Partition): void {
  const q = p.sourceRange.start;
  if (q < next) {
    throw new PartitionMismatch(
      opId,
      `the source's next leaf ${q} is below ${next}, which copy ${copyId} has already reached`,
    );
  }
  const expected = transitPartition(owned, q);
  if (expected === null)
    throw new PartitionMismatch(
      opId,
      `copy ${copyId} ${formatRange(owned)} has fewer than 2 leaves from ${q}`,
    );
  if (!equals(expected.sourceRange, p.sourceRange) || !equals(expected.exportedRange, p.exportedRange)) {
    throw new PartitionMismatch(
      opId,
      `source ${formatRange(p.sourceRange)} + exported ${formatRange(p.exportedRange)} is not libhal's split of copy ${copyId} ${formatRange(owned)} at q = ${q} (expected ${formatRange(expected.sourceRange)} + ${formatRange(expected.exportedRange)}, docs/libhal-rpc.md §7.6)`,
    );
  }
}

export function completeTransitImport(state: LiveKey, c: CompleteTransitImport['data']): KeyEvent[] {
  aId('opId', c.opId);
  aUuid('hsmName', c.hsmName);
  const found = opFor(state, c.opId, 'transfer');
  if ('closed' in found) {
    if (found.closed.outcome === 'completed' && found.closed.hsmName === c.hsmName) return [];
    throw new OperationClosed(
      c.opId,
      `${found.closed.outcome} at ${found.closed.at}; it cannot complete as ${c.hsmName}`,
    );
  }
  const op = found.open;
  if (op.exported === null)
    throw new UnknownOperation(c.opId, `has not recorded its export yet; nothing can have been imported`);
  return [
    {
      type: 'KeyTransitImported',
      data: {
        keyId: state.keyId,
        opId: c.opId,
        toHsm: op.toHsm,
        hsmName: c.hsmName,
        copyId: op.exported.copyId,
        transitBlobSha256: op.exported.transitBlobSha256,
        at: c.at,
      },
    },
  ];
}
