/**
 * The approval gate (docs/architecture.md §5): the one place in front of every command handler
 * where the policy decides whether a state change runs now or waits for officers. A gated command
 * by an operator becomes an approval request and the caller gets `AwaitingApproval` instead of a
 * result; the approved request later runs the same command through the same bus, carrying the
 * approval, and the gate checks that the approval is the one recorded for exactly these parameters.
 */
import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { Command } from '@nestjs/cqrs';
import { ModuleRef } from '@nestjs/core';
import { approval as approvalDomain, type ErrorCategory } from '../../domain';
import type { Actor } from '../actor';
import { canonicalJson } from '../../lib/canonical-json';
import type { ApprovalsService, ApprovalView } from './approvals';
import { PolicyService } from './policy';

/** What a gated command asks the gate: its action and the parameters an approver sees. */
export interface GateRequest {
  readonly action: approvalDomain.GatedAction;
  /** JSON: recorded on the request, and compared with the command that runs it. */
  readonly params: approvalDomain.ApprovalParams;
  /** Whether this instance of the command needs the action's approval (default: always). */
  readonly applies?: (lookups: GateLookups) => Promise<boolean>;
  /** A secret the command carries (an HSM PIN): kept in the local secret store, never the ledger. */
  readonly secret?: string;
}

/**
 * What a command's `applies` may look at. A lookup of something that does not exist throws its
 * not-found error: a request is recorded only for a command that could run now.
 */
export interface GateLookups {
  /** Throws unless the HSM (id or name) is registered and active. */
  requireHsm(hsm: string): Promise<void>;
  /** Throws unless no HSM is registered under this name. */
  requireFreeHsmName(name: string): Promise<void>;
  /** The KEK domain an HSM (id or name) is in, null for none. */
  kekDomainOf(hsm: string): Promise<string | null>;
  /** Whether the key is live (a destroyed key needs no approval to stay destroyed). */
  keyIsLive(keyId: string): Promise<boolean>;
  /** The role an operator has now, undefined when it is not active. */
  roleOf(operatorId: string): Promise<string | undefined>;
  /** True while the ledger holds fewer than M + 1 officers (M: the enrol-officer quorum). */
  officerBootstrapPhase(): Promise<boolean>;
}

/** Every command on the bus acts for someone. */
export abstract class ActorCommand<R> extends Command<R> {
  constructor(readonly actor: Actor) {
    super();
  }

  /** The approval this command may need; null for a command no policy can gate. */
  gate(): GateRequest | null {
    return null;
  }
}

/**
 * The command did not run: it waits for approvals (the API answers 202 with the request). Thrown,
 * not returned, so no caller can take it for the command's result.
 */
export class AwaitingApproval extends Error {
  constructor(readonly approval: ApprovalView) {
    super(
      `approval ${approval.approvalId} requested: ${approval.action} waits for ${approval.required} officer approval(s)`,
    );
  }
}

/** A command claims an approval that does not cover it. A bug, or an attempt: nothing runs. */
export class ApprovalMismatch extends Error {
  static readonly category: ErrorCategory = 'forbidden';
  readonly type = 'approval-mismatch';
}

/** Late-bound: the approvals service dispatches commands, and commands pass this gate. */
export const APPROVALS_SERVICE = Symbol('APPROVALS_SERVICE');

@Injectable()
export class ApprovalGate implements OnModuleInit {
  private approvals!: ApprovalsService;

  constructor(
    @Inject(PolicyService) private readonly policy: PolicyService,
    private readonly moduleRef: ModuleRef,
  ) {}

  onModuleInit(): void {
    this.approvals = this.moduleRef.get<ApprovalsService>(APPROVALS_SERVICE, { strict: false });
  }

  /** Returns when `command` may run now; throws `AwaitingApproval` when it must wait. */
  async admit(command: ActorCommand<unknown>): Promise<void> {
    const request = command.gate();
    const actor = command.actor;
    if (actor.approval !== undefined) return this.checkApproved(request, actor.approval.approvalId);
    if (request === null || actor.system === true) return;
    const policy = await this.policy.current();
    const required = policy.approvals[request.action];
    if (required === 0) return;
    if (request.applies !== undefined && !(await request.applies(this.approvals.lookups()))) return;
    throw new AwaitingApproval(await this.approvals.request(request, actor, required, policy));
  }

  private async checkApproved(request: GateRequest | null, approvalId: string): Promise<void> {
    const recorded = await this.approvals.load(approvalId);
    const refuse = (why: string) => {
      throw new ApprovalMismatch(`approval ${approvalId} does not cover this command: ${why}`);
    };
    if (request === null) return refuse('the command needs no approval');
    if (recorded.status !== 'approved') return refuse(`it is ${recorded.status}, not approved`);
    if (recorded.action !== request.action)
      return refuse(`it approved ${recorded.action}, not ${request.action}`);
    if (canonicalJson(recorded.params) !== canonicalJson(request.params))
      return refuse('the parameters differ from the ones approved');
  }
}

/**
 * The base of every command handler: the gate runs first, so no state change can skip it
 * (src/api/write-path.spec.ts checks that every handler extends this).
 */
export abstract class GatedHandler<C extends ActorCommand<R>, R> {
  @Inject(ApprovalGate) private readonly gate!: ApprovalGate;

  async execute(command: C): Promise<R> {
    await this.gate.admit(command);
    return this.run(command);
  }

  protected abstract run(command: C): Promise<R>;
}
