import { InvalidCommand } from '../errors';
import { deciderSpec } from '../spec';
import type {
  ChangeOperatorRole,
  EnrolmentBasis,
  EnrolOperator,
  RevokeOperator,
  RotateOperatorToken,
} from './commands';
import { OperatorAlreadyEnrolled, OperatorIsRevoked, OperatorNotFound } from './errors';
import type {
  OperatorEnrolled,
  OperatorEvent,
  OperatorRevoked,
  OperatorRoleChanged,
  OperatorTokenRotated,
} from './events';
import { isRole, operatorDecider, roleAtLeast, ROLES, type Role } from './index';
import { evolve, initialState } from './state';

const spec = deciderSpec(operatorDecider);
const T0 = '2026-03-01T10:00:00.000Z';
const T1 = '2026-03-02T10:00:00.000Z';
const T2 = '2026-03-03T10:00:00.000Z';
const HASH_A = 'a1'.repeat(32);
const HASH_B = 'b2'.repeat(32);
const BASES: readonly EnrolmentBasis[] = ['first-officer', 'bootstrap-phase', 'approval', 'not-gated'];

const enrol = (over: Partial<Record<keyof EnrolOperator['data'], unknown>> = {}): EnrolOperator => ({
  type: 'EnrolOperator',
  data: {
    operatorId: 'op-1',
    name: 'Ada Lovelace',
    role: 'operator',
    tokenHash: HASH_A,
    basis: 'not-gated',
    at: T0,
    ...over,
  } as EnrolOperator['data'],
});
const enrolled: OperatorEnrolled = {
  type: 'OperatorEnrolled',
  data: {
    operatorId: 'op-1',
    name: 'Ada Lovelace',
    role: 'operator',
    tokenHash: HASH_A,
    basis: 'not-gated',
    at: T0,
  },
};
const changeRole = (role: Role, over: Partial<ChangeOperatorRole['data']> = {}): ChangeOperatorRole => ({
  type: 'ChangeOperatorRole',
  data: { operatorId: 'op-1', role, basis: 'approval', at: T1, ...over },
});
const roleChanged: OperatorRoleChanged = {
  type: 'OperatorRoleChanged',
  data: { operatorId: 'op-1', from: 'operator', to: 'officer', basis: 'approval', at: T1 },
};
const rotate = (tokenHash: string, operatorId = 'op-1'): RotateOperatorToken => ({
  type: 'RotateOperatorToken',
  data: { operatorId, tokenHash, at: T1 },
});
const rotated: OperatorTokenRotated = {
  type: 'OperatorTokenRotated',
  data: { operatorId: 'op-1', tokenHash: HASH_B, at: T1 },
};
const revoke: RevokeOperator = { type: 'RevokeOperator', data: { operatorId: 'op-1', at: T2 } };
const revoked: OperatorRevoked = { type: 'OperatorRevoked', data: { operatorId: 'op-1', at: T2 } };

