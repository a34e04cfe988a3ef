/**
 * Operator administration on the one write path: commands with their actor, through the approval
 * gate (enrolling or promoting an officer is the gated `enrol-officer`, except while the ledger
 * is in its bootstrap phase), handled by `OperatorsService`. Queries answer reads and
 * authentication.
 */
import { Inject } from '@nestjs/common';
import { CommandHandler, type IQueryHandler, Query, QueryHandler } from '@nestjs/cqrs';
import type { operator } from '../../domain';
import type { Actor } from '../actor';
import { ActorCommand, GatedHandler, type GateRequest } from '../approvals/gate';
import { PolicyService } from '../approvals/policy';
import { OperatorsService } from './operators';
import type { IssuedToken, OperatorView } from './views';

export class EnrolOperatorCommand extends ActorCommand<IssuedToken> {
  constructor(
    readonly input: { readonly name: string; readonly role: operator.Role; readonly operatorId?: string },
    actor: Actor,
  ) {
    super(actor);
  }

  override gate(): GateRequest | null {
    if (this.input.role !== 'officer') return null;
    return {
      action: 'enrol-officer',
      params: { name: this.input.name, role: this.input.role },
      applies: async (lookups) => !(await lookups.officerBootstrapPhase()),
    };
  }
}

export class ChangeOperatorRoleCommand extends ActorCommand<OperatorView> {
  constructor(
    readonly operatorId: string,
    readonly role: operator.Role,
    actor: Actor,
  ) {
    super(actor);
  }

  override gate(): GateRequest | null {
    if (this.role !== 'officer') return null;
    return {
      action: 'enrol-officer',
      params: { operatorId: this.operatorId, role: this.role },
      // Already an officer: nothing changes, nothing to approve.
      applies: async (lookups) =>
        (await lookups.roleOf(this.operatorId)) !== 'officer' && !(await lookups.officerBootstrapPhase()),
    };
  }
}

export class RotateOperatorTokenCommand extends ActorCommand<IssuedToken> {
  constructor(
    readonly operatorId: string,
    actor: Actor,
  ) {
    super(actor);
  }
}

export class RevokeOperatorCommand extends ActorCommand<OperatorView> {
  constructor(
    readonly operatorId: string,
    actor: Actor,
  ) {
    super(actor);
  }
}

export class ListOperatorsQuery extends Query<OperatorView[]> {}

export class GetOperatorQuery extends Query<OperatorView> {
  constructor(readonly operatorId: string) {
    super();
  }
}

/** The active operator a bearer token belongs to, or undefined (the API's authentication). */
export class AuthenticateQuery extends Query<OperatorView | undefined> {
  constructor(readonly token: string) {
    super();
  }
}

abstract class OperatorHandler<C extends ActorCommand<R>, R> extends GatedHandler<C, R> {
  constructor(
    @Inject(OperatorsService) protected readonly operators: OperatorsService,
    @Inject(PolicyService) protected readonly policy: PolicyService,
  ) {
    super();
  }

  /** Why an officer's enrolment or promotion may proceed without (more) approvals. */
  protected async basis(role: operator.Role, actor: Actor): Promise<operator.EnrolmentBasis> {
    if (actor.approval !== undefined) return 'approval';
    if (role !== 'officer' || (await this.policy.current()).approvals['enrol-officer'] === 0)
      return 'not-gated';
    return 'bootstrap-phase';
  }
}

@CommandHandler(EnrolOperatorCommand)
export class EnrolOperatorHandler extends OperatorHandler<EnrolOperatorCommand, IssuedToken> {
  async run(c: EnrolOperatorCommand) {
    return this.operators.enrol(c.input, await this.basis(c.input.role, c.actor), c.actor);
  }
}

@CommandHandler(ChangeOperatorRoleCommand)
export class ChangeOperatorRoleHandler extends OperatorHandler<ChangeOperatorRoleCommand, OperatorView> {
  async run(c: ChangeOperatorRoleCommand) {
    return this.operators.changeRole(c.operatorId, c.role, await this.basis(c.role, c.actor), c.actor);
  }
}

@CommandHandler(RotateOperatorTokenCommand)
export class RotateOperatorTokenHandler extends OperatorHandler<RotateOperatorTokenCommand, IssuedToken> {
  run(c: RotateOperatorTokenCommand) {
    return this.operators.rotate(c.operatorId, c.actor);
  }
}

@CommandHandler(RevokeOperatorCommand)
export class RevokeOperatorHandler extends OperatorHandler<RevokeOperatorCommand, OperatorView> {
  run(c: RevokeOperatorCommand) {
    return this.operators.revoke(c.operatorId, c.actor);
  }
}

@QueryHandler(ListOperatorsQuery)
export class ListOperatorsHandler implements IQueryHandler<ListOperatorsQuery> {
  constructor(@Inject(OperatorsService) private readonly operators: OperatorsService) {}
  execute() {
    return this.operators.list();
  }
}

@QueryHandler(GetOperatorQuery)
export class GetOperatorHandler implements IQueryHandler<GetOperatorQuery> {
  constructor(@Inject(OperatorsService) private readonly operators: OperatorsService) {}
  execute(q: GetOperatorQuery) {
    return this.operators.get(q.operatorId);
  }
}

@QueryHandler(AuthenticateQuery)
export class AuthenticateHandler implements IQueryHandler<AuthenticateQuery> {
  constructor(@Inject(OperatorsService) private readonly operators: OperatorsService) {}
  execute(q: AuthenticateQuery) {
    return this.operators.authenticate(q.token);
  }
}

export const OPERATOR_HANDLERS = [
  EnrolOperatorHandler,
  ChangeOperatorRoleHandler,
  RotateOperatorTokenHandler,
  RevokeOperatorHandler,
  ListOperatorsHandler,
  GetOperatorHandler,
  AuthenticateHandler,
];
