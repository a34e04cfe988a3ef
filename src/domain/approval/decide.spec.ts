import { InvalidCommand } from '../errors';
import type { Role } from '../operator';
import { deciderSpec } from '../spec';
import type { GrantApproval, RecordApprovalOutcome, RejectApproval, RequestApproval } from './commands';
import {
  AlreadyApproved,
  ApprovalAlreadyRequested,
  ApprovalExpired,
  ApprovalNotFound,
  ApprovalNotPending,
  ApproverNotOfficer,
  RequesterCannotApprove,
} from './errors';
import type {
  ApprovalEvent,
  ApprovalExecuted,
  ApprovalFailed,
  ApprovalGranted,
  ApprovalRejected,
  ApprovalRequested,
} from './events';
import { approvalDecider, MAX_APPROVALS, statusAt, type ApprovalRequest } from './index';
import { evolve, initialState } from './state';

const spec = deciderSpec(approvalDecider);
const T0 = '2026-03-01T10:00:00.000Z';
const T1 = '2026-03-01T11:00:00.000Z';
const T2 = '2026-03-01T12:00:00.000Z';
const T3 = '2026-03-01T13:00:00.000Z';
/** The request's expiry: a day after T0. */
const EXPIRES = '2026-03-02T10:00:00.000Z';
const AFTER_EXPIRY = '2026-03-02T10:00:00.001Z';

const request = (over: Partial<Record<keyof RequestApproval['data'], unknown>> = {}): RequestApproval => ({
  type: 'RequestApproval',
  data: {
    approvalId: 'ap-1',
    action: 'destroy-key',
    params: { keyId: 'key-1', reason: 'retired' },
    requestedBy: 'alice',
    required: 2,
    expiresAt: EXPIRES,
    at: T0,
    ...over,
  } as RequestApproval['data'],
});
const requested: ApprovalRequested = {
  type: 'ApprovalRequested',
  data: {
    approvalId: 'ap-1',
    action: 'destroy-key',
    params: { keyId: 'key-1', reason: 'retired' },
    requestedBy: 'alice',
    required: 2,
    expiresAt: EXPIRES,
    at: T0,
  },
};
const grant = (by: string, at = T1, role: Role = 'officer'): GrantApproval => ({
  type: 'GrantApproval',
  data: { approvalId: 'ap-1', by, role, at },
});
const granted = (by: string, at: string): ApprovalGranted => ({
  type: 'ApprovalGranted',
  data: { approvalId: 'ap-1', by, role: 'officer', at },
});
const byBob = granted('bob', T1);
const byCarol = granted('carol', T2);
const reject = (by: string, over: Partial<RejectApproval['data']> = {}): RejectApproval => ({
  type: 'RejectApproval',
  data: { approvalId: 'ap-1', by, role: 'officer', reason: 'wrong key', at: T1, ...over },
});
const rejected: ApprovalRejected = {
  type: 'ApprovalRejected',
  data: { approvalId: 'ap-1', by: 'bob', role: 'officer', reason: 'wrong key', at: T1 },
};
const outcome = (o: unknown, at = T3): RecordApprovalOutcome => ({
  type: 'RecordApprovalOutcome',
  data: { approvalId: 'ap-1', by: 'runner', outcome: o as RecordApprovalOutcome['data']['outcome'], at },
});
const executed: ApprovalExecuted = {
  type: 'ApprovalExecuted',
  data: { approvalId: 'ap-1', by: 'runner', result: { destroyed: 'key-1' }, at: T3 },
};
const failed: ApprovalFailed = {
  type: 'ApprovalFailed',
  data: { approvalId: 'ap-1', by: 'runner', reason: 'key key-1 is frozen', at: T3 },
};
const approved = [requested, byBob, byCarol];

const fold = (events: ApprovalEvent[]): ApprovalRequest => {
  const state = events.reduce(evolve, initialState());
  if (state.status === 'absent') throw new Error('no request in the given events');
  return state;
};

