import type { ErrorCategory } from '../error-category';
import { DomainError } from '../errors';

export class OperatorNotFound extends DomainError {
  static readonly category: ErrorCategory = 'not-found';
  readonly type = 'operator-not-found';
  constructor(readonly operatorId: string) {
    super(`operator ${operatorId} is not enrolled`);
  }
}

export class OperatorAlreadyEnrolled extends DomainError {
  static readonly category: ErrorCategory = 'conflict';
  readonly type = 'operator-already-enrolled';
  constructor(
    readonly operatorId: string,
    enrolledAt: string,
  ) {
    super(`operator ${operatorId} is already enrolled (since ${enrolledAt})`);
  }
}

/** A revoked operator stays revoked: enrol a new one instead. */
export class OperatorIsRevoked extends DomainError {
  static readonly category: ErrorCategory = 'conflict';
  readonly type = 'operator-revoked';
  constructor(
    readonly operatorId: string,
    revokedAt: string,
    refused: string,
  ) {
    super(`operator ${operatorId} was revoked at ${revokedAt}: ${refused} refused`);
  }
}
