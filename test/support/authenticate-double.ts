/**
 * For specs of the HTTP layer over test-double handlers: answers the guard's `AuthenticateQuery`
 * for one token per role, so a spec can act as an officer (`TOKEN`) or as any role.
 */
import { QueryHandler } from '@nestjs/cqrs';
import { AuthenticateQuery } from '../../src/app/operators/operators.commands';
import type { OperatorView } from '../../src/app/operators/views';
import type { operator } from '../../src/domain';

export const TOKENS: Readonly<Record<operator.Role, string>> = {
  officer: 'officer-token-0123456789abcdef',
  operator: 'operator-token-0123456789abcdef',
  auditor: 'auditor-token-0123456789abcdef',
};

function view(role: operator.Role): OperatorView {
  return {
    operatorId: `${role}-1`,
    name: role,
    role,
    status: 'active',
    enrolledAt: '2026-01-01T00:00:00.000Z',
    enrolledBy: null,
    basis: 'not-gated',
    tokenIssuedAt: '2026-01-01T00:00:00.000Z',
    revokedAt: null,
  };
}

@QueryHandler(AuthenticateQuery)
export class AuthenticateDouble {
  execute(q: AuthenticateQuery): OperatorView | undefined {
    const role = (Object.keys(TOKENS) as operator.Role[]).find((r) => TOKENS[r] === q.token);
    return role === undefined ? undefined : view(role);
  }
}
