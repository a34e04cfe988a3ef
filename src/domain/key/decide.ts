/**
 * Key custody decider (docs/architecture.md §2–§4). Dispatch, generation and the lifecycle commands live here;
 * raw export/import, transfer, the signature log and observed signatures in their own files.
 *
 * Rules decided where docs/architecture.md is silent (tested in the specs):
 * - a destroyed key refuses every command; a frozen key refuses new intents (export, import,
 *   transfer) but still records facts: completions, deletions, failures, and signature indices
 *   (withheld, not released); DestroyKey and UnfreezeKey are the officer's ways out;
 * - RecordDeletedFromHsm for an HSM that holds no copy is a no-op (process managers repeat);
 *   deleting the only holder of a hashsig copy loses that copy (its range is never reused);
 * - DestroyKey is refused while an operation is open or any HSM still holds the key: the ledger
 *   declares material destroyed only once no HSM has it, then every blob is destroyed;
 * - FailOperation is idempotent; after a transit export it abandons the transit blob and, for
 *   hashsig, the exported copy (holder none), since the destination never got it.
 */
import { aBase64, aId, aInt, aOneOf, aText, aTime, aUuid } from '../assert';
import { InvalidCommand, unknownType } from '../errors';
import { checkHashsigParams, range, topLeaves } from '../hashsig';
import { list } from '../format';
import { lookup } from '../message';
import type {
  DestroyKey,
  FailOperation,
  KeyCommand,
  RecordDeletedFromHsm,
  RecordGeneratedKey,
  UnfreezeKey,
  SetPinned,
} from './commands';
import { completeRawExport, completeRawImport, startRawExport, startRawImport } from './decide-raw';
import { recordHashsigSignatures } from './decide-signatures';
import { checkProvenance, provenanceOf, recordBackupExport, recordBackupImport } from './decide-backup';
import { recordObservedSignature } from './decide-observed';
import {
  completeTransitExport,
  completeTransitImport,
  prepareTransfer,
  startTransfer,
} from './decide-transfer';
import {
  KeyAlreadyRecorded,
  KeyIsDestroyed,
  KeyNotFound,
  KeyNotFrozen,
  OperationClosed,
  OperationInProgress,
  StillResident,
  UnknownOperation,
} from './errors';
import type { KeyEvent } from './events';
import { describeOp } from './queries';
import type { KeyState, LiveKey } from './state';

export function decide(command: KeyCommand, state: KeyState): KeyEvent[] {
  const { keyId, at } = command.data;
  aId('keyId', keyId);
  aTime('at', at);
  if (state.status === 'destroyed') throw new KeyIsDestroyed(state.keyId, state.destroyedAt, command.type);
  if (command.type === 'RecordGeneratedKey') {
    if (state.status === 'live') throw new KeyAlreadyRecorded(state.keyId, state.generatedAt);
    return recordGenerated(command.data);
  }
  if (state.status === 'absent') throw new KeyNotFound(keyId);
  if (state.keyId !== keyId)
    throw new InvalidCommand(`"keyId" is ${keyId}, but this stream is key ${state.keyId}`);

  switch (command.type) {
    case 'RecordBackupImport':
      return recordBackupImport(state, command.data);
    case 'RecordBackupExport':
      return recordBackupExport(state, command.data);
    case 'StartRawExport':
      return startRawExport(state, command.data);
    case 'CompleteRawExport':
      return completeRawExport(state, command.data);
    case 'RecordDeletedFromHsm':
      return recordDeleted(state, command.data);
    case 'StartRawImport':
      return startRawImport(state, command.data);
    case 'CompleteRawImport':
      return completeRawImport(state, command.data);
    case 'FailOperation':
      return failOperation(state, command.data);
    case 'PrepareTransfer':
      return prepareTransfer(state, command.data);
    case 'StartTransfer':
      return startTransfer(state, command.data);
    case 'CompleteTransitExport':
      return completeTransitExport(state, command.data);
    case 'CompleteTransitImport':
      return completeTransitImport(state, command.data);
    case 'RecordHashsigSignatures':
      return recordHashsigSignatures(state, command.data);
    case 'RecordObservedSignature':
      return recordObservedSignature(state, command.data);
    case 'UnfreezeKey':
      return unfreeze(state, command.data);
    case 'SetPinned':
      return setPinned(state, command.data);
    case 'DestroyKey':
      return destroy(state, command.data);
    default:
      return unknownType(command, 'key command');
  }
}