describe('no request yet', () => {
  it('records the request', () => {
    spec.given([]).when(request()).then([requested]);
  });

  it(`records a request for ${MAX_APPROVALS} approvals, the most a policy can ask`, () => {
    spec
      .given([])
      .when(request({ required: MAX_APPROVALS }))
      .then([{ ...requested, data: { ...requested.data, required: MAX_APPROVALS } }]);
  });

  it.each([0, MAX_APPROVALS + 1, 1.5])('refuses a request for %p approvals', (required) => {
    spec
      .given([])
      .when(request({ required }))
      .thenThrows(InvalidCommand, `"required" expected an integer in [1, ${MAX_APPROVALS}], got ${required}`);
  });

  it('refuses an action no policy gates', () => {
    spec
      .given([])
      .when(request({ action: 'sign' }))
      .thenThrows(InvalidCommand, '"action" expected one of destroy-key, transfer-key-cross-domain,');
  });

  it.each([
    ['at the request', T0],
    ['before the request', '2026-03-01T09:59:59.999Z'],
  ])('refuses an expiry %s', (_, expiresAt) => {
    spec
      .given([])
      .when(request({ expiresAt }))
      .thenThrows(InvalidCommand, `"expiresAt" ${expiresAt} is not after the request (${T0})`);
  });

  it.each([
    ['null', null],
    ['an array', ['key-1']],
    ['string', 'key-1'],
  ])('refuses params that are no object (%s)', (got, params) => {
    spec
      .given([])
      .when(request({ params }))
      .thenThrows(InvalidCommand, `"params" expected a JSON object, got ${got}`);
  });

  it('refuses a requester id that cannot name an operator', () => {
    spec
      .given([])
      .when(request({ requestedBy: '' }))
      .thenThrows(InvalidCommand, '"requestedBy" expected an id');
  });

  it.each([
    ['GrantApproval', grant('bob')],
    ['RejectApproval', reject('bob')],
    ['RecordApprovalOutcome', outcome({ status: 'executed', result: {} })],
  ] as const)('refuses %s', (_, command) => {
    spec.given([]).when(command).thenThrows(ApprovalNotFound, 'approval ap-1 does not exist');
  });
});

describe('a pending request for two approvals, asked by alice', () => {
  it('refuses to be requested twice', () => {
    spec
      .given([requested])
      .when(request({ at: T1 }))
      .thenThrows(ApprovalAlreadyRequested, 'approval ap-1 was already requested');
  });

  it('records a first approval by another officer', () => {
    spec.given([requested]).when(grant('bob')).then([byBob]);
  });

  it('refuses an approval by its requester', () => {
    spec
      .given([requested])
      .when(grant('alice'))
      .thenThrows(
        RequesterCannotApprove,
        'operator alice requested approval ap-1 and cannot approve it: another officer must',
      );
  });

  it.each(['operator', 'auditor'] as const)('refuses an approval by an %s', (role) => {
    spec
      .given([requested])
      .when(grant('dave', T1, role))
      .thenThrows(ApproverNotOfficer, `operator dave is an ${role}: only officers approve or reject (ap-1)`);
  });

  it('refuses a role that is none of the three', () => {
    spec
      .given([requested])
      .when(grant('dave', T1, 'root' as Role))
      .thenThrows(InvalidCommand, '"role" expected one of auditor, operator, officer, got "root"');
  });

  it.each([
    ['at its expiry', EXPIRES],
    ['after its expiry', AFTER_EXPIRY],
  ])('refuses an approval %s', (_, at) => {
    spec
      .given([requested])
      .when(grant('bob', at))
      .thenThrows(
        ApprovalExpired,
        `approval ap-1 expired at ${EXPIRES}: approving refused; request the action again`,
      );
  });

  it('records an approval a millisecond before its expiry', () => {
    spec
      .given([requested])
      .when(grant('bob', '2026-03-02T09:59:59.999Z'))
      .then([granted('bob', '2026-03-02T09:59:59.999Z')]);
  });

  it('is rejected by an officer, with the reason', () => {
    spec.given([requested]).when(reject('bob')).then([rejected]);
  });

  it('is withdrawn by its requester, an officer, as a rejection', () => {
    spec
      .given([requested])
      .when(reject('alice', { reason: 'withdrawn' }))
      .then([
        {
          type: 'ApprovalRejected',
          data: { approvalId: 'ap-1', by: 'alice', role: 'officer', reason: 'withdrawn', at: T1 },
        },
      ]);
  });

  it.each([
    ['empty', ''],
    ['blank', ' \n '],
  ])('refuses a rejection with an %s reason', (_, reason) => {
    spec
      .given([requested])
      .when(reject('bob', { reason }))
      .thenThrows(InvalidCommand, '"reason" expected non-empty text');
  });

  it('refuses a rejection by an operator', () => {
    spec
      .given([requested])
      .when(reject('dave', { role: 'operator' }))
      .thenThrows(ApproverNotOfficer, 'operator dave is an operator: only officers approve or reject');
  });

  it('is still rejected after its expiry: only approvals lapse', () => {
    spec
      .given([requested])
      .when(reject('bob', { reason: 'lapsed', at: AFTER_EXPIRY }))
      .then([
        {
          type: 'ApprovalRejected',
          data: { approvalId: 'ap-1', by: 'bob', role: 'officer', reason: 'lapsed', at: AFTER_EXPIRY },
        },
      ]);
  });

  it('refuses to record an outcome: nothing is approved yet', () => {
    spec
      .given([requested])
      .when(outcome({ status: 'executed', result: {} }))
      .thenThrows(
        ApprovalNotPending,
        'approval ap-1 is still pending, not approved: recording an outcome refused',
      );
  });

  it('refuses a command for another approval', () => {
    spec
      .given([requested])
      .when({ ...grant('bob'), data: { ...grant('bob').data, approvalId: 'ap-2' } })
      .thenThrows(InvalidCommand, '"approvalId" is ap-2, but this stream is approval ap-1');
  });

  it('refuses a request for another approval as misaddressed, not as requested already', () => {
    spec
      .given([requested])
      .when(request({ approvalId: 'ap-2' }))
      .thenThrows(InvalidCommand, '"approvalId" is ap-2, but this stream is approval ap-1');
  });
});

