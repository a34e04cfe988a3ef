/** The approval policy on the one write path: replacing it is the gated `change-policy`. */
import { Inject } from '@nestjs/common';
import { CommandHandler, type IQueryHandler, Query, QueryHandler } from '@nestjs/cqrs';
import type { approval } from '../../domain';
import type { Actor } from '../actor';
import { ActorCommand, GatedHandler, type GateRequest } from './gate';
import { PolicyService, type PolicyView } from './policy';
import { policyToDocument } from './policy-file';

export class ChangePolicyCommand extends ActorCommand<PolicyView> {
  constructor(
    readonly policy: approval.ApprovalPolicy,
    actor: Actor,
  ) {
    super(actor);
  }

  override gate(): GateRequest {
    // The file form: what an officer reads in the request is what `keyledger policy set` took.
    return { action: 'change-policy', params: { policy: policyToDocument(this.policy) } };
  }
}

export class GetPolicyQuery extends Query<PolicyView> {}

@CommandHandler(ChangePolicyCommand)
export class ChangePolicyHandler extends GatedHandler<ChangePolicyCommand, PolicyView> {
  constructor(@Inject(PolicyService) private readonly policy: PolicyService) {
    super();
  }

  run(c: ChangePolicyCommand) {
    return this.policy.change(c.policy, c.actor);
  }
}

@QueryHandler(GetPolicyQuery)
export class GetPolicyHandler implements IQueryHandler<GetPolicyQuery> {
  constructor(@Inject(PolicyService) private readonly policy: PolicyService) {}
  execute() {
    return this.policy.view();
  }
}
