import { InvalidCommand } from '../errors';
import { deciderSpec } from '../spec';
import type { JoinKekDomain, RegisterHsm } from './commands';
import {
  CanaryProofMismatch,
  HsmAlreadyRegistered,
  HsmInOtherKekDomain,
  HsmIsDecommissioned,
  HsmNotRegistered,
  HsmStillInKekDomain,
  HsmTampered,
} from './errors';
import type {
  HsmDecommissioned,
  HsmEvent,
  HsmJoinedKekDomain,
  HsmRegistered,
  HsmReportedTamper,
  HsmZeroized,
} from './events';
import { hsmDecider, kekDomainOf } from './index';
import { evolve, initialState } from './state';

const spec = deciderSpec(hsmDecider);
const T0 = '2026-03-01T10:00:00.000Z';
const T1 = '2026-03-02T10:00:00.000Z';
const T2 = '2026-03-03T10:00:00.000Z';
const CANARY_BLOB = 'c1'.repeat(32);
const CANARY_PUB_SHA = 'c2'.repeat(32);
const kd1 = { kekDomainId: 'kd-1', canaryBlobSha256: CANARY_BLOB, canaryPublicKeySha256: CANARY_PUB_SHA };
const kd2 = {
  kekDomainId: 'kd-2',
  canaryBlobSha256: 'd1'.repeat(32),
  canaryPublicKeySha256: 'd2'.repeat(32),
};

const register: RegisterHsm = {
  type: 'RegisterHsm',
  data: { hsmId: 'hsm-a', name: 'Alpha rack 1', endpoint: '/tmp/.cryptech_muxd.rpc', capacity: 64, at: T0 },
};
const registered: HsmRegistered = {
  type: 'HsmRegistered',
  data: {
    hsmId: 'hsm-a',
    name: 'Alpha rack 1',
    endpoint: '/tmp/.cryptech_muxd.rpc',
    kekDomainId: null,
    capacity: 64,
    at: T0,
  },
};
const join = (domain = kd1, over: Partial<JoinKekDomain['data']> = {}): JoinKekDomain => ({
  type: 'JoinKekDomain',
  data: {
    hsmId: 'hsm-a',
    kekDomainId: domain.kekDomainId,
    canaryBlobSha256: domain.canaryBlobSha256,
    canaryPublicKeySha256: domain.canaryPublicKeySha256,
    domainCanary: domain,
    at: T1,
    ...over,
  },
});
const joined: HsmJoinedKekDomain = {
  type: 'HsmJoinedKekDomain',
  data: {
    hsmId: 'hsm-a',
    kekDomainId: 'kd-1',
    canaryBlobSha256: CANARY_BLOB,
    canaryPublicKeySha256: CANARY_PUB_SHA,
    at: T1,
  },
};
const tampered: HsmReportedTamper = {
  type: 'HsmReportedTamper',
  data: { hsmId: 'hsm-a', detail: 'case opened', at: T2 },
};
const zeroized: HsmZeroized = {
  type: 'HsmZeroized',
  data: { hsmId: 'hsm-a', leftKekDomainId: 'kd-1', reason: 'tamper response', at: T2 },
};
const decommissioned: HsmDecommissioned = {
  type: 'HsmDecommissioned',
  data: { hsmId: 'hsm-a', reason: 'end of life', at: T2 },
};

describe('an unknown HSM', () => {
  it('registers outside any KEK domain', () => {
    spec.given([]).when(register).then([registered]);
  });

  it('refuses to join a domain before registration', () => {
    spec.given([]).when(join()).thenThrows(HsmNotRegistered, 'HSM hsm-a is not registered');
  });

  it('refuses a capacity of zero naming the field', () => {
    spec
      .given([])
      .when({ ...register, data: { ...register.data, capacity: 0 } })
      .thenThrows(InvalidCommand, '"capacity" expected an integer in [1,');
  });
});