describe('a request approved once by bob, one approval to go', () => {
  it('records the second approval, by carol', () => {
    spec.given([requested, byBob]).when(grant('carol', T2)).then([byCarol]);
  });

  it('refuses a second approval by bob', () => {
    spec
      .given([requested, byBob])
      .when(grant('bob', T2))
      .thenThrows(AlreadyApproved, `operator bob already approved ap-1 (at ${T1}); each officer counts once`);
  });

  it('refuses an approval by its requester', () => {
    spec.given([requested, byBob]).when(grant('alice', T2)).thenThrows(RequesterCannotApprove);
  });

  it('is still rejected by carol', () => {
    spec
      .given([requested, byBob])
      .when(reject('carol', { at: T2 }))
      .then([
        {
          type: 'ApprovalRejected',
          data: { approvalId: 'ap-1', by: 'carol', role: 'officer', reason: 'wrong key', at: T2 },
        },
      ]);
  });
});

describe('an approved request, not yet run', () => {
  it('records that it executed, with the result', () => {
    spec
      .given(approved)
      .when(outcome({ status: 'executed', result: { destroyed: 'key-1' } }))
      .then([executed]);
  });

  it('records that it failed, with the reason', () => {
    spec
      .given(approved)
      .when(outcome({ status: 'failed', reason: 'key key-1 is frozen' }))
      .then([failed]);
  });

  it('records its outcome after expiresAt: approval settled it', () => {
    spec
      .given(approved)
      .when(outcome({ status: 'executed', result: { destroyed: 'key-1' } }, AFTER_EXPIRY))
      .then([{ ...executed, data: { ...executed.data, at: AFTER_EXPIRY } }]);
  });

  it.each([
    ['an outcome that is no object', null, '"outcome" expected a JSON object, got null'],
    [
      'an unknown status',
      { status: 'skipped' },
      '"outcome.status" expected one of executed, failed, got "skipped"',
    ],
    [
      'a result that is an array',
      { status: 'executed', result: [] },
      '"outcome.result" expected a JSON object, got an array',
    ],
    [
      'a failure without reason',
      { status: 'failed', reason: '' },
      '"outcome.reason" expected non-empty text',
    ],
  ])('refuses %s', (_, o, message) => {
    spec.given(approved).when(outcome(o)).thenThrows(InvalidCommand, message);
  });

  it.each([
    ['GrantApproval', 'approving', grant('dave', T3)],
    ['RejectApproval', 'rejecting', reject('dave', { at: T3 })],
  ] as const)('refuses %s', (_, what, command) => {
    spec
      .given(approved)
      .when(command)
      .thenThrows(ApprovalNotPending, `approval ap-1 is approved, no longer pending: ${what} refused`);
  });
});

