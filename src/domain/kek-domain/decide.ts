/**
 * KEK domains (docs/architecture.md §2, §4): the set of HSMs that hold one master KEK, so a raw blob from one
 * imports on all. A domain is proven by its canary: a small key whose raw blob must import on
 * every member and yield the same public key.
 *
 * Rules where docs/architecture.md is silent: the founder is a member from creation; admitting a member again
 * or removing a non-member is a no-op (process managers repeat steps); a retired domain admits
 * no one but may still lose members; retiring twice is refused.
 */
import { aBase64, aId, aSha256, aText, aTime } from '../assert';
import { InvalidCommand, unknownType } from '../errors';
import { lookup } from '../message';
import type { KekDomainCommand } from './commands';
import {
  CanaryMismatch,
  KekDomainAlreadyExists,
  KekDomainIsRetired,
  KekDomainNotFound,
  WrongCanaryBlob,
} from './errors';
import type { KekDomainEvent } from './events';
import type { KekDomainState } from './state';

export function decide(command: KekDomainCommand, state: KekDomainState): KekDomainEvent[] {
  const d = command.data;
  aId('kekDomainId', d.kekDomainId);
  aTime('at', d.at);

  if (command.type === 'CreateKekDomain') {
    const c = command.data;
    aText('name', c.name);
    aId('canaryKeyId', c.canaryKeyId);
    aBase64('canaryPublicKey', c.canaryPublicKey);
    aSha256('canaryPublicKeySha256', c.canaryPublicKeySha256);
    aSha256('canaryBlobSha256', c.canaryBlobSha256);
    aId('foundingHsmId', c.foundingHsmId);
    if (state.status !== 'absent') throw new KekDomainAlreadyExists(state.kekDomainId, state.createdAt);
    return [{ type: 'KekDomainCreated', data: { ...c } }];
  }

  if (state.status === 'absent') throw new KekDomainNotFound(d.kekDomainId);
  if (state.kekDomainId !== d.kekDomainId) {
    throw new InvalidCommand(
      `"kekDomainId" is ${d.kekDomainId}, but this stream is KEK domain ${state.kekDomainId}`,
    );
  }

  switch (command.type) {
    case 'AdmitKekDomainMember': {
      const c = command.data;
      aId('hsmId', c.hsmId);
      aSha256('canaryBlobSha256', c.canaryBlobSha256);
      aBase64('observedPublicKey', c.observedPublicKey);
      aSha256('observedPublicKeySha256', c.observedPublicKeySha256);
      if (state.status === 'retired')
        throw new KekDomainIsRetired(state.kekDomainId, state.retiredAt ?? '?', `admitting ${c.hsmId}`);
      if (c.canaryBlobSha256 !== state.canaryBlobSha256) {
        throw new WrongCanaryBlob(state.kekDomainId, c.hsmId, c.canaryBlobSha256, state.canaryBlobSha256);
      }
      if (c.observedPublicKey !== state.canaryPublicKey) {
        throw new CanaryMismatch(
          state.kekDomainId,
          c.hsmId,
          c.canaryBlobSha256,
          c.observedPublicKeySha256,
          state.canaryPublicKeySha256,
        );
      }
      if (c.observedPublicKeySha256 !== state.canaryPublicKeySha256) {
        throw new InvalidCommand(
          `"observedPublicKeySha256" is ${c.observedPublicKeySha256}, but the canary public key it names hashes to ${state.canaryPublicKeySha256}`,
        );
      }
      if (lookup(state.members, c.hsmId) !== undefined) return [];
      return [
        {
          type: 'KekDomainMemberJoined',
          data: {
            kekDomainId: state.kekDomainId,
            hsmId: c.hsmId,
            canaryBlobSha256: c.canaryBlobSha256,
            canaryPublicKeySha256: state.canaryPublicKeySha256,
            at: c.at,
          },
        },
      ];
    }
    case 'RemoveKekDomainMember': {
      const c = command.data;
      aId('hsmId', c.hsmId);
      aText('reason', c.reason);
      if (lookup(state.members, c.hsmId) === undefined) return [];
      return [
        {
          type: 'KekDomainMemberLeft',
          data: { kekDomainId: state.kekDomainId, hsmId: c.hsmId, reason: c.reason, at: c.at },
        },
      ];
    }
    case 'RetireKekDomain': {
      aText('reason', command.data.reason);
      if (state.status === 'retired')
        throw new KekDomainIsRetired(state.kekDomainId, state.retiredAt ?? '?', 'retiring it again');
      return [
        {
          type: 'KekDomainRetired',
          data: { kekDomainId: state.kekDomainId, reason: command.data.reason, at: command.data.at },
        },
      ];
    }
    default:
      return unknownType(command, 'KEK domain command');
  }
}
