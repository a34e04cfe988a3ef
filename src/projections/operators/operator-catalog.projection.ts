/**
 * Operator catalog: one doc per operator, its state folded by the domain's own operator evolve, with
 * how it was enrolled. Authentication looks a token's SHA-256 up here, then confirms it against the
 * operator's own stream (src/app/operators), so a revocation counts from the next request.
 */
import type { RecordedEvent } from '../../event-store/event-store';
import { parseStreamName } from '../../domain/streams';
import {
  isOperatorEvent,
  operatorDecider,
  type EnrolmentBasis,
  type OperatorEvent,
  type OperatorState,
} from '../../domain/operator';
import type { Projection } from '../projection';
import { toDoc } from '../custody/key-state';

export interface OperatorCatalogDoc {
  readonly operatorId: string;
  readonly state: Exclude<OperatorState, { status: 'absent' }>;
  readonly basis: EnrolmentBasis;
  /** Operator id in the metadata of the enrolment: who enrolled this one. */
  readonly enrolledBy: string | null;
}

function operatorIdOf(event: RecordedEvent): string | undefined {
  if (!isOperatorEvent(event)) return undefined;
  const parsed = parseStreamName(event.streamName);
  return parsed !== null && parsed.category === 'operator' ? parsed.id : undefined;
}

export const operatorCatalogProjection: Projection = {
  name: 'operators.catalog',
  version: 1,
  handles(event) {
    const id = operatorIdOf(event);
    return id === undefined ? [] : [id];
  },
  evolve(doc, event) {
    const previous = doc as unknown as OperatorCatalogDoc | undefined;
    const e = event as unknown as OperatorEvent;
    const state = operatorDecider.evolve(previous?.state ?? operatorDecider.initialState(), e);
    if (state.status === 'absent')
      throw new TypeError(`the first event of an operator is ${event.type}, not OperatorEnrolled`);
    const enrolledBy = event.metadata.operatorId;
    return toDoc({
      operatorId: operatorIdOf(event)!,
      state,
      basis: previous?.basis ?? (e.type === 'OperatorEnrolled' ? e.data.basis : 'not-gated'),
      enrolledBy: previous?.enrolledBy ?? (typeof enrolledBy === 'string' ? enrolledBy : null),
    });
  },
};
