import type { Event } from '../message';

export type KekDomainCreated = Event<
  'KekDomainCreated',
  {
    readonly kekDomainId: string;
    readonly name: string;
    readonly canaryKeyId: string;
    readonly canaryPublicKey: string;
    readonly canaryPublicKeySha256: string;
    readonly canaryBlobSha256: string;
    readonly foundingHsmId: string;
    readonly at: string;
  }
>;

export type KekDomainMemberJoined = Event<
  'KekDomainMemberJoined',
  {
    readonly kekDomainId: string;
    readonly hsmId: string;
    readonly canaryBlobSha256: string;
    readonly canaryPublicKeySha256: string;
    readonly at: string;
  }
>;

export type KekDomainMemberLeft = Event<
  'KekDomainMemberLeft',
  { readonly kekDomainId: string; readonly hsmId: string; readonly reason: string; readonly at: string }
>;

export type KekDomainRetired = Event<
  'KekDomainRetired',
  { readonly kekDomainId: string; readonly reason: string; readonly at: string }
>;

export type KekDomainEvent =
  KekDomainCreated | KekDomainMemberJoined | KekDomainMemberLeft | KekDomainRetired;

const TYPES: Readonly<Record<KekDomainEvent['type'], true>> = {
  KekDomainCreated: true,
  KekDomainMemberJoined: true,
  KekDomainMemberLeft: true,
  KekDomainRetired: true,
};

/** For handlers narrowing events read from `kekdomain-<id>`. */
export function isKekDomainEvent(event: { readonly type: string }): event is KekDomainEvent {
  return Object.hasOwn(TYPES, event.type);
}
