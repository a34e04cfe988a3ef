/**
 * HSM catalog: one doc per registered HSM, its state folded by the domain's own HSM evolve (so the
 * read side shows exactly what the write side decides by) beside the facts of its registration,
 * which a decommissioned HSM's state no longer carries.
 */
import type { RecordedEvent } from '../../event-store/event-store';
import { parseStreamName } from '../../domain/streams';
import { hsmDecider, isHsmEvent, type HsmEvent, type HsmRegistered, type HsmState } from '../../domain/hsm';
import type { Projection } from '../projection';
import { toDoc } from './key-state';

export interface HsmCatalogDoc {
  readonly hsmId: string;
  readonly registered: HsmRegistered['data'];
  readonly state: HsmState;
}

function hsmIdOf(event: RecordedEvent): string | undefined {
  if (!isHsmEvent(event)) return undefined;
  const parsed = parseStreamName(event.streamName);
  return parsed !== null && parsed.category === 'hsm' ? parsed.id : undefined;
}

export const hsmCatalogProjection: Projection = {
  name: 'custody.hsm-catalog',
  version: 1,
  handles(event) {
    const hsmId = hsmIdOf(event);
    return hsmId === undefined ? [] : [hsmId];
  },
  evolve(doc, event) {
    const previous = doc as unknown as HsmCatalogDoc | undefined;
    const hsmEvent = event as unknown as HsmEvent;
    const state = hsmDecider.evolve(previous?.state ?? hsmDecider.initialState(), hsmEvent);
    const registered =
      previous?.registered ?? (hsmEvent.type === 'HsmRegistered' ? hsmEvent.data : undefined);
    if (registered === undefined)
      throw new TypeError(`the first event of an HSM is ${event.type}, not HsmRegistered`);
    return toDoc({ hsmId: hsmIdOf(event)!, registered, state });
  },
};
