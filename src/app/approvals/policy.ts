/**
 * The approval policy in force (docs/architecture.md §5): the `policy` stream of the ledger. On a
 * ledger without one, the configured policy (`KEYLEDGER_POLICY`, or the documented default) is
 * adopted at start-up; after that the ledger's policy stays in force until an approved
 * change-policy request replaces it, so editing the file cannot bypass dual control — a file that
 * differs is reported at start-up, with how to propose it.
 */
import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { approval, POLICY_STREAM } from '../../domain';
import { canonicalJson } from '../../lib/canonical-json';
import type { Actor } from '../actor';
import { appendDecision, foldStream } from '../custody/append-decision';
import { CustodyCore } from '../custody/custody-core';

/** The policy the service was started with, and where it came from (a file path, or `default`). */
export interface ConfiguredPolicy {
  readonly policy: approval.ApprovalPolicy;
  readonly source: string;
}

export const CONFIGURED_POLICY = Symbol('CONFIGURED_POLICY');

export interface PolicyView {
  readonly policy: approval.ApprovalPolicy;
  readonly adoptedAt: string | null;
  /** How many times the policy was changed since the first one. */
  readonly changes: number;
  /** Ledger position of the event that adopted it (null before the first adoption). */
  readonly position: number | null;
}

@Injectable()
export class PolicyService implements OnModuleInit {
  private readonly logger = new Logger('policy');

  constructor(
    @Inject(CustodyCore) private readonly core: CustodyCore,
    @Inject(CONFIGURED_POLICY) private readonly configured: ConfiguredPolicy,
  ) {}

  async onModuleInit(): Promise<void> {
    const state = await this.fold();
    if (state.state.status === 'absent') {
      await this.append(this.configured.policy, 'initial', this.configured.source, this.core.systemActor());
      return;
    }
    if (canonicalJson(state.state.policy) !== canonicalJson(this.configured.policy)) {
      this.logger.warn(
        `the policy in ${this.configured.source === 'default' ? 'the default' : this.configured.source} differs from the one in force (adopted ${state.state.adoptedAt}); ` +
          'the ledger keeps its policy: propose the new one with "keyledger policy set FILE" (an approved change-policy request)',
      );
    }
  }

  /** The policy in force. */
  async current(): Promise<approval.ApprovalPolicy> {
    const { state } = await this.fold();
    return state.status === 'adopted' ? state.policy : this.configured.policy;
  }

  async view(): Promise<PolicyView> {
    const { state, events } = await this.fold();
    if (state.status === 'absent')
      return { policy: this.configured.policy, adoptedAt: null, changes: 0, position: null };
    return {
      policy: state.policy,
      adoptedAt: state.adoptedAt,
      changes: state.changes,
      position: events[events.length - 1]?.position ?? null,
    };
  }

  /** Adopts `policy` as the one in force (the gate has checked the change-policy approval). */
  async change(policy: approval.ApprovalPolicy, actor: Actor): Promise<PolicyView> {
    await this.append(policy, actor.approval === undefined ? 'not-gated' : 'approval', 'api', actor);
    return this.view();
  }

  fold() {
    return foldStream(this.core.store, POLICY_STREAM, approval.policyDecider, approval.isPolicyEvent);
  }

  private async append(
    policy: approval.ApprovalPolicy,
    basis: approval.PolicyBasis,
    source: string,
    actor: Actor,
  ): Promise<void> {
    const ctx = this.core.context(actor);
    await appendDecision(
      this.core.store,
      POLICY_STREAM,
      approval.policyDecider,
      approval.isPolicyEvent,
      { type: 'AdoptPolicy', data: { policy, basis, source, at: ctx.now() } },
      ctx,
      ctx.now(),
    );
  }
}
