/**
 * Operators (docs/architecture.md §5): enrolment, role changes, token rotation, revocation and
 * authentication, over the operators' own streams. Rules that span operators are kept here: the
 * last active officer can be neither revoked nor demoted (nobody could approve or enrol again),
 * and names are unique among active operators (they appear in tables and reports).
 */
import { Injectable, Inject, Logger, type OnModuleInit } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { operator, streamName } from '../../domain';
import type { ErrorCategory } from '../../domain/error-category';
import { WrongExpectedRevision } from '../../event-store';
import type { Actor } from '../actor';
import { appendDecision, foldStream } from '../custody/append-decision';
import { CustodyCore } from '../custody/custody-core';
import { CustodyNotFound } from '../custody/errors';
import { BOOTSTRAP_TOKEN } from '../tokens';
import { MAX_TOKEN_LENGTH, hashesEqual, newToken, tokenHash } from './tokens';
import { operatorView, type IssuedToken, type OperatorView } from './views';

/** The first officer's operator id: one stream, so two instances starting together enrol it once. */
export const FIRST_OFFICER_ID = 'first-officer';

/** A change that would leave the ledger without an active officer, or a duplicate name. */
export class OperatorChangeRefused extends Error {
  static readonly category: ErrorCategory = 'conflict';
  readonly type = 'operator-change-refused';
}

@Injectable()
export class OperatorsService implements OnModuleInit {
  private readonly logger = new Logger('operators');

  constructor(
    @Inject(CustodyCore) private readonly core: CustodyCore,
    @Inject(BOOTSTRAP_TOKEN) private readonly bootstrapToken: string | undefined,
  ) {}

  /** On a ledger without operators, the bootstrap token becomes the first officer's. */
  async onModuleInit(): Promise<void> {
    if (this.bootstrapToken === undefined) return;
    await this.core.reads.catchUp();
    if (this.core.reads.operators().length > 0) return;
    const actor = this.core.systemActor();
    try {
      await this.decide(
        FIRST_OFFICER_ID,
        {
          type: 'EnrolOperator',
          data: {
            operatorId: FIRST_OFFICER_ID,
            name: FIRST_OFFICER_ID,
            role: 'officer',
            tokenHash: tokenHash(this.bootstrapToken),
            basis: 'first-officer',
            at: this.core.clock.now().toISOString(),
          },
        },
        actor,
      );
      this.logger.log('the bootstrap token is now the first officer\'s (operator "first-officer")');
    } catch (error) {
      // Another instance enrolled it first.
      if (!(error instanceof operator.OperatorAlreadyEnrolled) && !(error instanceof WrongExpectedRevision))
        throw error;
    }
  }

  /**
   * The active operator a bearer token belongs to, or undefined. The read model finds the
   * candidate; the operator's own stream confirms it (a fresh read where several instances share
   * the ledger), so a revoked or rotated-away token fails on the next request.
   */
  async authenticate(token: string): Promise<OperatorView | undefined> {
    if (typeof token !== 'string' || token.length === 0 || token.length > MAX_TOKEN_LENGTH) return undefined;
    const hash = tokenHash(token);
    let doc = this.core.reads.operatorByTokenHash(hash);
    if (doc === undefined) {
      // Enrolled or rotated a moment ago, perhaps by another instance.
      await this.core.reads.catchUp();
      doc = this.core.reads.operatorByTokenHash(hash);
      if (doc === undefined) return undefined;
    }
    const { state } = await this.fold(doc.operatorId);
    if (state.status !== 'active' || !hashesEqual(state.tokenHash, hash)) return undefined;
    return operatorView({ ...doc, state });
  }

  async list(): Promise<OperatorView[]> {
    await this.core.reads.catchUp();
    return this.core.reads
      .operators()
      .map(operatorView)
      .sort((a, b) => a.enrolledAt.localeCompare(b.enrolledAt) || a.name.localeCompare(b.name));
  }

