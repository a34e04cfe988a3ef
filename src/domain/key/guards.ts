/** Checks shared by the key decider's commands; each throws the refusal it names. */
import { abbr } from '../format';
import { lookup } from '../message';
import {
  BlobNotStored,
  DuplicateOperation,
  KeyFrozen,
  NotExportable,
  OperationInProgress,
  UnknownOperation,
} from './errors';
import type { StoredBlobFact } from './commands';
import { describeOp } from './queries';
import { type ClosedOp, FLAG_EXPORTABLE, type LiveKey, type OpenOp } from './state';

export function refuseIfFrozen(state: LiveKey, refused: string): void {
  if (state.frozen !== null) throw new KeyFrozen(state.keyId, state.frozen.at, state.frozen.detail, refused);
}

export function requireExportable(state: LiveKey, refused: string): void {
  if ((state.flags & FLAG_EXPORTABLE) === 0) throw new NotExportable(state.keyId, refused);
}

export function requireFreshOpId(state: LiveKey, opId: string): void {
  const open = lookup(state.ops, opId);
  if (open !== undefined) throw new DuplicateOperation(opId, describeOp(open));
  const closed = lookup(state.closedOps, opId);
  if (closed !== undefined)
    throw new DuplicateOperation(opId, `${closed.kind} ${closed.outcome} at ${closed.at}`);
}

/**
 * One operation at a time per hashsig copy (two imports of one current blob: exactly one starts;
 * optimistic concurrency on the stream makes that hold across processes), and per HSM for every
 * key type. RSA/EC operations on different HSMs run side by side.
 */
export function refuseConflictingOp(
  state: LiveKey,
  touches: { readonly copyIds: readonly string[]; readonly hsmIds: readonly string[] },
  refused: string,
): void {
  for (const op of Object.values(state.ops)) {
    const copies =
      op.kind === 'transfer' && op.exported !== null ? [op.copyId, op.exported.copyId] : [op.copyId];
    const hsms = op.kind === 'transfer' ? [op.fromHsm, op.toHsm] : [op.hsmId];
    const copy = state.keyType === 'hashsig' ? touches.copyIds.find((c) => copies.includes(c)) : undefined;
    if (copy !== undefined)
      throw new OperationInProgress(op.opId, refused, `copy ${copy} is busy with ${describeOp(op)}`);
    const hsm = touches.hsmIds.find((h) => hsms.includes(h));
    if (hsm !== undefined)
      throw new OperationInProgress(op.opId, refused, `${hsm} is busy with ${describeOp(op)} for this key`);
  }
}

/**
 * The open operation a completion refers to, or `closed` when it already finished (the caller
 * decides whether a repeat is the same fact, hence a no-op, or a contradiction).
 */
export function opFor<K extends OpenOp['kind']>(
  state: LiveKey,
  opId: string,
  kind: K,
): { readonly open: Extract<OpenOp, { kind: K }> } | { readonly closed: ClosedOp } {
  const open = lookup(state.ops, opId);
  if (open !== undefined) {
    if (open.kind !== kind) throw new UnknownOperation(opId, `is a ${open.kind}, not a ${kind}`);
    return { open: open as Extract<OpenOp, { kind: K }> };
  }
  const closed = lookup(state.closedOps, opId);
  if (closed === undefined) throw new UnknownOperation(opId, `was never started for key ${state.keyId}`);
  if (closed.kind !== kind) throw new UnknownOperation(opId, `was a ${closed.kind}, not a ${kind}`);
  return { closed };
}

export function requireStored(
  state: LiveKey,
  sha256: string,
  kind: 'raw' | 'transit',
  fact: StoredBlobFact | null,
): void {
  if (fact === null) throw new BlobNotStored(sha256, 'is not stored');
  if (fact.sha256 !== sha256)
    throw new BlobNotStored(sha256, `is not what was stored (the stream holds ${abbr(fact.sha256)})`);
  if (fact.keyId !== state.keyId)
    throw new BlobNotStored(sha256, `is stored for key ${fact.keyId}, not ${state.keyId}`);
  if (fact.kind !== kind) throw new BlobNotStored(sha256, `is stored as a ${fact.kind} blob, not ${kind}`);
}
