/**
 * The `audit` stream as reports read it (docs/architecture.md §6): the audit key, every signed
 * checkpoint, the last verification recorded. Every report states the last checkpoint at or before
 * its position; the integrity report shows the rest.
 */
import { audit, AUDIT_STREAM } from '../../domain';
import type { RecordedEvent } from '../../event-store/event-store';
import { toDoc } from '../custody/key-state';
import type { Projection } from '../projection';

export const AUDIT_TRAIL_DOC = 'audit';

export interface CheckpointRef {
  readonly treeSize: number;
  readonly rootHash: string;
  readonly position: number;
  readonly signedAt: string;
  readonly keyId: string;
}

export interface AuditTrailDoc {
  readonly keys: readonly { keyId: string; origin: string; verifierKey: string; hsmId: string; at: string }[];
  readonly checkpoints: number;
  readonly lastCheckpoint: CheckpointRef | null;
  readonly lastVerification:
    (audit.Verification & { readonly position: number; readonly by: string | null }) | null;
}

const EMPTY: AuditTrailDoc = { keys: [], checkpoints: 0, lastCheckpoint: null, lastVerification: null };

export const auditTrailProjection: Projection = {
  name: 'reports.audit-trail',
  version: 1,
  handles: (event) =>
    event.streamName === AUDIT_STREAM && audit.isAuditEvent(event) ? [AUDIT_TRAIL_DOC] : [],
  evolve(doc, event: RecordedEvent) {
    const trail = (doc as unknown as AuditTrailDoc | undefined) ?? EMPTY;
    const e = event as unknown as audit.AuditEvent;
    switch (e.type) {
      case 'AuditKeyGenerated': {
        const { keyId, origin, verifierKey, hsmId, at } = e.data;
        return toDoc({ ...trail, keys: [...trail.keys, { keyId, origin, verifierKey, hsmId, at }] });
      }
      case 'AuditCheckpointSigned': {
        const { treeSize, rootHash, at, keyId } = e.data;
        return toDoc({
          ...trail,
          checkpoints: trail.checkpoints + 1,
          lastCheckpoint: { treeSize, rootHash, position: event.position, signedAt: at, keyId },
        });
      }
      case 'AuditLedgerVerified': {
        const by = event.metadata.operatorId;
        return toDoc({
          ...trail,
          lastVerification: { ...e.data, position: event.position, by: typeof by === 'string' ? by : null },
        });
      }
    }
  },
};

/** The trail as of a fold (empty before the audit stream's first event). */
export function auditTrailOf(docs: ReadonlyMap<string, unknown> | undefined): AuditTrailDoc {
  return (docs?.get(AUDIT_TRAIL_DOC) as AuditTrailDoc | undefined) ?? EMPTY;
}
