/**
 * The audit read side (docs/architecture.md §6): the latest checkpoint, proofs against the tree,
 * the audit key in the forms outside verifiers take, and a full verification of the ledger.
 */
import { Inject, Injectable } from '@nestjs/common';
import { type IQueryHandler, Query, QueryHandler } from '@nestjs/cqrs';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { leafHash } from '../../audit';
import { createPublicKey } from 'node:crypto';
import { CommandHandler } from '@nestjs/cqrs';
import { audit, AUDIT_STREAM, type ErrorCategory } from '../../domain';
import { hasDensePositions } from '../../event-store';
import type { Actor } from '../actor';
import { ActorCommand, GatedHandler } from '../approvals/gate';
import { appendDecision } from '../custody/append-decision';
import type { KeyledgerConfig } from '../config';
import { CustodyCore } from '../custody/custody-core';
import { KEYLEDGER_CONFIG } from '../tokens';
import { CHECKPOINT_FILE, Checkpointer, type CheckpointView } from './checkpointer';
import { verifyLedger, type VerifyReport } from './verify';

/** A proof asked for sizes or positions the tree cannot answer. */
export class ProofRefused extends Error {
  static readonly category: ErrorCategory = 'invalid';
  readonly type = 'proof-refused';
}

export class NoAuditKey extends Error {
  static readonly category: ErrorCategory = 'not-found';
  readonly type = 'no-audit-key';
}

export interface InclusionProofView {
  readonly position: number;
  readonly leafIndex: number;
  readonly treeSize: number;
  /** The event's chain hash (the leaf data) and its RFC 6962 leaf hash. */
  readonly eventHash: string;
  readonly leafHash: string;
  readonly proof: readonly string[];
  readonly rootHash: string;
}

export interface ConsistencyProofView {
  readonly from: number;
  readonly to: number;
  readonly proof: readonly string[];
  readonly fromRoot: string;
  readonly toRoot: string;
}

export interface AuditKeyView {
  readonly keyId: string;
  readonly origin: string;
  /** C2SP signed-note verifier key (signature type 0x02, ECDSA P-256). */
  readonly verifierKey: string;
  /** SubjectPublicKeyInfo: DER base64, and PEM. */
  readonly spki: string;
  readonly pem: string;
  readonly hsmId: string;
  readonly generatedAt: string;
}

export interface VerificationView extends VerifyReport {
  readonly verifiedAt: string;
}

export class LatestCheckpointQuery extends Query<CheckpointView> {}
export class InclusionProofQuery extends Query<InclusionProofView> {
  constructor(
    readonly position: number,
    readonly treeSize: number | undefined,
  ) {
    super();
  }
}
export class ConsistencyProofQuery extends Query<ConsistencyProofView> {
  constructor(
    readonly from: number,
    readonly to: number | undefined,
  ) {
    super();
  }
}
export class AuditKeyQuery extends Query<AuditKeyView> {}
export class VerifyLedgerQuery extends Query<VerificationView> {}

const hex = (b: Buffer) => b.toString('hex');

@Injectable()
export class AuditReads {
  constructor(
    @Inject(Checkpointer) private readonly checkpointer: Checkpointer,
    @Inject(CustodyCore) private readonly core: CustodyCore,
    @Inject(KEYLEDGER_CONFIG) private readonly config: Pick<KeyledgerConfig, 'dataDir'>,
  ) {}

  async latest(): Promise<CheckpointView> {
    const latest = await this.checkpointer.latest();
    if (latest === null) throw new NoAuditKey('no checkpoint has been signed yet');
    return latest;
  }

  /** Read-your-writes: the tree includes everything appended before the call. */
  private async tree() {
    await this.checkpointer.tree.waitFor(await this.core.store.headPosition());
    return this.checkpointer.tree;
  }

  async inclusion(position: number, treeSize?: number): Promise<InclusionProofView> {
    const tree = await this.tree();
    const size = treeSize ?? tree.size;
    const index = tree.indexOf(position);
    if (index === undefined) throw new ProofRefused(`no event at position ${position}`);
    if (size > tree.size || size <= index)
      throw new ProofRefused(
        `treeSize ${size} must include the event (leaf ${index}) and be at most ${tree.size}`,
      );
    const event = (await this.core.store.readAll({ fromPosition: position - 1, maxCount: 1 }))[0];
    const eventHash = String(event?.metadata.hash ?? '');
    return {
      position,
      leafIndex: index,
      treeSize: size,
      eventHash,
      leafHash: hex(leafHash(Buffer.from(eventHash, 'hex'))),
      proof: tree.tree.inclusionProof(index, size).map(hex),
      rootHash: hex(tree.tree.root(size)),
    };
  }

