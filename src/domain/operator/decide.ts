/**
 * An operator's own stream (docs/architecture.md §5): enrolment, role changes, token rotation,
 * revocation. Rules the ledger as a whole needs (the last officer cannot go, officers need approvals)
 * span streams and are the application's; this decider keeps one operator consistent.
 */
import { aId, aOneOf, aSha256, aText, aTime } from '../assert';
import { InvalidCommand, unknownType } from '../errors';
import type { EnrolmentBasis, OperatorCommand } from './commands';
import { OperatorAlreadyEnrolled, OperatorIsRevoked, OperatorNotFound } from './errors';
import type { OperatorEvent } from './events';
import { ROLES } from './roles';
import type { OperatorState } from './state';

const BASES: readonly EnrolmentBasis[] = ['first-officer', 'bootstrap-phase', 'approval', 'not-gated'];
/** Names are shown in tables and reports: one line, bounded. */
const MAX_NAME = 128;
/** C0 and C1 controls, and the Unicode line and paragraph separators: none belongs in one line. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

function aName(value: unknown): asserts value is string {
  aText('name', value);
  if (value.length > MAX_NAME || CONTROL.test(value) || value.trim() !== value) {
    throw new InvalidCommand(
      `"name" expected one line of at most ${MAX_NAME} characters without surrounding spaces, got ${JSON.stringify(value.slice(0, 80))}`,
    );
  }
}

export function decide(command: OperatorCommand, state: OperatorState): OperatorEvent[] {
  const { operatorId, at } = command.data;
  aId('operatorId', operatorId);
  aTime('at', at);
  // Checked before anything else, so that enrolling into another operator's stream is not reported
  // as this operator being enrolled already.
  if (state.status !== 'absent' && state.operatorId !== operatorId)
    throw new InvalidCommand(
      `"operatorId" is ${operatorId}, but this stream is operator ${state.operatorId}`,
    );

  if (command.type === 'EnrolOperator') {
    const c = command.data;
    aName(c.name);
    aOneOf('role', c.role, ROLES);
    aSha256('tokenHash', c.tokenHash);
    aOneOf('basis', c.basis, BASES);
    if (state.status !== 'absent') throw new OperatorAlreadyEnrolled(operatorId, state.enrolledAt);
    return [
      {
        type: 'OperatorEnrolled',
        data: { operatorId, name: c.name, role: c.role, tokenHash: c.tokenHash, basis: c.basis, at },
      },
    ];
  }

  if (state.status === 'absent') throw new OperatorNotFound(operatorId);
  if (state.status === 'revoked') {
    const what =
      command.type === 'RevokeOperator'
        ? 'revoking again'
        : command.type === 'RotateOperatorToken'
          ? 'a new token'
          : 'a change of role';
    throw new OperatorIsRevoked(operatorId, state.revokedAt, what);
  }

  switch (command.type) {
    case 'ChangeOperatorRole': {
      const c = command.data;
      aOneOf('role', c.role, ROLES);
      aOneOf('basis', c.basis, BASES);
      // Asking for the role the operator already has changes nothing.
      if (c.role === state.role) return [];
      return [
        {
          type: 'OperatorRoleChanged',
          data: { operatorId, from: state.role, to: c.role, basis: c.basis, at },
        },
      ];
    }
    case 'RotateOperatorToken':
      aSha256('tokenHash', command.data.tokenHash);
      if (command.data.tokenHash === state.tokenHash)
        throw new InvalidCommand('"tokenHash" is the current token\'s: a rotation needs a new token');
      return [{ type: 'OperatorTokenRotated', data: { operatorId, tokenHash: command.data.tokenHash, at } }];
    case 'RevokeOperator':
      return [{ type: 'OperatorRevoked', data: { operatorId, at } }];
    default:
      return unknownType(command, 'operator command');
  }
}