  async get(operatorId: string): Promise<OperatorView> {
    const { state } = await this.fold(checkId(operatorId));
    if (state.status === 'absent') throw new CustodyNotFound(`operator ${operatorId} is not enrolled`);
    await this.core.reads.catchUp();
    const doc = this.core.reads.operator(operatorId);
    return operatorView({
      operatorId,
      state,
      basis: doc?.basis ?? 'not-gated',
      enrolledBy: doc?.enrolledBy ?? null,
    });
  }

  async enrol(
    input: { name: string; role: operator.Role; operatorId?: string },
    basis: operator.EnrolmentBasis,
    actor: Actor,
  ): Promise<IssuedToken> {
    await this.refuseDuplicateName(input?.name);
    const operatorId = input.operatorId ?? randomUUID();
    const token = newToken();
    const ctx = this.core.context(actor);
    await this.decide(
      operatorId,
      {
        type: 'EnrolOperator',
        data: {
          operatorId,
          name: input.name,
          role: input.role,
          tokenHash: tokenHash(token),
          basis,
          at: ctx.now(),
        },
      },
      actor,
    );
    return { operator: await this.get(operatorId), token };
  }

  async rotate(operatorId: string, actor: Actor): Promise<IssuedToken> {
    const token = newToken();
    await this.decide(
      checkId(operatorId),
      { type: 'RotateOperatorToken', data: { operatorId, tokenHash: tokenHash(token), at: this.now() } },
      actor,
    );
    return { operator: await this.get(operatorId), token };
  }

  async changeRole(
    operatorId: string,
    role: operator.Role,
    basis: operator.EnrolmentBasis,
    actor: Actor,
  ): Promise<OperatorView> {
    if (role !== 'officer') await this.refuseLosingLastOfficer(checkId(operatorId), 'changing the role of');
    await this.decide(
      checkId(operatorId),
      { type: 'ChangeOperatorRole', data: { operatorId, role, basis, at: this.now() } },
      actor,
    );
    return this.get(operatorId);
  }

  async revoke(operatorId: string, actor: Actor): Promise<OperatorView> {
    await this.refuseLosingLastOfficer(checkId(operatorId), 'revoking');
    await this.decide(operatorId, { type: 'RevokeOperator', data: { operatorId, at: this.now() } }, actor);
    return this.get(operatorId);
  }

  /** Active officers (who can approve); the bootstrap phase lasts while there are fewer than M + 1. */
  async officerCount(): Promise<number> {
    await this.core.reads.catchUp();
    return this.core.reads.officerCount();
  }

  fold(operatorId: string) {
    return foldStream(
      this.core.store,
      streamName('operator', operatorId),
      operator.operatorDecider,
      operator.isOperatorEvent,
    );
  }

  private async decide(operatorId: string, command: operator.OperatorCommand, actor: Actor): Promise<void> {
    const ctx = this.core.context(actor);
    await appendDecision(
      this.core.store,
      streamName('operator', operatorId),
      operator.operatorDecider,
      operator.isOperatorEvent,
      command,
      ctx,
      ctx.now(),
    );
  }

  private now(): string {
    return this.core.clock.now().toISOString();
  }

  private async refuseDuplicateName(name: unknown): Promise<void> {
    await this.core.reads.catchUp();
    const taken = this.core.reads
      .operators()
      .find((o) => o.state.status === 'active' && o.state.name === name);
    if (taken !== undefined)
      throw new OperatorChangeRefused(
        `an active operator is already named ${JSON.stringify(name)} (${taken.operatorId})`,
      );
  }

  private async refuseLosingLastOfficer(operatorId: string, what: string): Promise<void> {
    const { state } = await this.fold(operatorId);
    if (state.status !== 'active' || state.role !== 'officer') return;
    if ((await this.officerCount()) <= 1)
      throw new OperatorChangeRefused(
        `${what} ${state.name} (${operatorId}) refused: it is the last active officer, and without one nobody could enrol operators or approve requests`,
      );
  }
}

const ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

function checkId(operatorId: string): string {
  if (typeof operatorId !== 'string' || !ID.test(operatorId))
    throw new CustodyNotFound(`operator ${JSON.stringify(String(operatorId).slice(0, 80))} is not enrolled`);
  return operatorId;
}
