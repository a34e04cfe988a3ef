import type { operator } from '../../domain';
import type { OperatorCatalogDoc } from '../../projections/operators';

/** An operator as the API and CLI show it: never its token or token hash. */
export interface OperatorView {
  readonly operatorId: string;
  readonly name: string;
  readonly role: operator.Role;
  readonly status: 'active' | 'revoked';
  readonly enrolledAt: string;
  readonly enrolledBy: string | null;
  /** How the enrolment was allowed: first-officer, bootstrap-phase, approval or not-gated. */
  readonly basis: operator.EnrolmentBasis;
  readonly tokenIssuedAt: string | null;
  readonly revokedAt: string | null;
}

/** An enrolment or rotation: the view, and the token, shown this once. */
export interface IssuedToken {
  readonly operator: OperatorView;
  readonly token: string;
}

export function operatorView(doc: OperatorCatalogDoc): OperatorView {
  const s = doc.state;
  return {
    operatorId: doc.operatorId,
    name: s.name,
    role: s.role,
    status: s.status,
    enrolledAt: s.enrolledAt,
    enrolledBy: doc.enrolledBy,
    basis: doc.basis,
    tokenIssuedAt: s.status === 'active' ? s.tokenIssuedAt : null,
    revokedAt: s.status === 'revoked' ? s.revokedAt : null,
  };
}
