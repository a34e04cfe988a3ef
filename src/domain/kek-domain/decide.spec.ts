import { InvalidCommand } from '../errors';
import { deciderSpec } from '../spec';
import type { AdmitKekDomainMember, CreateKekDomain } from './commands';
import {
  CanaryMismatch,
  KekDomainAlreadyExists,
  KekDomainIsRetired,
  KekDomainNotFound,
  WrongCanaryBlob,
} from './errors';
import type { KekDomainCreated, KekDomainEvent, KekDomainMemberJoined, KekDomainRetired } from './events';
import { domainCanary, kekDomainDecider, isMember } from './index';
import { evolve, initialState } from './state';

const spec = deciderSpec(kekDomainDecider);
const T0 = '2026-03-01T10:00:00.000Z';
const T1 = '2026-03-02T10:00:00.000Z';
const CANARY_BLOB = 'c1'.repeat(32);
const CANARY_PUB = 'Y2FuYXJ5IHNwa2kgREVSIGJ5dGVz';
const CANARY_PUB_SHA = 'c2'.repeat(32);
const OTHER_PUB = 'b3RoZXIgc3BraSBERVIgYnl0ZXMh';
const OTHER_PUB_SHA = '0f'.repeat(32);

const create: CreateKekDomain = {
  type: 'CreateKekDomain',
  data: {
    kekDomainId: 'kd-1',
    name: 'primary site',
    canaryKeyId: 'canary-1',
    canaryPublicKey: CANARY_PUB,
    canaryPublicKeySha256: CANARY_PUB_SHA,
    canaryBlobSha256: CANARY_BLOB,
    foundingHsmId: 'hsm-a',
    at: T0,
  },
};
const created: KekDomainCreated = { type: 'KekDomainCreated', data: { ...create.data } };
const admit = (over: Partial<AdmitKekDomainMember['data']> = {}): AdmitKekDomainMember => ({
  type: 'AdmitKekDomainMember',
  data: {
    kekDomainId: 'kd-1',
    hsmId: 'hsm-b',
    canaryBlobSha256: CANARY_BLOB,
    observedPublicKey: CANARY_PUB,
    observedPublicKeySha256: CANARY_PUB_SHA,
    at: T1,
    ...over,
  },
});
const joinedB: KekDomainMemberJoined = {
  type: 'KekDomainMemberJoined',
  data: {
    kekDomainId: 'kd-1',
    hsmId: 'hsm-b',
    canaryBlobSha256: CANARY_BLOB,
    canaryPublicKeySha256: CANARY_PUB_SHA,
    at: T1,
  },
};
const retired: KekDomainRetired = {
  type: 'KekDomainRetired',
  data: { kekDomainId: 'kd-1', reason: 'site closed', at: T1 },
};

describe('no KEK domain yet', () => {
  it('creates the domain from its canary', () => {
    spec.given([]).when(create).then([created]);
  });

  it('refuses to admit a member', () => {
    spec.given([]).when(admit()).thenThrows(KekDomainNotFound, 'KEK domain kd-1 does not exist');
  });

  it('refuses a malformed canary hash naming the field', () => {
    spec
      .given([])
      .when({ ...create, data: { ...create.data, canaryBlobSha256: 'xyz' } })
      .thenThrows(InvalidCommand, '"canaryBlobSha256" expected a SHA-256');
  });
});

describe('an active domain founded by hsm-a', () => {
  it('refuses to be created again', () => {
    spec
      .given([created])
      .when(create)
      .thenThrows(KekDomainAlreadyExists, `KEK domain kd-1 already exists (created ${T0})`);
  });

  it('admits hsm-b whose canary import yields the canary public key', () => {
    spec.given([created]).when(admit()).then([joinedB]);
  });

  it('refuses hsm-b whose canary import yields another public key, saying its KEK differs', () => {
    spec
      .given([created])
      .when(admit({ observedPublicKey: OTHER_PUB, observedPublicKeySha256: OTHER_PUB_SHA }))
      .thenThrows(
        CanaryMismatch,
        "hsm-b cannot join KEK domain kd-1: canary blob c1c1c1c1… yielded public key 0f0f0f0f… on hsm-b, but the domain's canary public key is c2c2c2c2…; hsm-b does not hold this domain's master KEK",
      );
  });

  it('refuses a proof made with some other blob than the canary', () => {
    spec
      .given([created])
      .when(admit({ canaryBlobSha256: 'dd'.repeat(32) }))
      .thenThrows(WrongCanaryBlob, "the domain's canary blob is c1c1c1c1…");
  });

  it('treats the founder as a member: admitting it again records nothing', () => {
    spec
      .given([created])
      .when(admit({ hsmId: 'hsm-a' }))
      .then([]);
  });

  it('removes a member that lost the KEK', () => {
    spec
      .given([created, joinedB])
      .when({
        type: 'RemoveKekDomainMember',
        data: { kekDomainId: 'kd-1', hsmId: 'hsm-b', reason: 'zeroized', at: T1 },
      })
      .then([
        {
          type: 'KekDomainMemberLeft',
          data: { kekDomainId: 'kd-1', hsmId: 'hsm-b', reason: 'zeroized', at: T1 },
        },
      ]);
  });

  it('records nothing when removing a non-member', () => {
    spec
      .given([created])
      .when({
        type: 'RemoveKekDomainMember',
        data: { kekDomainId: 'kd-1', hsmId: 'hsm-z', reason: 'zeroized', at: T1 },
      })
      .then([]);
  });

  it('refuses a command addressed to another domain', () => {
    spec
      .given([created])
      .when(admit({ kekDomainId: 'kd-2' }))
      .thenThrows(InvalidCommand, 'this stream is KEK domain kd-1');
  });

  it('retires', () => {
    spec
      .given([created])
      .when({ type: 'RetireKekDomain', data: { kekDomainId: 'kd-1', reason: 'site closed', at: T1 } })
      .then([retired]);
  });
});

describe('a retired domain', () => {
  it('admits no one', () => {
    spec
      .given([created, retired])
      .when(admit())
      .thenThrows(KekDomainIsRetired, `retired at ${T1}: admitting hsm-b refused`);
  });

  it('refuses to be retired again', () => {
    spec
      .given([created, retired])
      .when({ type: 'RetireKekDomain', data: { kekDomainId: 'kd-1', reason: 'again', at: T1 } })
      .thenThrows(KekDomainIsRetired);
  });
});

describe('queries', () => {
  const fold = (events: KekDomainEvent[]) => events.reduce(evolve, initialState());

  it('gives the canary an HSM join must match, and members', () => {
    const state = fold([created, joinedB]);
    expect(domainCanary(state, 'kd-1')).toEqual({
      kekDomainId: 'kd-1',
      canaryBlobSha256: CANARY_BLOB,
      canaryPublicKeySha256: CANARY_PUB_SHA,
    });
    expect([isMember(state, 'hsm-a'), isMember(state, 'hsm-b'), isMember(state, 'hsm-c')]).toEqual([
      true,
      true,
      false,
    ]);
  });

  it('refuses the canary of a retired domain', () => {
    expect(() => domainCanary(fold([created, retired]), 'kd-1')).toThrow(KekDomainIsRetired);
  });
});
