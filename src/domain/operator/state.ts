import { unknownType } from '../errors';
import type { OperatorEvent } from './events';
import type { Role } from './roles';

export type OperatorState =
  | { readonly status: 'absent' }
  | {
      readonly status: 'active';
      readonly operatorId: string;
      readonly name: string;
      readonly role: Role;
      readonly tokenHash: string;
      readonly enrolledAt: string;
      /** When the current token was issued (enrolment or the last rotation). */
      readonly tokenIssuedAt: string;
    }
  | {
      readonly status: 'revoked';
      readonly operatorId: string;
      readonly name: string;
      readonly role: Role;
      readonly enrolledAt: string;
      readonly revokedAt: string;
    };

export function initialState(): OperatorState {
  return { status: 'absent' };
}

export function evolve(state: OperatorState, event: OperatorEvent): OperatorState {
  switch (event.type) {
    case 'OperatorEnrolled': {
      const d = event.data;
      return {
        status: 'active',
        operatorId: d.operatorId,
        name: d.name,
        role: d.role,
        tokenHash: d.tokenHash,
        enrolledAt: d.at,
        tokenIssuedAt: d.at,
      };
    }
    case 'OperatorRoleChanged':
      return state.status === 'active' ? { ...state, role: event.data.to } : state;
    case 'OperatorTokenRotated':
      return state.status === 'active'
        ? { ...state, tokenHash: event.data.tokenHash, tokenIssuedAt: event.data.at }
        : state;
    case 'OperatorRevoked':
      return state.status === 'active'
        ? {
            status: 'revoked',
            operatorId: state.operatorId,
            name: state.name,
            role: state.role,
            enrolledAt: state.enrolledAt,
            revokedAt: event.data.at,
          }
        : state;
    default:
      return unknownType(event, 'operator event');
  }
}
