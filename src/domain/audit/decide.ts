/**
 * The `audit` stream (docs/architecture.md §6): the checkpoint key, then signed tree heads. A new
 * key may replace one that can no longer sign (its HSM zeroized); checkpoints grow: each covers
 * more events than the one before, under a key the stream recorded.
 */
import { aId, aInt, aText, aTime } from '../assert';
import type { ErrorCategory } from '../error-category';
import { DomainError, InvalidCommand } from '../errors';
import type { Decider } from '../message';
import {
  MAX_CHECKPOINT_SPAN,
  type AuditCommand,
  type AuditEvent,
  type AuditKey,
  type Verification,
} from './events';

export type AuditState = {
  /** Every key the stream recorded, oldest first; the last one signs. */
  readonly keys: readonly AuditKey[];
  readonly lastCheckpoint: {
    readonly treeSize: number;
    readonly rootHash: string;
    readonly at: string;
  } | null;
  readonly checkpoints: number;
  readonly lastVerification: Verification | null;
};

export class CheckpointRefused extends DomainError {
  static readonly category: ErrorCategory = 'conflict';
  readonly type = 'checkpoint-refused';
}

const HEX = /^[0-9a-f]+$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function base64Bytes(text: string): number {
  const padding = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  return (text.length / 4) * 3 - padding;
}

function decide(command: AuditCommand, state: AuditState): AuditEvent[] {
  aTime('at', command.data.at);
  if (command.type === 'RecordAuditKey') {
    const k = command.data;
    if (!HEX.test(k.keyId) || k.keyId.length !== 8)
      throw new InvalidCommand('"keyId" expected 8 hex characters');
    aText('spki', k.spki);
    aText('verifierKey', k.verifierKey);
    aText('origin', k.origin);
    aId('hsmId', k.hsmId);
    aId('hsmKeyName', k.hsmKeyName);
    if (state.keys.some((known) => known.keyId === k.keyId))
      throw new CheckpointRefused(`audit key ${k.keyId} is already recorded`);
    return [{ type: 'AuditKeyGenerated', data: k }];
  }
  if (command.type === 'RecordVerification') {
    const v = command.data;
    aInt('events', v.events, 0);
    aInt('findings', v.findings, 0);
    // A verification is a record of what was found: any outcome is recorded as it was.
    return [{ type: 'AuditLedgerVerified', data: v }];
  }
  const c = command.data;
  aInt('treeSize', c.treeSize, 1);
  const from = state.lastCheckpoint?.treeSize ?? 0;
  if (c.from !== from)
    throw new CheckpointRefused(
      `checkpoint from ${c.from} events does not start where the last one ended (${from})`,
    );
  const span = c.treeSize - from;
  if (span > MAX_CHECKPOINT_SPAN)
    throw new InvalidCommand(`a checkpoint adds at most ${MAX_CHECKPOINT_SPAN} leaves, this one ${span}`);
  if (typeof c.leaves !== 'string' || !BASE64.test(c.leaves) || base64Bytes(c.leaves) !== span * 32)
    throw new InvalidCommand(`"leaves" expected base64 of ${span} 32-byte hashes`);
  if (!HEX.test(c.rootHash) || c.rootHash.length !== 64)
    throw new InvalidCommand('"rootHash" expected 64 hex characters (SHA-256)');
  aText('note', c.note);
  const signer = state.keys[state.keys.length - 1];
  if (signer === undefined) throw new CheckpointRefused('no audit key is recorded yet');
  if (c.keyId !== signer.keyId)
    throw new CheckpointRefused(`checkpoint signed by key ${c.keyId}, but the audit key is ${signer.keyId}`);
  if (state.lastCheckpoint !== null && c.treeSize <= state.lastCheckpoint.treeSize)
    throw new CheckpointRefused(
      `checkpoint of ${c.treeSize} events does not extend the last one (${state.lastCheckpoint.treeSize} events)`,
    );
  return [{ type: 'AuditCheckpointSigned', data: c }];
}

function evolve(state: AuditState, event: AuditEvent): AuditState {
  if (event.type === 'AuditKeyGenerated') return { ...state, keys: [...state.keys, event.data] };
  if (event.type === 'AuditLedgerVerified') return { ...state, lastVerification: event.data };
  const { treeSize, rootHash, at } = event.data;
  return { ...state, lastCheckpoint: { treeSize, rootHash, at }, checkpoints: state.checkpoints + 1 };
}

export const auditDecider: Decider<AuditState, AuditCommand, AuditEvent> = {
  decide,
  evolve,
  initialState: () => ({ keys: [], lastCheckpoint: null, checkpoints: 0, lastVerification: null }),
};
