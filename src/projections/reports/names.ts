/**
 * Who and what the reports name: operators (id and name), HSMs and KEK domains, from the catalogs
 * folded to the report's position. Names never change once recorded, so the name as of the report's
 * position is the name the ledger had when the event was recorded.
 */
import type { JsonObject } from '../../event-store/event-store';
import {
  hsmCatalogProjection,
  kekDomainCatalogProjection,
  type HsmCatalogDoc,
  type KekDomainCatalogDoc,
} from '../custody';
import { operatorCatalogProjection, type OperatorCatalogDoc } from '../operators';
import { docsOf, type Models } from './report';

/** An operator as a report names one: `name` is null for an id no operator was enrolled under (the service's own). */
export interface Who {
  readonly operatorId: string;
  readonly name: string | null;
}

export interface Named {
  readonly id: string;
  readonly name: string | null;
}

/** The catalogs a report needs to name operators, HSMs and KEK domains. */
export const NAME_PROJECTIONS = [operatorCatalogProjection, hsmCatalogProjection, kekDomainCatalogProjection];

export interface Names {
  who(operatorId: string): Who;
  /** The operator in an event's metadata, or null when it names none. */
  actor(metadata: JsonObject): Who | null;
  hsm(hsmId: string): string | null;
  /** The KEK domain an HSM belongs to as of the report's position. */
  hsmKekDomain(hsmId: string): string | null;
  kekDomain(kekDomainId: string): string | null;
}

export function names(models: Models): Names {
  const operators = docsOf<OperatorCatalogDoc>(models, operatorCatalogProjection);
  const hsms = docsOf<HsmCatalogDoc>(models, hsmCatalogProjection);
  const domains = docsOf<KekDomainCatalogDoc>(models, kekDomainCatalogProjection);
  const who = (operatorId: string): Who => ({
    operatorId,
    name: operators.get(operatorId)?.state.name ?? null,
  });
  return {
    who,
    actor: (metadata) => (typeof metadata.operatorId === 'string' ? who(metadata.operatorId) : null),
    hsm(hsmId) {
      const state = hsms.get(hsmId)?.state;
      return state === undefined || state.status === 'absent' ? null : state.name;
    },
    hsmKekDomain(hsmId) {
      const state = hsms.get(hsmId)?.state;
      return state?.status === 'active' ? state.kekDomainId : null;
    },
    kekDomain(kekDomainId) {
      const state = domains.get(kekDomainId)?.state;
      return state === undefined || state.status === 'absent' ? null : state.name;
    },
  };
}

/** `name (id)`, or the id alone when there is no name: how a person reads who or which. */
export function label(id: string, name: string | null): string {
  return name === null || name === id ? id : `${name} (${id})`;
}