describe('no operator yet', () => {
  it.each(ROLES)('enrols an %s', (role) => {
    spec
      .given([])
      .when(enrol({ role }))
      .then([{ ...enrolled, data: { ...enrolled.data, role } }]);
  });

  it.each(BASES)('enrols on basis %s, recorded on the event', (basis) => {
    spec
      .given([])
      .when(enrol({ role: 'officer', basis }))
      .then([{ ...enrolled, data: { ...enrolled.data, role: 'officer', basis } }]);
  });

  it('enrols a name of exactly 128 characters', () => {
    const name = 'n'.repeat(128);
    spec
      .given([])
      .when(enrol({ name }))
      .then([{ ...enrolled, data: { ...enrolled.data, name } }]);
  });

  it.each([
    ['empty', ''],
    ['blank', '   '],
  ])('refuses an %s name as text', (_, name) => {
    spec
      .given([])
      .when(enrol({ name }))
      .thenThrows(InvalidCommand, '"name" expected non-empty text of at most 1024 characters');
  });

  it.each([
    ['129 characters', 'n'.repeat(129)],
    ['a line feed', 'Ada\nLovelace'],
    ['a tab', 'Ada\tLovelace'],
    ['a NUL', 'Ada\u0000'],
    ['a DEL', 'Ada\u007f'],
    ['a C1 next-line', 'Ada\u0085Lovelace'],
    ['a Unicode line separator', 'Ada\u2028Lovelace'],
    ['a leading space', ' Ada Lovelace'],
    ['a trailing space', 'Ada Lovelace '],
    ['a trailing no-break space', 'Ada Lovelace\u00a0'],
  ])('refuses a name with %s', (_, name) => {
    spec
      .given([])
      .when(enrol({ name }))
      .thenThrows(
        InvalidCommand,
        '"name" expected one line of at most 128 characters without surrounding spaces',
      );
  });

  it('refuses a role that is none of the three', () => {
    spec
      .given([])
      .when(enrol({ role: 'admin' }))
      .thenThrows(InvalidCommand, '"role" expected one of auditor, operator, officer, got "admin"');
  });

  it.each([
    ['uppercase hex', 'A1'.repeat(32)],
    ['too short', 'a1'.repeat(31)],
    ['not hex', 'zz'.repeat(32)],
    ['a raw token', 'kl_secret_token'],
  ])('refuses a token hash that is %s', (_, tokenHash) => {
    spec
      .given([])
      .when(enrol({ tokenHash }))
      .thenThrows(InvalidCommand, '"tokenHash" expected a SHA-256 as 64 lowercase hex characters');
  });

  it('refuses an unknown basis', () => {
    spec
      .given([])
      .when(enrol({ basis: 'self-service' }))
      .thenThrows(
        InvalidCommand,
        '"basis" expected one of first-officer, bootstrap-phase, approval, not-gated, got "self-service"',
      );
  });

  it('refuses an operator id that cannot name a stream', () => {
    spec
      .given([])
      .when(enrol({ operatorId: 'op/1' }))
      .thenThrows(InvalidCommand, '"operatorId" expected an id');
  });

  it('refuses a time that is not ISO-8601', () => {
    spec
      .given([])
      .when(enrol({ at: 'yesterday' }))
      .thenThrows(InvalidCommand, '"at" expected an ISO-8601 time, got "yesterday"');
  });

  it.each([
    ['ChangeOperatorRole', changeRole('officer')],
    ['RotateOperatorToken', rotate(HASH_B)],
    ['RevokeOperator', revoke],
  ] as const)('refuses %s', (_, command) => {
    spec.given([]).when(command).thenThrows(OperatorNotFound, 'operator op-1 is not enrolled');
  });
});

describe('an active operator', () => {
  it('refuses to be enrolled twice', () => {
    spec
      .given([enrolled])
      .when(enrol({ at: T1 }))
      .thenThrows(OperatorAlreadyEnrolled, `operator op-1 is already enrolled (since ${T0})`);
  });

  it('changes role to officer, recording from, to and basis', () => {
    spec.given([enrolled]).when(changeRole('officer')).then([roleChanged]);
  });

  it('changes role down to auditor', () => {
    spec
      .given([enrolled])
      .when(changeRole('auditor', { basis: 'not-gated' }))
      .then([
        {
          type: 'OperatorRoleChanged',
          data: { operatorId: 'op-1', from: 'operator', to: 'auditor', basis: 'not-gated', at: T1 },
        },
      ]);
  });

  it('records nothing when asked for the role it already has', () => {
    spec.given([enrolled]).when(changeRole('operator')).then([]);
  });

  it('refuses a change to a role that is none of the three', () => {
    spec
      .given([enrolled])
      .when(changeRole('root' as Role))
      .thenThrows(InvalidCommand, '"role" expected one of auditor, operator, officer, got "root"');
  });

  it('refuses a change of role with an unknown basis', () => {
    spec
      .given([enrolled])
      .when(changeRole('officer', { basis: 'because' as EnrolmentBasis }))
      .thenThrows(InvalidCommand, '"basis" expected one of');
  });

  it('rotates its token to a new hash', () => {
    spec.given([enrolled]).when(rotate(HASH_B)).then([rotated]);
  });

  it('refuses a rotation to the current token', () => {
    spec
      .given([enrolled])
      .when(rotate(HASH_A))
      .thenThrows(InvalidCommand, '"tokenHash" is the current token\'s: a rotation needs a new token');
  });

  it('refuses a rotation to a malformed hash', () => {
    spec
      .given([enrolled])
      .when(rotate('b2'.repeat(33)))
      .thenThrows(InvalidCommand, '"tokenHash" expected a SHA-256');
  });

  it('is revoked', () => {
    spec.given([enrolled]).when(revoke).then([revoked]);
  });
});