describe('a registered HSM outside any KEK domain', () => {
  it('refuses a second registration', () => {
    spec
      .given([registered])
      .when(register)
      .thenThrows(HsmAlreadyRegistered, `HSM hsm-a is already registered (since ${T0})`);
  });

  it('joins a domain with a canary proof matching the domain', () => {
    spec.given([registered]).when(join()).then([joined]);
  });

  it('refuses a proof whose public key differs from the domain canary', () => {
    spec
      .given([registered])
      .when(join(kd1, { canaryPublicKeySha256: 'ee'.repeat(32) }))
      .thenThrows(
        CanaryProofMismatch,
        "HSM hsm-a cannot join KEK domain kd-1: the canary yielded public key eeeeeeee…, but the domain's canary public key is c2c2c2c2…",
      );
  });

  it('refuses a proof made with another blob', () => {
    spec
      .given([registered])
      .when(join(kd1, { canaryBlobSha256: 'ee'.repeat(32) }))
      .thenThrows(
        CanaryProofMismatch,
        "it imported blob eeeeeeee…, but the domain's canary blob is c1c1c1c1…",
      );
  });

  it('refuses a canary read from another domain than the one named', () => {
    spec
      .given([registered])
      .when(join(kd1, { kekDomainId: 'kd-2' }))
      .thenThrows(InvalidCommand, "is KEK domain kd-1's, not kd-2's");
  });

  it('is decommissioned', () => {
    spec
      .given([registered])
      .when({ type: 'DecommissionHsm', data: { hsmId: 'hsm-a', reason: 'end of life', at: T2 } })
      .then([decommissioned]);
  });
});

describe('an HSM in KEK domain kd-1', () => {
  it('records nothing when joining kd-1 again', () => {
    spec.given([registered, joined]).when(join()).then([]);
  });

  it('refuses to join kd-2 without zeroization', () => {
    spec
      .given([registered, joined])
      .when(join(kd2))
      .thenThrows(
        HsmInOtherKekDomain,
        'HSM hsm-a holds the master KEK of KEK domain kd-1; zeroize it before it joins kd-2',
      );
  });

  it('records a tamper report', () => {
    spec
      .given([registered, joined])
      .when({ type: 'ReportTamper', data: { hsmId: 'hsm-a', detail: 'case opened', at: T2 } })
      .then([tampered]);
  });

  it('leaves kd-1 when zeroized', () => {
    spec
      .given([registered, joined])
      .when({ type: 'RecordZeroized', data: { hsmId: 'hsm-a', reason: 'tamper response', at: T2 } })
      .then([zeroized]);
  });

  it('refuses decommissioning while it still holds the KEK', () => {
    spec
      .given([registered, joined])
      .when({ type: 'DecommissionHsm', data: { hsmId: 'hsm-a', reason: 'end of life', at: T2 } })
      .thenThrows(HsmStillInKekDomain, 'zeroize it first');
  });
});

describe('a tampered HSM', () => {
  it('refuses to join until zeroized', () => {
    spec
      .given([registered, tampered])
      .when(join())
      .thenThrows(
        HsmTampered,
        `HSM hsm-a reported tamper at ${T2} (case opened): joining kd-1 refused until it is zeroized`,
      );
  });
});

describe('a zeroized HSM', () => {
  it('must rejoin by canary, and may join another domain', () => {
    spec
      .given([registered, joined, tampered, zeroized])
      .when(join(kd2))
      .then([
        {
          type: 'HsmJoinedKekDomain',
          data: {
            hsmId: 'hsm-a',
            kekDomainId: 'kd-2',
            canaryBlobSha256: kd2.canaryBlobSha256,
            canaryPublicKeySha256: kd2.canaryPublicKeySha256,
            at: T1,
          },
        },
      ]);
  });
});

describe('a decommissioned HSM', () => {
  it.each([
    ['RegisterHsm', register],
    ['JoinKekDomain', join()],
    ['ReportTamper', { type: 'ReportTamper', data: { hsmId: 'hsm-a', detail: 'x', at: T2 } }],
    ['RecordZeroized', { type: 'RecordZeroized', data: { hsmId: 'hsm-a', reason: 'x', at: T2 } }],
    ['DecommissionHsm', { type: 'DecommissionHsm', data: { hsmId: 'hsm-a', reason: 'x', at: T2 } }],
  ] as const)('refuses %s', (type, command) => {
    spec
      .given([registered, decommissioned])
      .when(command)
      .thenThrows(HsmIsDecommissioned, `decommissioned at ${T2}: ${type} refused`);
  });
});

describe('kekDomainOf', () => {
  const fold = (events: HsmEvent[]) => events.reduce(evolve, initialState());
  it('names the domain of a member, and none once tampered or zeroized', () => {
    expect(kekDomainOf(fold([registered, joined]))).toBe('kd-1');
    expect(kekDomainOf(fold([registered, joined, tampered]))).toBeNull();
    expect(kekDomainOf(fold([registered, joined, zeroized]))).toBeNull();
  });
});
