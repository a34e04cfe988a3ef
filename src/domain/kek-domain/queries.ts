import { lookup } from '../message';
import { KekDomainIsRetired, KekDomainNotFound } from './errors';
import type { KekDomainState } from './state';

/** What an HSM's join must match (passed on `JoinKekDomain`, docs/architecture.md §4). */
export type DomainCanary = {
  readonly kekDomainId: string;
  readonly canaryBlobSha256: string;
  readonly canaryPublicKeySha256: string;
};

/** The canary of an active domain; throws for an absent or retired one. */
export function domainCanary(state: KekDomainState, kekDomainId: string): DomainCanary {
  if (state.status === 'absent') throw new KekDomainNotFound(kekDomainId);
  if (state.status === 'retired')
    throw new KekDomainIsRetired(state.kekDomainId, state.retiredAt ?? '?', 'joining it');
  return {
    kekDomainId: state.kekDomainId,
    canaryBlobSha256: state.canaryBlobSha256,
    canaryPublicKeySha256: state.canaryPublicKeySha256,
  };
}

export function isMember(state: KekDomainState, hsmId: string): boolean {
  return state.status !== 'absent' && lookup(state.members, hsmId) !== undefined;
}
