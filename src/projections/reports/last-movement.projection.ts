/**
 * The last movement of each key: its last event other than a signature record
 * (`HashsigSignaturesReleased`, `HashsigSignaturesWithheld`), with who made it (the operator id in
 * its metadata) and, for an approved action, the approval that ran it. Signing is use, not custody:
 * a key signing every second would otherwise always show its last signature.
 */
import type { RecordedEvent } from '../../event-store/event-store';
import type { Projection } from '../projection';
import { keyIdOf, toDoc } from '../custody/key-state';
import { eventTime } from './report';

export interface MovementDoc {
  readonly keyId: string;
  readonly type: string;
  readonly at: string;
  readonly position: number;
  readonly operatorId: string | null;
  readonly approvalId: string | null;
}

const SIGNATURE_RECORDS: ReadonlySet<string> = new Set([
  'HashsigSignaturesReleased',
  'HashsigSignaturesWithheld',
]);

const text = (value: unknown): string | null => (typeof value === 'string' ? value : null);

export const lastMovementProjection: Projection = {
  name: 'reports.last-movement',
  version: 1,
  handles(event) {
    const keyId = keyIdOf(event);
    return keyId === undefined || SIGNATURE_RECORDS.has(event.type) ? [] : [keyId];
  },
  evolve(_doc, event: RecordedEvent) {
    const movement: MovementDoc = {
      keyId: keyIdOf(event)!,
      type: event.type,
      at: eventTime(event),
      position: event.position,
      operatorId: text(event.metadata.operatorId),
      approvalId: text(event.metadata.approvalId),
    };
    return toDoc(movement);
  },
};