describe('a request for one approval, approved by bob', () => {
  const single = { ...requested, data: { ...requested.data, required: 1 } };

  it('is approved by that one approval, and runs', () => {
    spec
      .given([single, byBob])
      .when(outcome({ status: 'executed', result: { destroyed: 'key-1' } }))
      .then([executed]);
  });
});

describe.each([
  ['rejected', [requested, rejected]],
  ['executed', [...approved, executed]],
  ['failed', [...approved, failed]],
] as const)('a settled request: %s', (status, events) => {
  it.each([
    ['approving', grant('dave', T3)],
    ['rejecting', reject('dave', { at: T3 })],
    ['recording an outcome', outcome({ status: 'executed', result: {} })],
  ] as const)('refuses %s', (what, command) => {
    spec
      .given(events)
      .when(command)
      .thenThrows(ApprovalNotPending, `approval ap-1 is ${status}, no longer pending: ${what} refused`);
  });
});

describe('evolve', () => {
  const pending = {
    status: 'pending',
    approvalId: 'ap-1',
    action: 'destroy-key',
    params: { keyId: 'key-1', reason: 'retired' },
    requestedBy: 'alice',
    requestedAt: T0,
    required: 2,
    expiresAt: EXPIRES,
    approvals: [],
    rejection: null,
    outcome: null,
  } as const;
  const bob = { by: 'bob', role: 'officer', at: T1 } as const;
  const carol = { by: 'carol', role: 'officer', at: T2 } as const;

  it('starts absent', () => {
    expect(initialState()).toEqual({ status: 'absent' });
  });

  it('holds a requested approval as pending, with no approvals', () => {
    expect(fold([requested])).toEqual(pending);
  });

  it('stays pending with one approval of two', () => {
    expect(fold([requested, byBob])).toEqual({ ...pending, approvals: [bob] });
  });

  it('is approved once the second distinct officer approves', () => {
    expect(fold(approved)).toEqual({ ...pending, status: 'approved', approvals: [bob, carol] });
  });

  it('holds the rejection', () => {
    expect(fold([requested, rejected])).toEqual({
      ...pending,
      status: 'rejected',
      rejection: { by: 'bob', reason: 'wrong key', at: T1 },
    });
  });

  it('holds the outcome of a run', () => {
    expect(fold([...approved, executed])).toEqual({
      ...pending,
      status: 'executed',
      approvals: [bob, carol],
      outcome: { status: 'executed', by: 'runner', at: T3, result: { destroyed: 'key-1' } },
    });
    expect(fold([...approved, failed])).toEqual({
      ...pending,
      status: 'failed',
      approvals: [bob, carol],
      outcome: { status: 'failed', by: 'runner', at: T3, reason: 'key key-1 is frozen' },
    });
  });
});

describe('statusAt', () => {
  it('is pending before the expiry, expired at and after it', () => {
    const state = fold([requested, byBob]);
    expect([statusAt(state, T1), statusAt(state, EXPIRES), statusAt(state, AFTER_EXPIRY)]).toEqual([
      'pending',
      'expired',
      'expired',
    ]);
  });

  it.each([
    ['approved', approved],
    ['rejected', [requested, rejected]],
    ['executed', [...approved, executed]],
    ['failed', [...approved, failed]],
  ] as const)('stays %s whatever the time', (status, events) => {
    const state = fold([...events]);
    expect([statusAt(state, T3), statusAt(state, EXPIRES), statusAt(state, '2027-01-01T00:00:00Z')]).toEqual([
      status,
      status,
      status,
    ]);
  });
});