function recordGenerated(c: RecordGeneratedKey['data']): KeyEvent[] {
  aId('hsmId', c.hsmId);
  aUuid('hsmName', c.hsmName);
  aId('copyId', c.copyId);
  aInt('flags', c.flags, 0, 0x3f);
  aBase64('publicKey', c.publicKey);
  aOneOf('keyType', c.keyType, ['rsa', 'ec', 'hashsig'] as const);
  if (typeof c.params !== 'object' || c.params === null) {
    throw new InvalidCommand(`"params" expected an object, got ${String(c.params)}`);
  }
  for (const [type, value] of Object.entries(c.attributes ?? {})) {
    aInt(`attributes key`, Number(type), 0, 0xfffffffe);
    aBase64(`attributes[${type}]`, value);
  }
  if (c.provenance !== undefined) {
    checkProvenance(c.provenance);
    // The format cannot carry a hashsig key's state (docs/libhal-rpc.md §8).
    if (c.keyType === 'hashsig')
      throw new InvalidCommand(`"provenance": a hashsig key cannot come from a cryptech_backup file`);
  }
  const common = {
    keyId: c.keyId,
    hsmId: c.hsmId,
    hsmName: c.hsmName,
    flags: c.flags,
    publicKey: c.publicKey,
    attributes: c.attributes,
    copyId: c.copyId,
    ...(c.provenance === undefined ? {} : { provenance: provenanceOf(c.provenance) }),
    at: c.at,
  };
  switch (c.keyType) {
    case 'rsa':
      aInt('params.bits', c.params.bits, 512, 8192);
      if (c.params.bits % 8 !== 0)
        throw new InvalidCommand(`"params.bits" expected a multiple of 8, got ${c.params.bits}`);
      return [
        {
          type: 'KeyGenerated',
          data: { ...common, keyType: 'rsa', params: { bits: c.params.bits }, range: null },
        },
      ];
    case 'ec':
      aOneOf('params.curve', c.params.curve, ['P-256', 'P-384', 'P-521'] as const);
      return [
        {
          type: 'KeyGenerated',
          data: { ...common, keyType: 'ec', params: { curve: c.params.curve }, range: null },
        },
      ];
    case 'hashsig': {
      checkHashsigParams(c.params);
      const params = {
        levels: c.params.levels,
        lmsType: c.params.lmsType,
        lmotsType: c.params.lmotsType,
        I: c.params.I,
      };
      // The generated copy owns the whole top tree (docs/architecture.md §3).
      return [
        {
          type: 'KeyGenerated',
          data: { ...common, keyType: 'hashsig', params, range: range(0, topLeaves(params)) },
        },
      ];
    }
  }
}

function recordDeleted(state: LiveKey, c: RecordDeletedFromHsm['data']): KeyEvent[] {
  aId('hsmId', c.hsmId);
  aText('reason', c.reason);
  const r = lookup(state.residency, c.hsmId);
  if (r === undefined) return [];
  const copy = lookup(state.copies, r.copyId);
  const lost = copy?.kind === 'hashsig' && copy.holder.kind === 'hsm' && copy.holder.hsmId === c.hsmId;
  return [
    {
      type: 'KeyDeletedFromHsm',
      data: {
        keyId: state.keyId,
        hsmId: c.hsmId,
        hsmName: r.hsmKeyName,
        copyId: r.copyId,
        reason: c.reason,
        lostCopyId: lost ? r.copyId : null,
        at: c.at,
      },
    },
  ];
}

function failOperation(state: LiveKey, c: FailOperation['data']): KeyEvent[] {
  aId('opId', c.opId);
  aText('reason', c.reason);
  const op = lookup(state.ops, c.opId);
  if (op === undefined) {
    const closed = lookup(state.closedOps, c.opId);
    if (closed === undefined) throw new UnknownOperation(c.opId, `was never started for key ${state.keyId}`);
    if (closed.outcome === 'failed') return [];
    throw new OperationClosed(c.opId, `completed at ${closed.at}; it cannot fail`);
  }
  const exported = op.kind === 'transfer' ? op.exported : null;
  const lostCopyId =
    exported !== null && lookup(state.copies, exported.copyId)?.kind === 'hashsig' ? exported.copyId : null;
  return [
    {
      type: 'KeyOperationFailed',
      data: {
        keyId: state.keyId,
        opId: c.opId,
        kind: op.kind,
        reason: c.reason,
        abandonedBlobSha256: exported?.transitBlobSha256 ?? null,
        lostCopyId,
        at: c.at,
      },
    },
  ];
}

function unfreeze(state: LiveKey, c: UnfreezeKey['data']): KeyEvent[] {
  aId('officerId', c.officerId);
  aText('reason', c.reason);
  if (state.frozen === null) throw new KeyNotFrozen(state.keyId);
  return [
    { type: 'KeyUnfrozen', data: { keyId: state.keyId, officerId: c.officerId, reason: c.reason, at: c.at } },
  ];
}

/** Idempotent: pinning a pinned key records nothing. */
function setPinned(state: LiveKey, c: SetPinned['data']): KeyEvent[] {
  if (typeof c.pinned !== 'boolean')
    throw new InvalidCommand(`"pinned" expected true or false, got ${JSON.stringify(c.pinned)}`);
  if ((state.pinned === true) === c.pinned) return [];
  return [{ type: 'KeyPinChanged', data: { keyId: state.keyId, pinned: c.pinned, at: c.at } }];
}

function destroy(state: LiveKey, c: DestroyKey['data']): KeyEvent[] {
  aText('reason', c.reason);
  const refused = `destroying key ${state.keyId}`;
  const op = Object.values(state.ops)[0];
  if (op !== undefined) throw new OperationInProgress(op.opId, refused, `${describeOp(op)}`);
  const holders = Object.values(state.residency).map(
    (r) => `${r.hsmId} (key name ${r.hsmKeyName}${r.status === 'disabled' ? ', disabled' : ''})`,
  );
  if (holders.length > 0) throw new StillResident(state.keyId, list(holders));
  const blobSha256s = Object.values(state.blobs)
    .filter((b) => b.status !== 'destroyed')
    .map((b) => b.sha256)
    .sort();
  return [{ type: 'KeyDestroyed', data: { keyId: state.keyId, blobSha256s, reason: c.reason, at: c.at } }];
}
