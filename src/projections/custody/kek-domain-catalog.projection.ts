/** KEK domain catalog: one doc per KEK domain, its state folded by the domain's own KEK-domain evolve. */
import type { RecordedEvent } from '../../event-store/event-store';
import { parseStreamName } from '../../domain/streams';
import {
  isKekDomainEvent,
  kekDomainDecider,
  type KekDomainEvent,
  type KekDomainState,
} from '../../domain/kek-domain';
import type { Projection } from '../projection';
import { toDoc } from './key-state';

export interface KekDomainCatalogDoc {
  readonly kekDomainId: string;
  readonly state: KekDomainState;
}

function kekDomainIdOf(event: RecordedEvent): string | undefined {
  if (!isKekDomainEvent(event)) return undefined;
  const parsed = parseStreamName(event.streamName);
  return parsed !== null && parsed.category === 'kekdomain' ? parsed.id : undefined;
}

export const kekDomainCatalogProjection: Projection = {
  name: 'custody.kek-domain-catalog',
  version: 1,
  handles(event) {
    const id = kekDomainIdOf(event);
    return id === undefined ? [] : [id];
  },
  evolve(doc, event) {
    const previous = doc as unknown as KekDomainCatalogDoc | undefined;
    const state = kekDomainDecider.evolve(
      previous?.state ?? kekDomainDecider.initialState(),
      event as unknown as KekDomainEvent,
    );
    return toDoc({ kekDomainId: kekDomainIdOf(event)!, state });
  },
};
