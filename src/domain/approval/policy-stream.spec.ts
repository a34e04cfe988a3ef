import { InvalidCommand } from '../errors';
import { deciderSpec } from '../spec';
import { DEFAULT_POLICY, MAX_APPROVALS, MAX_EXPIRY_SECONDS, type ApprovalPolicy } from './policy';
import { policyDecider, type AdoptPolicy, type PolicyAdopted } from './policy-stream';

const spec = deciderSpec(policyDecider);
const T0 = '2026-03-01T10:00:00.000Z';
const T1 = '2026-03-02T10:00:00.000Z';
const T2 = '2026-03-03T10:00:00.000Z';

/** No approvals at all for a while (M = 0), then three for destroying a key. */
const OPEN: ApprovalPolicy = {
  version: 1,
  expiresAfterSeconds: 3600,
  approvals: {
    'destroy-key': 0,
    'transfer-key-cross-domain': 0,
    'register-hsm': 0,
    'record-zeroization': 0,
    'enrol-officer': 0,
    'change-policy': 0,
  },
};
const STRICT: ApprovalPolicy = {
  ...DEFAULT_POLICY,
  approvals: { ...DEFAULT_POLICY.approvals, 'destroy-key': 3 },
};

const adopt = (over: Partial<Record<keyof AdoptPolicy['data'], unknown>> = {}): AdoptPolicy => ({
  type: 'AdoptPolicy',
  data: {
    policy: DEFAULT_POLICY,
    basis: 'initial',
    source: 'default',
    at: T0,
    ...over,
  } as AdoptPolicy['data'],
});
const initial: PolicyAdopted = {
  type: 'PolicyAdopted',
  data: { policy: DEFAULT_POLICY, basis: 'initial', source: 'default', at: T0 },
};
const changed: PolicyAdopted = {
  type: 'PolicyAdopted',
  data: { policy: OPEN, basis: 'approval', source: 'api', at: T1 },
};
const changedAgain: PolicyAdopted = {
  type: 'PolicyAdopted',
  data: { policy: STRICT, basis: 'approval', source: '/etc/keyledger/policy.json', at: T2 },
};

