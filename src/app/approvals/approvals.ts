/**
 * Approval requests and their execution (docs/architecture.md §5). The gate records a request for
 * a gated command; officers other than the requester approve it, each once, before it expires; the
 * approval that reaches the quorum runs the command through the same CommandBus, carrying the
 * approval (the executor is this process manager), and the outcome — executed with its result,
 * or failed with the reason — is recorded on the request, once.
 *
 * Exactly once across crashes: every event the approved command appends names the approval in its
 * metadata, and ids the action creates (an HSM's, an operator's) are derived from the approval id.
 * After a crash between the last approval and the outcome, start-up asks the ledger whether the
 * action took effect before it runs it (`recoverApproved`).
 */
import { Inject, Injectable, Logger } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { createHash, randomUUID } from 'node:crypto';
import { approval, errorCategory, hsm, streamName, type key } from '../../domain';
import type { RecordedEvent } from '../../event-store';
import type { Actor } from '../actor';
import { appendDecision, foldStream } from '../custody/append-decision';
import {
  DestroyKeyCommand,
  RecordZeroizedCommand,
  RegisterHsmCommand,
  TransferKeyCommand,
} from '../custody/custody.commands';
import { CustodyCore } from '../custody/custody-core';
import { faultPoint } from '../process-manager/fault-points';
import { ChangeOperatorRoleCommand, EnrolOperatorCommand } from '../operators/operators.commands';
import { OperatorsService } from '../operators/operators';
import type { IssuedToken } from '../operators/views';
import { ChangePolicyCommand } from './policy.commands';
import { PolicyService } from './policy';
import { policyFromJson } from './policy-file';
import type { GateLookups, GateRequest } from './gate';

export interface ApprovalView {
  readonly approvalId: string;
  /** As of now: a pending request past `expiresAt` reads `expired`. */
  readonly status: approval.ApprovalStatus | 'expired';
  readonly action: approval.GatedAction;
  readonly params: approval.ApprovalParams;
  readonly requestedBy: string;
  readonly requestedAt: string;
  readonly required: number;
  readonly approvals: readonly { readonly by: string; readonly at: string }[];
  readonly expiresAt: string;
  readonly rejection: { readonly by: string; readonly at: string; readonly reason: string } | null;
  readonly outcome:
    | { readonly status: 'executed'; readonly by: string; readonly at: string; readonly result: object }
    | { readonly status: 'failed'; readonly by: string; readonly at: string; readonly reason: string }
    | null;
}

/** An approval as answered to the officer who gave it; `token` once, when it ran an enrolment. */
export interface ApprovalDecision {
  readonly approval: ApprovalView;
  readonly token?: string;
}

/** What running an approved action gave: the result recorded, and a secret for the caller only. */
interface Ran {
  readonly result: Readonly<Record<string, unknown>>;
  readonly token?: string;
}

/**
 * An id the approved action creates, derived from the approval's id (a UUID in form), so a run
 * repeated after a crash addresses the same stream instead of creating a second HSM or operator.
 */