describe('the stream of operator op-1', () => {
  it.each([
    ['EnrolOperator', enrol({ operatorId: 'op-2', at: T1 })],
    ['ChangeOperatorRole', changeRole('officer', { operatorId: 'op-2' })],
    ['RotateOperatorToken', rotate(HASH_B, 'op-2')],
    ['RevokeOperator', { type: 'RevokeOperator', data: { operatorId: 'op-2', at: T2 } }],
  ] as const)('refuses %s for operator op-2', (_, command) => {
    spec
      .given([enrolled])
      .when(command)
      .thenThrows(InvalidCommand, '"operatorId" is op-2, but this stream is operator op-1');
  });

  it('refuses another operator even once revoked', () => {
    spec
      .given([enrolled, revoked])
      .when(rotate(HASH_B, 'op-2'))
      .thenThrows(InvalidCommand, 'this stream is operator op-1');
  });
});

describe('a revoked operator', () => {
  it('refuses a change of role', () => {
    spec
      .given([enrolled, revoked])
      .when(changeRole('officer'))
      .thenThrows(OperatorIsRevoked, `operator op-1 was revoked at ${T2}: a change of role refused`);
  });

  it('refuses a new token', () => {
    spec
      .given([enrolled, revoked])
      .when(rotate(HASH_B))
      .thenThrows(OperatorIsRevoked, `operator op-1 was revoked at ${T2}: a new token refused`);
  });

  it('refuses to be revoked again', () => {
    spec
      .given([enrolled, revoked])
      .when(revoke)
      .thenThrows(OperatorIsRevoked, `operator op-1 was revoked at ${T2}: revoking again refused`);
  });

  it('refuses to be enrolled again under the same id', () => {
    spec
      .given([enrolled, revoked])
      .when(enrol({ at: T2 }))
      .thenThrows(OperatorAlreadyEnrolled, `operator op-1 is already enrolled (since ${T0})`);
  });
});

describe('evolve', () => {
  const fold = (events: OperatorEvent[]) => events.reduce(evolve, initialState());

  it('starts absent', () => {
    expect(initialState()).toEqual({ status: 'absent' });
  });

  it('holds an enrolled operator, its token issued at enrolment', () => {
    expect(fold([enrolled])).toEqual({
      status: 'active',
      operatorId: 'op-1',
      name: 'Ada Lovelace',
      role: 'operator',
      tokenHash: HASH_A,
      enrolledAt: T0,
      tokenIssuedAt: T0,
    });
  });

  it('takes the new token hash and its issue time from a rotation', () => {
    expect(fold([enrolled, rotated])).toEqual({
      status: 'active',
      operatorId: 'op-1',
      name: 'Ada Lovelace',
      role: 'operator',
      tokenHash: HASH_B,
      enrolledAt: T0,
      tokenIssuedAt: T1,
    });
  });

  it('takes the new role from a change of role', () => {
    expect(fold([enrolled, roleChanged])).toEqual({
      status: 'active',
      operatorId: 'op-1',
      name: 'Ada Lovelace',
      role: 'officer',
      tokenHash: HASH_A,
      enrolledAt: T0,
      tokenIssuedAt: T0,
    });
  });

  it('keeps name and last role once revoked, and no token', () => {
    expect(fold([enrolled, roleChanged, rotated, revoked])).toEqual({
      status: 'revoked',
      operatorId: 'op-1',
      name: 'Ada Lovelace',
      role: 'officer',
      enrolledAt: T0,
      revokedAt: T2,
    });
  });
});

describe('roleAtLeast', () => {
  it.each([
    ['auditor', 'auditor', true],
    ['auditor', 'operator', false],
    ['auditor', 'officer', false],
    ['operator', 'auditor', true],
    ['operator', 'operator', true],
    ['operator', 'officer', false],
    ['officer', 'auditor', true],
    ['officer', 'operator', true],
    ['officer', 'officer', true],
  ] as const)('an %s may do what an %s may: %s', (role, needed, expected) => {
    expect(roleAtLeast(role, needed)).toBe(expected);
  });
});

describe('isRole', () => {
  it.each(ROLES)('accepts %s', (role) => {
    expect(isRole(role)).toBe(true);
  });

  it.each([['admin'], ['Officer'], [''], ['constructor'], [undefined], [null], [2], [['officer']]])(
    'refuses %p',
    (value) => {
      expect(isRole(value)).toBe(false);
    },
  );
});
