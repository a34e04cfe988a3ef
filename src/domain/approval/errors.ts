import type { ErrorCategory } from '../error-category';
import { DomainError } from '../errors';
import type { ApprovalStatus } from './state';

export class ApprovalNotFound extends DomainError {
  static readonly category: ErrorCategory = 'not-found';
  readonly type = 'approval-not-found';
  constructor(readonly approvalId: string) {
    super(`approval ${approvalId} does not exist`);
  }
}

export class ApprovalAlreadyRequested extends DomainError {
  static readonly category: ErrorCategory = 'conflict';
  readonly type = 'approval-already-requested';
  constructor(readonly approvalId: string) {
    super(`approval ${approvalId} was already requested`);
  }
}

/**
 * Approved, rejected and run requests are settled: nothing more can be granted, rejected or run. An
 * outcome is recorded only on an approved request, so a pending one refuses it with this error too.
 */
export class ApprovalNotPending extends DomainError {
  static readonly category: ErrorCategory = 'conflict';
  readonly type = 'approval-not-pending';
  constructor(
    readonly approvalId: string,
    readonly status: ApprovalStatus,
    refused: string,
  ) {
    super(
      status === 'pending'
        ? `approval ${approvalId} is still pending, not approved: ${refused} refused`
        : `approval ${approvalId} is ${status}, no longer pending: ${refused} refused`,
    );
  }
}

export class ApprovalExpired extends DomainError {
  static readonly category: ErrorCategory = 'conflict';
  readonly type = 'approval-expired';
  constructor(
    readonly approvalId: string,
    expiresAt: string,
    refused: string,
  ) {
    super(`approval ${approvalId} expired at ${expiresAt}: ${refused} refused; request the action again`);
  }
}

/** Dual control: whoever asked for an action never counts as one of its approvers. */
export class RequesterCannotApprove extends DomainError {
  static readonly category: ErrorCategory = 'forbidden';
  readonly type = 'requester-cannot-approve';
  constructor(
    readonly approvalId: string,
    readonly operatorId: string,
  ) {
    super(
      `operator ${operatorId} requested approval ${approvalId} and cannot approve it: another officer must`,
    );
  }
}

export class AlreadyApproved extends DomainError {
  static readonly category: ErrorCategory = 'conflict';
  readonly type = 'already-approved';
  constructor(
    readonly approvalId: string,
    readonly operatorId: string,
    at: string,
  ) {
    super(`operator ${operatorId} already approved ${approvalId} (at ${at}); each officer counts once`);
  }
}

export class ApproverNotOfficer extends DomainError {
  static readonly category: ErrorCategory = 'forbidden';
  readonly type = 'approver-not-officer';
  constructor(
    readonly approvalId: string,
    readonly operatorId: string,
    role: string,
  ) {
    super(`operator ${operatorId} is an ${role}: only officers approve or reject (${approvalId})`);
  }
}

/** The approved action cannot run any more (its key was destroyed meanwhile, ...): recorded as failed. */
export class ApprovalActionMoot extends DomainError {
  static readonly category: ErrorCategory = 'conflict';
  readonly type = 'approval-action-moot';
  constructor(
    readonly approvalId: string,
    why: string,
  ) {
    super(`approval ${approvalId} cannot run: ${why}`);
  }
}