export function derivedId(kind: 'hsm' | 'operator', approvalId: string): string {
  const h = createHash('sha256').update(`keyledger:${kind}:${approvalId}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${((parseInt(h[16]!, 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export function approvalView(state: approval.ApprovalRequest, now: string): ApprovalView {
  return {
    approvalId: state.approvalId,
    status: approval.statusAt(state, now),
    action: state.action,
    params: state.params,
    requestedBy: state.requestedBy,
    requestedAt: state.requestedAt,
    required: state.required,
    approvals: state.approvals.map((a) => ({ by: a.by, at: a.at })),
    expiresAt: state.expiresAt,
    rejection: state.rejection,
    outcome: state.outcome,
  };
}

const STATUSES = ['pending', 'approved', 'rejected', 'executed', 'failed', 'expired'] as const;
export type ApprovalFilter = (typeof STATUSES)[number];

@Injectable()
export class ApprovalsService {
  private readonly logger = new Logger('approvals');

  constructor(
    @Inject(CustodyCore) private readonly core: CustodyCore,
    @Inject(CommandBus) private readonly commands: CommandBus,
    @Inject(OperatorsService) private readonly operators: OperatorsService,
    @Inject(PolicyService) private readonly policy: PolicyService,
  ) {}

  lookups(): GateLookups {
    const core = this.core;
    return {
      requireHsm: async (hsm) => void (await core.registry.active(hsm)),
      requireFreeHsmName: async (name) => {
        const existing = await core.reads.hsmIdOf(name);
        if (existing !== undefined) {
          const state = await core.registry.state(existing);
          throw new hsm.HsmAlreadyRegistered(existing, state.status === 'active' ? state.registeredAt : '?');
        }
      },
      kekDomainOf: async (ref) => (await core.registry.active(ref)).kekDomainId,
      keyIsLive: async (keyId) => (await core.loadKey(keyId)).state.status === 'live',
      roleOf: async (operatorId) => {
        const { state } = await this.operators.fold(operatorId);
        return state.status === 'active' ? state.role : undefined;
      },
      officerBootstrapPhase: async () => {
        const m = (await this.policy.current()).approvals['enrol-officer'];
        return (await this.operators.officerCount()) < m + 1;
      },
    };
  }

  /** Records a request for `request` by `actor` (the gate found it needs `required` approvals). */
  async request(
    request: GateRequest,
    actor: Actor,
    required: number,
    policy: approval.ApprovalPolicy,
  ): Promise<ApprovalView> {
    const approvalId = randomUUID();
    const ctx = this.core.context(actor);
    const at = ctx.now();
    // The PIN of an HSM to register waits in the local secret store, under the id it will get.
    if (request.secret !== undefined)
      this.core.registry.secrets.setPin(derivedId('hsm', approvalId), request.secret);
    const { state } = await this.decide(
      approvalId,
      {
        type: 'RequestApproval',
        data: {
          approvalId,
          action: request.action,
          params: request.params,
          requestedBy: actor.operatorId,
          required,
          expiresAt: new Date(Date.parse(at) + policy.expiresAfterSeconds * 1000).toISOString(),
          at,
        },
      },
      actor,
    );
    return approvalView(state as approval.ApprovalRequest, at);
  }

  /** The request's state; `ApprovalNotFound` for an id the ledger never recorded. */
  async load(approvalId: string): Promise<approval.ApprovalRequest> {
    const { state } = await this.fold(approvalId);
    if (state.status === 'absent') throw new approval.ApprovalNotFound(approvalId);
    return state;
  }

  async get(approvalId: string): Promise<ApprovalView> {
    return approvalView(await this.load(approvalId), this.now());
  }

  async list(status?: ApprovalFilter): Promise<ApprovalView[]> {
    await this.core.reads.catchUp();
    const now = this.now();
    return this.core.reads
      .approvals()
      .map((d) => approvalView(d.state, now))
      .filter((v) => status === undefined || v.status === status);
  }

  /**
   * One officer's approval. The append that reaches the quorum is the only one that can (the
   * stream's expected revision orders concurrent approvals), and that caller runs the action.
   */
  async approve(approvalId: string, actor: Actor): Promise<ApprovalDecision> {
    const ctx = this.core.context(actor);
    const { state, appended } = await this.decide(
      approvalId,
      { type: 'GrantApproval', data: { approvalId, by: actor.operatorId, role: actor.role, at: ctx.now() } },
      actor,
    );
    const request = state as approval.ApprovalRequest;
    if (request.status !== 'approved' || appended.length === 0)
      return { approval: approvalView(request, this.now()) };
    faultPoint('approval:after-approved', this.core.options.env);
    return this.execute(request, actor);
  }

  async reject(approvalId: string, reason: string, actor: Actor): Promise<ApprovalView> {
    const ctx = this.core.context(actor);
    const { state } = await this.decide(
      approvalId,
      {
        type: 'RejectApproval',
        data: { approvalId, by: actor.operatorId, role: actor.role, reason, at: ctx.now() },
      },
      actor,
    );
    const request = state as approval.ApprovalRequest;
    if (request.action === 'register-hsm') this.core.registry.secrets.removePin(derivedId('hsm', approvalId));
    return approvalView(request, this.now());
  }

  /** Start-up: runs every approved request whose outcome a crash kept from being recorded. */
  async recoverApproved(): Promise<string[]> {
    await this.core.reads.catchUp();
    const done: string[] = [];
    for (const doc of this.core.reads.approvals()) {
      if (doc.state.status !== 'approved') continue;
      const request = await this.load(doc.approvalId);
      if (request.status !== 'approved') continue;
      const { approval: view } = await this.execute(request, this.core.systemActor());
      done.push(`approval ${view.approvalId} (${view.action}): ${view.status}`);
    }
    return done;
  }

  /** Runs an approved request once and records what came of it. */
  private async execute(request: approval.ApprovalRequest, executor: Actor): Promise<ApprovalDecision> {
    const actor: Actor = {
      ...executor,
      approval: {
        approvalId: request.approvalId,
        requestedBy: request.requestedBy,
        approvedBy: request.approvals.map((a) => a.by),
      },
    };
    let outcome: approval.RecordApprovalOutcome['data']['outcome'];
    let token: string | undefined;
    try {
      const ran = (await this.tookEffect(request)) ?? (await this.run(request, actor));
      faultPoint('approval:after-action', this.core.options.env);
      outcome = { status: 'executed', result: ran.result };
      token = ran.token;
    } catch (error) {
      const category = errorCategory(error);
      // The ledger or a store is down: leave it approved, start-up runs it again.
      if (category === 'unavailable') throw error;
      if (category === undefined || category === 'internal') {
        this.logger.error(
          `approval ${request.approvalId} (${request.action}) failed: ${(error as Error)?.stack ?? String(error)}`,
        );
        outcome = {
          status: 'failed',
          reason: 'the action failed inside the service; the cause is in its log',
        };
      } else {
        outcome = { status: 'failed', reason: (error as Error).message };
      }
    }
    const ctx = this.core.context(actor);
    const { state } = await this.decide(
      request.approvalId,
      {
        type: 'RecordApprovalOutcome',
        data: { approvalId: request.approvalId, by: actor.operatorId, outcome, at: ctx.now() },
      },
      actor,
    );
    return {
      approval: approvalView(state as approval.ApprovalRequest, this.now()),
      ...(token === undefined ? {} : { token }),
    };
  }

  /** Runs the approved command through the bus; the gate checks the approval covers it. */
  private async run(request: approval.ApprovalRequest, actor: Actor): Promise<Ran> {
    // The params were recorded from the command's own gate() for this action, so their shape is
    // the action's; the gate compares them again with the command built here.
    const p = request.params as Record<string, never>;
    switch (request.action) {
      case 'destroy-key': {
        const { state } = await this.core.loadKey(p.keyId);
        if (state.status === 'destroyed')
          throw new approval.ApprovalActionMoot(
            request.approvalId,
            `key ${p.keyId} was destroyed meanwhile (at ${state.destroyedAt})`,
          );
        const view = await this.commands.execute(new DestroyKeyCommand(p.keyId, actor));
        return { result: { keyId: view.keyId, state: view.state } };
      }
      case 'transfer-key-cross-domain': {
        const view = await this.commands.execute(
          new TransferKeyCommand(p.keyId, { from: p.from, to: p.to }, actor),
        );
        return { result: { keyId: view.keyId, holders: view.holders.length } };
      }
      case 'register-hsm': {
        const hsmId = derivedId('hsm', request.approvalId);
        const pin = this.core.registry.secrets.pinFor(hsmId, p.name);
        if (pin === undefined)
          throw new approval.ApprovalActionMoot(
            request.approvalId,
            `the PIN sent with the request is not in this instance's secret store`,
          );
        const view = await this.commands.execute(
          new RegisterHsmCommand(
            { name: p.name, endpoint: p.endpoint, capacity: p.capacity, pin, hsmId },
            actor,
          ),
        );
        return { result: { hsmId: view.hsmId, name: view.name } };
      }
      case 'record-zeroization': {
        const view = await this.commands.execute(new RecordZeroizedCommand(p.hsm, actor));
        return { result: { hsmId: view.hsmId, name: view.name, status: view.status } };
      }
      case 'enrol-officer': {
        if (typeof p.operatorId === 'string') {
          const view = await this.commands.execute(
            new ChangeOperatorRoleCommand(p.operatorId, p.role, actor),
          );
          return { result: { operatorId: view.operatorId, name: view.name, role: view.role } };
        }
        const issued: IssuedToken = await this.commands.execute(
          new EnrolOperatorCommand(
            { name: p.name, role: p.role, operatorId: derivedId('operator', request.approvalId) },
            actor,
          ),
        );
        const o = issued.operator;
        return { result: { operatorId: o.operatorId, name: o.name, role: o.role }, token: issued.token };
      }
      case 'change-policy': {
        // The request recorded the file form (what officers read); the command takes the policy.
        const view = await this.commands.execute(new ChangePolicyCommand(policyFromJson(p.policy), actor));
        return { result: { adoptedAt: view.adoptedAt, changes: view.changes } };
      }
    }
  }

  /**
   * After a crash: the result, when the approved action already took effect (its events name this
   * approval), else undefined. A transfer cut short is first settled by the custody recovery.
   */
  private async tookEffect(request: approval.ApprovalRequest): Promise<Ran | undefined> {
    const p = request.params as Record<string, never>;
    const id = request.approvalId;
    const byThis = (events: readonly RecordedEvent[], types: readonly string[]) =>
      events.find((e) => types.includes(e.type) && e.metadata.approvalId === id);
    switch (request.action) {
      case 'destroy-key': {
        const { state, events } = await this.core.foldKey(p.keyId);
        return state.status === 'destroyed' && byThis(events, ['KeyDestroyed']) !== undefined
          ? { result: { keyId: p.keyId, state: 'destroyed' } }
          : undefined;
      }
      case 'transfer-key-cross-domain': {
        const { state, events } = await this.core.foldKey(p.keyId);
        const intent = byThis(events, ['KeyTransferPrepared']);
        if (intent === undefined || state.status !== 'live') return undefined;
        const closed = state.closedOps[(intent.data as { opId: string }).opId] as key.ClosedOp | undefined;
        if (closed === undefined) return undefined;
        if (closed.outcome === 'failed')
          throw new approval.ApprovalActionMoot(
            id,
            `the transfer was cut short by a crash and failed (at ${closed.at})`,
          );
        return { result: { keyId: p.keyId, holders: Object.keys(state.residency).length } };
      }
      case 'register-hsm': {
        const hsmId = derivedId('hsm', id);
        const events = await this.core.store.readStream(streamName('hsm', hsmId));
        return events.length > 0 ? { result: { hsmId, name: p.name } } : undefined;
      }
      case 'record-zeroization': {
        const hsmId = await this.core.reads.requireHsmId(p.hsm);
        const events = await this.core.store.readStream(streamName('hsm', hsmId));
        return byThis(events, ['HsmZeroized']) !== undefined
          ? { result: { hsmId, status: 'zeroized' } }
          : undefined;
      }
      case 'enrol-officer': {
        const operatorId: string =
          typeof p.operatorId === 'string' ? p.operatorId : derivedId('operator', id);
        const { events } = await this.operators.fold(operatorId);
        const mark = typeof p.operatorId === 'string' ? byThis(events, ['OperatorRoleChanged']) : events[0];
        // The token of an enrolment cut short by a crash was never shown: an officer rotates it.
        return mark === undefined ? undefined : { result: { operatorId, role: 'officer', tokenLost: true } };
      }
      case 'change-policy': {
        const { events } = await this.policy.fold();
        return byThis(events, ['PolicyAdopted']) !== undefined ? { result: { adopted: true } } : undefined;
      }
    }
  }

  private fold(approvalId: string) {
    return foldStream(
      this.core.store,
      this.stream(approvalId),
      approval.approvalDecider,
      approval.isApprovalEvent,
    );
  }

  private decide(approvalId: string, command: approval.ApprovalCommand, actor: Actor) {
    const ctx = this.core.context(actor);
    return appendDecision(
      this.core.store,
      this.stream(approvalId),
      approval.approvalDecider,
      approval.isApprovalEvent,
      command,
      ctx,
      ctx.now(),
    );
  }

  private stream(approvalId: string): string {
    if (typeof approvalId !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/.test(approvalId))
      throw new approval.ApprovalNotFound(String(approvalId).slice(0, 80));
    return streamName('approval', approvalId);
  }

  private now(): string {
    return this.core.clock.now().toISOString();
  }
}

export function isApprovalFilter(value: unknown): value is ApprovalFilter {
  return typeof value === 'string' && (STATUSES as readonly string[]).includes(value);
}
