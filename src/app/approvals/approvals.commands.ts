/** Approving and rejecting requests on the one write path; reading them through queries. */
import { Inject } from '@nestjs/common';
import { CommandHandler, type IQueryHandler, Query, QueryHandler } from '@nestjs/cqrs';
import type { Actor } from '../actor';
import { ApprovalsService, type ApprovalDecision, type ApprovalFilter, type ApprovalView } from './approvals';
import { ActorCommand, GatedHandler } from './gate';

export class ApproveCommand extends ActorCommand<ApprovalDecision> {
  constructor(
    readonly approvalId: string,
    actor: Actor,
  ) {
    super(actor);
  }
}

export class RejectCommand extends ActorCommand<ApprovalView> {
  constructor(
    readonly approvalId: string,
    readonly reason: string,
    actor: Actor,
  ) {
    super(actor);
  }
}

export class ListApprovalsQuery extends Query<ApprovalView[]> {
  constructor(readonly status?: ApprovalFilter) {
    super();
  }
}

export class GetApprovalQuery extends Query<ApprovalView> {
  constructor(readonly approvalId: string) {
    super();
  }
}

@CommandHandler(ApproveCommand)
export class ApproveHandler extends GatedHandler<ApproveCommand, ApprovalDecision> {
  constructor(@Inject(ApprovalsService) private readonly approvals: ApprovalsService) {
    super();
  }
  run(c: ApproveCommand) {
    return this.approvals.approve(c.approvalId, c.actor);
  }
}

@CommandHandler(RejectCommand)
export class RejectHandler extends GatedHandler<RejectCommand, ApprovalView> {
  constructor(@Inject(ApprovalsService) private readonly approvals: ApprovalsService) {
    super();
  }
  run(c: RejectCommand) {
    return this.approvals.reject(c.approvalId, c.reason, c.actor);
  }
}

@QueryHandler(ListApprovalsQuery)
export class ListApprovalsHandler implements IQueryHandler<ListApprovalsQuery> {
  constructor(@Inject(ApprovalsService) private readonly approvals: ApprovalsService) {}
  execute(q: ListApprovalsQuery) {
    return this.approvals.list(q.status);
  }
}

@QueryHandler(GetApprovalQuery)
export class GetApprovalHandler implements IQueryHandler<GetApprovalQuery> {
  constructor(@Inject(ApprovalsService) private readonly approvals: ApprovalsService) {}
  execute(q: GetApprovalQuery) {
    return this.approvals.get(q.approvalId);
  }
}