describe('a ledger without a policy', () => {
  it('adopts the default as its initial policy', () => {
    spec.given([]).when(adopt()).then([initial]);
  });

  it('adopts a policy from the file as its initial policy', () => {
    spec
      .given([])
      .when(adopt({ policy: STRICT, source: '/etc/keyledger/policy.json' }))
      .then([
        {
          type: 'PolicyAdopted',
          data: { ...initial.data, policy: STRICT, source: '/etc/keyledger/policy.json' },
        },
      ]);
  });

  it('refuses an approved change: there is nothing to change yet', () => {
    spec
      .given([])
      .when(adopt({ basis: 'approval', source: 'api' }))
      .thenThrows(
        InvalidCommand,
        'the ledger has no policy yet: the first one is adopted with basis initial',
      );
  });

  it('refuses a basis that is none of initial, approval, not-gated', () => {
    spec
      .given([])
      .when(adopt({ basis: 'edited' }))
      .thenThrows(InvalidCommand, '"basis" expected one of initial, approval, not-gated, got "edited"');
  });

  it('refuses a not-gated change as the first policy', () => {
    spec
      .given([])
      .when(adopt({ basis: 'not-gated' }))
      .thenThrows(InvalidCommand, 'the first one is adopted with basis initial, not not-gated');
  });

  it('refuses an empty source', () => {
    spec
      .given([])
      .when(adopt({ source: '' }))
      .thenThrows(InvalidCommand, '"source" expected non-empty text');
  });

  it('refuses a time that is not ISO-8601', () => {
    spec
      .given([])
      .when(adopt({ at: '1 March' }))
      .thenThrows(InvalidCommand, '"at" expected an ISO-8601 time');
  });

  const { 'change-policy': _omitted, ...withoutChangePolicy } = DEFAULT_POLICY.approvals;
  it.each([
    ['no policy', null, '"policy" expected an object'],
    ['version 2', { ...DEFAULT_POLICY, version: 2 }, '"policy.version" expected 1, got 2'],
    [
      'an expiry of 0 s',
      { ...DEFAULT_POLICY, expiresAfterSeconds: 0 },
      '"policy.expiresAfterSeconds" expected an integer in [1, 2592000], got 0',
    ],
    [
      'an expiry past 30 days',
      { ...DEFAULT_POLICY, expiresAfterSeconds: MAX_EXPIRY_SECONDS + 1 },
      '"policy.expiresAfterSeconds" expected an integer in [1, 2592000]',
    ],
    ['no approvals', { ...DEFAULT_POLICY, approvals: null }, '"policy.approvals" expected an object'],
    [
      'an action missing',
      { ...DEFAULT_POLICY, approvals: withoutChangePolicy },
      '"policy.approvals.change-policy" expected an integer in [0, 9], got undefined',
    ],
    [
      'an action no policy gates',
      { ...DEFAULT_POLICY, approvals: { ...DEFAULT_POLICY.approvals, sign: 1 } },
      '"policy.approvals" expected one of destroy-key,',
    ],
    [
      'a quorum above the maximum',
      { ...DEFAULT_POLICY, approvals: { ...DEFAULT_POLICY.approvals, 'destroy-key': MAX_APPROVALS + 1 } },
      '"policy.approvals.destroy-key" expected an integer in [0, 9], got 10',
    ],
    [
      'a negative quorum',
      { ...DEFAULT_POLICY, approvals: { ...DEFAULT_POLICY.approvals, 'register-hsm': -1 } },
      '"policy.approvals.register-hsm" expected an integer in [0, 9], got -1',
    ],
    [
      'a fractional quorum',
      { ...DEFAULT_POLICY, approvals: { ...DEFAULT_POLICY.approvals, 'enrol-officer': 1.5 } },
      '"policy.approvals.enrol-officer" expected an integer in [0, 9], got 1.5',
    ],
  ])('refuses a policy with %s', (_, policy, message) => {
    spec.given([]).when(adopt({ policy })).thenThrows(InvalidCommand, message);
  });
});

describe('a ledger with a policy in force', () => {
  it('refuses a second initial policy', () => {
    spec
      .given([initial])
      .when(adopt({ policy: OPEN, at: T1 }))
      .thenThrows(
        InvalidCommand,
        'the ledger already has a policy: a change needs an approved change-policy request',
      );
  });

  it('adopts a policy an approved change-policy request asked for, even one asking no approvals', () => {
    spec
      .given([initial])
      .when(adopt({ policy: OPEN, basis: 'approval', source: 'api', at: T1 }))
      .then([changed]);
  });

  it('adopts further approved changes', () => {
    spec
      .given([initial, changed])
      .when(adopt({ policy: STRICT, basis: 'approval', source: '/etc/keyledger/policy.json', at: T2 }))
      .then([changedAgain]);
  });
});

describe('evolve', () => {
  const fold = (events: PolicyAdopted[]) => events.reduce(policyDecider.evolve, policyDecider.initialState());

  it('starts absent', () => {
    expect(policyDecider.initialState()).toEqual({ status: 'absent' });
  });

  it('holds the initial policy with no changes', () => {
    expect(fold([initial])).toEqual({ status: 'adopted', policy: DEFAULT_POLICY, adoptedAt: T0, changes: 0 });
  });

  it('holds the latest policy and counts the changes after the initial one', () => {
    expect(fold([initial, changed])).toEqual({ status: 'adopted', policy: OPEN, adoptedAt: T1, changes: 1 });
    expect(fold([initial, changed, changedAgain])).toEqual({
      status: 'adopted',
      policy: STRICT,
      adoptedAt: T2,
      changes: 2,
    });
  });
});
