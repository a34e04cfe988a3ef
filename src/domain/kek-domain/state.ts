import { unknownType } from '../errors';
import { withEntry } from '../message';
import type { KekDomainEvent } from './events';

export type Member = { readonly hsmId: string; readonly since: string };

export type Canary = {
  readonly canaryKeyId: string;
  readonly canaryPublicKey: string;
  readonly canaryPublicKeySha256: string;
  readonly canaryBlobSha256: string;
};

export type KekDomainState =
  | { readonly status: 'absent' }
  | ({
      readonly status: 'active' | 'retired';
      readonly kekDomainId: string;
      readonly name: string;
      readonly foundingHsmId: string;
      readonly createdAt: string;
      readonly members: Readonly<Record<string, Member>>;
      readonly retiredAt: string | null;
    } & Canary);

export function initialState(): KekDomainState {
  return { status: 'absent' };
}

export function evolve(state: KekDomainState, event: KekDomainEvent): KekDomainState {
  switch (event.type) {
    case 'KekDomainCreated': {
      const d = event.data;
      return {
        status: 'active',
        kekDomainId: d.kekDomainId,
        name: d.name,
        canaryKeyId: d.canaryKeyId,
        canaryPublicKey: d.canaryPublicKey,
        canaryPublicKeySha256: d.canaryPublicKeySha256,
        canaryBlobSha256: d.canaryBlobSha256,
        foundingHsmId: d.foundingHsmId,
        createdAt: d.at,
        members: withEntry({}, d.foundingHsmId, { hsmId: d.foundingHsmId, since: d.at }),
        retiredAt: null,
      };
    }
    case 'KekDomainMemberJoined':
      if (state.status === 'absent') return state;
      return {
        ...state,
        members: withEntry(state.members, event.data.hsmId, {
          hsmId: event.data.hsmId,
          since: event.data.at,
        }),
      };
    case 'KekDomainMemberLeft':
      if (state.status === 'absent') return state;
      return { ...state, members: withEntry(state.members, event.data.hsmId, undefined) };
    case 'KekDomainRetired':
      if (state.status === 'absent') return state;
      return { ...state, status: 'retired', retiredAt: event.data.at };
    default:
      return unknownType(event, 'KEK domain event');
  }
}
