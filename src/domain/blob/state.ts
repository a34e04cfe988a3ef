import { unknownType } from '../errors';
import type { StoredBlobFact } from '../key';
import type { BlobEvent } from './events';

export type BlobState =
  | { readonly status: 'absent'; readonly refusals: number }
  | {
      readonly status: 'stored';
      readonly sha256: string;
      readonly keyId: string;
      readonly kind: 'raw' | 'transit';
      readonly bytesBase64: string;
      readonly storedAt: string;
      readonly refusals: number;
    }
  | {
      /** The key was destroyed; the state keeps no bytes (they stay in the ledger, unserved). */
      readonly status: 'destroyed';
      readonly sha256: string;
      readonly keyId: string;
      readonly destroyedAt: string;
      readonly refusals: number;
    };

export function initialState(): BlobState {
  return { status: 'absent', refusals: 0 };
}

export function evolve(state: BlobState, event: BlobEvent): BlobState {
  switch (event.type) {
    case 'BlobStored': {
      const d = event.data;
      return {
        status: 'stored',
        sha256: d.sha256,
        keyId: d.keyId,
        kind: d.kind,
        bytesBase64: d.bytesBase64,
        storedAt: d.at,
        refusals: state.refusals,
      };
    }
    case 'BlobRefused':
      return { ...state, refusals: state.refusals + 1 };
    case 'BlobDestroyed': {
      const d = event.data;
      return {
        status: 'destroyed',
        sha256: d.sha256,
        keyId: d.keyId,
        destroyedAt: d.at,
        refusals: state.refusals,
      };
    }
    default:
      return unknownType(event, 'blob event');
  }
}

/** What CompleteRawExport / CompleteTransitExport need to know about this stream. */
export function storedBlobFact(state: BlobState): StoredBlobFact | null {
  return state.status === 'stored' ? { sha256: state.sha256, keyId: state.keyId, kind: state.kind } : null;
}
