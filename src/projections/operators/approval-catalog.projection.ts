/**
 * Approval catalog: one doc per approval request, its state folded by the domain's own approval
 * evolve, with the global positions of its events (a key's history merges them in ledger order).
 */
import type { RecordedEvent } from '../../event-store/event-store';
import { parseStreamName } from '../../domain/streams';
import {
  approvalDecider,
  isApprovalEvent,
  type ApprovalEvent,
  type ApprovalRequest,
} from '../../domain/approval';
import type { Projection } from '../projection';
import { toDoc } from '../custody/key-state';

export interface ApprovalCatalogDoc {
  readonly approvalId: string;
  readonly state: ApprovalRequest;
  /** The key the request is about (`params.keyId`), if any. */
  readonly keyId: string | null;
  readonly lastPosition: number;
}

function approvalIdOf(event: RecordedEvent): string | undefined {
  if (!isApprovalEvent(event)) return undefined;
  const parsed = parseStreamName(event.streamName);
  return parsed !== null && parsed.category === 'approval' ? parsed.id : undefined;
}

export const approvalCatalogProjection: Projection = {
  name: 'approvals.catalog',
  version: 1,
  handles(event) {
    const id = approvalIdOf(event);
    return id === undefined ? [] : [id];
  },
  evolve(doc, event) {
    const previous = doc as unknown as ApprovalCatalogDoc | undefined;
    const state = approvalDecider.evolve(
      previous?.state ?? approvalDecider.initialState(),
      event as unknown as ApprovalEvent,
    );
    if (state.status === 'absent')
      throw new TypeError(`the first event of an approval is ${event.type}, not ApprovalRequested`);
    const keyId = state.params.keyId;
    return toDoc({
      approvalId: approvalIdOf(event)!,
      state,
      keyId: typeof keyId === 'string' ? keyId : null,
      lastPosition: event.position,
    });
  },
};