  async consistency(from: number, to?: number): Promise<ConsistencyProofView> {
    const tree = await this.tree();
    const size = to ?? tree.size;
    if (from < 1 || from > size || size > tree.size)
      throw new ProofRefused(
        `expected 1 ≤ from ≤ to ≤ ${tree.size} (the tree's size), got from=${from}, to=${size}`,
      );
    return {
      from,
      to: size,
      proof: tree.tree.consistencyProof(from, size).map(hex),
      fromRoot: hex(tree.tree.root(from)),
      toRoot: hex(tree.tree.root(size)),
    };
  }

  async key(): Promise<AuditKeyView> {
    const { state } = await this.checkpointer.state();
    const key = state.keys[state.keys.length - 1];
    if (key === undefined)
      throw new NoAuditKey('no audit key yet: it is generated with the first checkpoint');
    const pem = createPublicKey({ key: Buffer.from(key.spki, 'base64'), format: 'der', type: 'spki' })
      .export({ type: 'spki', format: 'pem' })
      .toString();
    return {
      keyId: key.keyId,
      origin: key.origin,
      verifierKey: key.verifierKey,
      spki: key.spki,
      pem,
      hsmId: key.hsmId,
      generatedAt: key.at,
    };
  }

  /** Verifies the whole ledger as `keyledger audit verify` does (with the service's own witness note). */
  async verify(): Promise<VerificationView> {
    const witness = path.join(this.config.dataDir, CHECKPOINT_FILE);
    const witnesses = fs.existsSync(witness)
      ? [{ source: witness, note: fs.readFileSync(witness, 'utf8') }]
      : [];
    const report = await verifyLedger(this.core.store, {
      densePositions: hasDensePositions(this.core.store),
      witnesses,
    });
    return { ...report, verifiedAt: this.core.clock.now().toISOString() };
  }

  /** Verifies, and records the result in the `audit` stream for the integrity report. */
  async verifyAndRecord(actor: Actor): Promise<VerificationView> {
    const view = await this.verify();
    await recordVerification(this.core, view, actor);
    return view;
  }
}

/** Appends `AuditLedgerVerified` with what a verification found. */
export async function recordVerification(
  core: Pick<CustodyCore, 'store' | 'context'>,
  report: VerificationView,
  actor: Actor,
): Promise<void> {
  const ctx = core.context(actor);
  await appendDecision(
    core.store,
    AUDIT_STREAM,
    audit.auditDecider,
    audit.isAuditEvent,
    { type: 'RecordVerification', data: verificationRecord(report) },
    ctx,
    ctx.now(),
  );
}

export function verificationRecord(report: VerificationView): audit.Verification {
  return {
    ok: report.ok,
    events: report.events,
    headPosition: report.headPosition,
    checkpointsVerified: report.checkpoints.verified,
    findings: report.findings.length,
    firstBadPosition: report.firstBadPosition,
    keySource: report.keySource,
    at: report.verifiedAt,
  };
}

/** Runs a verification and records its result (the integrity report shows the last one). */
export class VerifyLedgerCommand extends ActorCommand<VerificationView> {}

@CommandHandler(VerifyLedgerCommand)
export class VerifyLedgerCommandHandler extends GatedHandler<VerifyLedgerCommand, VerificationView> {
  constructor(@Inject(AuditReads) private readonly reads: AuditReads) {
    super();
  }
  run(c: VerifyLedgerCommand) {
    return this.reads.verifyAndRecord(c.actor);
  }
}

@QueryHandler(LatestCheckpointQuery)
export class LatestCheckpointHandler implements IQueryHandler<LatestCheckpointQuery> {
  constructor(@Inject(AuditReads) private readonly reads: AuditReads) {}
  execute() {
    return this.reads.latest();
  }
}

@QueryHandler(InclusionProofQuery)
export class InclusionProofHandler implements IQueryHandler<InclusionProofQuery> {
  constructor(@Inject(AuditReads) private readonly reads: AuditReads) {}
  execute(q: InclusionProofQuery) {
    return this.reads.inclusion(q.position, q.treeSize);
  }
}

@QueryHandler(ConsistencyProofQuery)
export class ConsistencyProofHandler implements IQueryHandler<ConsistencyProofQuery> {
  constructor(@Inject(AuditReads) private readonly reads: AuditReads) {}
  execute(q: ConsistencyProofQuery) {
    return this.reads.consistency(q.from, q.to);
  }
}

@QueryHandler(AuditKeyQuery)
export class AuditKeyHandler implements IQueryHandler<AuditKeyQuery> {
  constructor(@Inject(AuditReads) private readonly reads: AuditReads) {}
  execute() {
    return this.reads.key();
  }
}

@QueryHandler(VerifyLedgerQuery)
export class VerifyLedgerHandler implements IQueryHandler<VerifyLedgerQuery> {
  constructor(@Inject(AuditReads) private readonly reads: AuditReads) {}
  execute() {
    return this.reads.verify();
  }
}

export const AUDIT_PROVIDERS = [
  Checkpointer,
  AuditReads,
  LatestCheckpointHandler,
  InclusionProofHandler,
  ConsistencyProofHandler,
  AuditKeyHandler,
  VerifyLedgerHandler,
  VerifyLedgerCommandHandler,
];
