/**
 * Blob streams (docs/architecture.md §2 `blob-<sha256>`): the wrapped bytes, stored once, and the record of
 * blobs presented from outside that were refused.
 *
 * Rules where docs/architecture.md is silent: storing identical bytes again is a no-op (EXPORT_RAW of an
 * unchanged key is deterministic under RFC 5649, so a retried export can yield the same blob);
 * storing different bytes, kind or key under one hash is refused; an accepted presentation
 * records nothing (the import that follows is the record); blob bytes are bounded. Destroying is
 * recorded once, also on a stream that never stored its bytes (the stream then takes none); a
 * destroyed blob refuses to be stored, and a refused presentation of it is still recorded.
 */
import { aBase64, aId, aOneOf, aSha256, aText, aTime } from '../assert';
import { InvalidCommand, unknownType } from '../errors';
import type { BlobCommand } from './commands';
import { BlobIsDestroyed, BlobMismatch } from './errors';
import type { BlobEvent } from './events';
import type { BlobState } from './state';

/** Far above any libhal key (HAL_KS_WRAPPED_KEYSIZE is 5480 bytes), far below the store's 1 MiB. */
export const MAX_BLOB_BASE64 = 65536;

export function decide(command: BlobCommand, state: BlobState): BlobEvent[] {
  aSha256('sha256', command.data.sha256);
  aTime('at', command.data.at);
  if (state.status !== 'absent' && state.sha256 !== command.data.sha256) {
    throw new InvalidCommand(`"sha256" is ${command.data.sha256}, but this stream is blob ${state.sha256}`);
  }
  switch (command.type) {
    case 'StoreBlob': {
      const c = command.data;
      aId('keyId', c.keyId);
      aBase64('bytesBase64', c.bytesBase64);
      aOneOf('kind', c.kind, ['raw', 'transit'] as const);
      if (c.bytesBase64.length > MAX_BLOB_BASE64) {
        throw new InvalidCommand(
          `"bytesBase64" expected at most ${MAX_BLOB_BASE64} characters, got ${c.bytesBase64.length}`,
        );
      }
      if (state.status === 'destroyed')
        throw new BlobIsDestroyed(c.sha256, state.keyId, state.destroyedAt, `storing it for key ${c.keyId}`);
      if (state.status === 'stored') {
        if (state.keyId !== c.keyId)
          throw new BlobMismatch(c.sha256, `for key ${state.keyId}, not ${c.keyId}`);
        if (state.kind !== c.kind) throw new BlobMismatch(c.sha256, `as a ${state.kind} blob, not ${c.kind}`);
        if (state.bytesBase64 !== c.bytesBase64)
          throw new BlobMismatch(c.sha256, `with other bytes (the caller's hash is wrong)`);
        return [];
      }
      return [
        {
          type: 'BlobStored',
          data: { sha256: c.sha256, keyId: c.keyId, bytesBase64: c.bytesBase64, kind: c.kind, at: c.at },
        },
      ];
    }
    case 'PresentBlob': {
      const c = command.data;
      if (c.keyId !== null) aId('keyId', c.keyId);
      aText('presentedBy', c.presentedBy);
      if (c.verdict.accepted) return [];
      return [
        {
          type: 'BlobRefused',
          data: {
            sha256: c.sha256,
            keyId: c.keyId ?? (state.status === 'absent' ? null : state.keyId),
            reason: c.verdict.reason,
            presentedBy: c.presentedBy,
            currentBlobSha256: c.verdict.currentBlobSha256,
            currentHolder: c.verdict.currentHolder,
            at: c.at,
          },
        },
      ];
    }
    case 'DestroyBlob': {
      const c = command.data;
      aId('keyId', c.keyId);
      aText('reason', c.reason);
      if (state.status === 'destroyed') return [];
      if (state.status === 'stored' && state.keyId !== c.keyId)
        throw new BlobMismatch(c.sha256, `for key ${state.keyId}, not ${c.keyId}`);
      return [
        { type: 'BlobDestroyed', data: { sha256: c.sha256, keyId: c.keyId, reason: c.reason, at: c.at } },
      ];
    }
    default:
      return unknownType(command, 'blob command');
  }
}
