/**
 * The read side (docs/architecture.md §1): the custody projections (src/projections/custody) and
 * those of operators and approvals (src/projections/operators), fed from the ledger by one
 * `ProjectionRunner` into the read-model file, and typed reads of their docs. Queries and the write side's lookups (which keys an HSM holds, an HSM by name) go through
 * here; no other code derives custody state from the event stream except the deciders' own folds.
 *
 * Read-your-writes: `catchUp` resolves once the read models include every event appended before
 * the call, so a client that wrote and then reads sees its write.
 */
import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { EventStore } from '../../event-store/event-store';
import { ProjectionRunner, openReadModelStore, type Doc, type ReadModelStore } from '../../projections';
import {
  CUSTODY_PROJECTIONS,
  blobCurrencyProjection,
  hsmCatalogProjection,
  kekDomainCatalogProjection,
  keyCatalogProjection,
  residencyProjection,
  type BlobCurrencyDoc,
  type HsmCatalogDoc,
  type KekDomainCatalogDoc,
  type KeyCatalogDoc,
  type ResidencyDoc,
} from '../../projections/custody';
import {
  OPERATOR_PROJECTIONS,
  approvalCatalogProjection,
  operatorCatalogProjection,
  type ApprovalCatalogDoc,
  type OperatorCatalogDoc,
} from '../../projections/operators';
import type { KeyledgerConfig } from '../config';
import { CustodyNotFound } from '../custody/errors';
import { EVENT_STORE, KEYLEDGER_CONFIG } from '../tokens';

/** How long a read waits for the read models to catch up before answering from what they have. */
const CATCH_UP_MS = 5_000;

@Injectable()
export class ReadSide implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('read-side');
  private readModels: ReadModelStore | undefined;
  private runner: ProjectionRunner | undefined;
  /** HSM id or name -> id: both are permanent once registered, so a hit never needs a catch-up. */
  private readonly hsmIds = new Map<string, string>();

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(KEYLEDGER_CONFIG) private readonly config: Pick<KeyledgerConfig, 'dataDir'>,
  ) {}

  /** Started before any bootstrap hook (crash recovery reads residency). */
  onModuleInit(): void {
    this.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.stop();
  }

  start(): void {
    if (this.runner !== undefined) return;
    this.readModels = openReadModelStore(this.config.dataDir);
    // Listed whole by queries and the write side: kept parsed in memory, the rest read by id.
    for (const p of [
      keyCatalogProjection,
      residencyProjection,
      hsmCatalogProjection,
      kekDomainCatalogProjection,
      operatorCatalogProjection,
      approvalCatalogProjection,
    ])
      this.readModels.mirror(p.name);
    this.runner = new ProjectionRunner(this.store, this.readModels, [
      ...CUSTODY_PROJECTIONS,
      ...OPERATOR_PROJECTIONS,
    ]);
    this.runner.start();
    this.runner.done.catch((error: unknown) =>
      this.logger.error(`the custody projections stopped: ${(error as Error).message}`),
    );
  }

  async stop(): Promise<void> {
    await this.runner?.stop();
    this.readModels?.close();
    this.runner = undefined;
    this.readModels = undefined;
  }

  /** Resolves once the read models include every event appended so far (or after a bounded wait). */
  async catchUp(): Promise<void> {
    const runner = this.runner;
    if (runner === undefined) return;
    const head = await this.store.headPosition();
    if (runner.position() >= head) return;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        this.logger.warn(`read models did not reach position ${head} within ${CATCH_UP_MS} ms`);
        resolve();
      }, CATCH_UP_MS);
    });
    try {
      await Promise.race([runner.waitFor(head).catch(() => undefined), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Global position of the last event the read models include. */
  position(): number {
    return this.runner?.position() ?? 0;
  }

  key(keyId: string): KeyCatalogDoc | undefined {
    return this.doc(keyCatalogProjection.name, keyId) as unknown as KeyCatalogDoc | undefined;
  }

  keys(): KeyCatalogDoc[] {
    return this.docs(keyCatalogProjection.name) as unknown as KeyCatalogDoc[];
  }

  /** The keys resident on an HSM, live or disabled awaiting PKEY_DELETE. */
  residency(hsmId: string): ResidencyDoc {
    return (
      (this.doc(residencyProjection.name, hsmId) as unknown as ResidencyDoc | undefined) ?? {
        hsmId,
        keys: {},
        count: 0,
      }
    );
  }

  blob(sha256: string): BlobCurrencyDoc | undefined {
    return this.doc(blobCurrencyProjection.name, sha256) as unknown as BlobCurrencyDoc | undefined;
  }

  hsm(hsmId: string): HsmCatalogDoc | undefined {
    return this.doc(hsmCatalogProjection.name, hsmId) as unknown as HsmCatalogDoc | undefined;
  }

  hsms(): HsmCatalogDoc[] {
    return this.docs(hsmCatalogProjection.name) as unknown as HsmCatalogDoc[];
  }

  kekDomain(kekDomainId: string): KekDomainCatalogDoc | undefined {
    return this.doc(kekDomainCatalogProjection.name, kekDomainId) as unknown as
      KekDomainCatalogDoc | undefined;
  }

  kekDomains(): KekDomainCatalogDoc[] {
    return this.docs(kekDomainCatalogProjection.name) as unknown as KekDomainCatalogDoc[];
  }

  /** HSM names by id. */
  hsmNames(): Map<string, string> {
    return new Map(
      this.hsms().flatMap((d) => (d.state.status === 'absent' ? [] : [[d.hsmId, d.state.name]])),
    );
  }

  /**
   * The id of the HSM `ref` names (its id or its name), catching up with the ledger only when the
   * read models do not know it yet; undefined when no HSM has that id or name.
   */
  async hsmIdOf(ref: string): Promise<string | undefined> {
    const known = this.hsmIds.get(ref);
    if (known !== undefined) return known;
    let id = this.findHsm(ref);
    if (id === undefined) {
      await this.catchUp();
      id = this.findHsm(ref);
    }
    if (id !== undefined) this.hsmIds.set(ref, id);
    return id;
  }

  /** Like `hsmIdOf`, but an unknown HSM is a `CustodyNotFound` that lists the registered names. */
  async requireHsmId(ref: string): Promise<string> {
    if (typeof ref !== 'string' || ref.trim() === '')
      throw new CustodyNotFound(`"hsm" expected an HSM id or name, got ${JSON.stringify(ref)}`);
    const id = await this.hsmIdOf(ref);
    if (id !== undefined) return id;
    const known = [...this.hsmNames().values()].sort().join(', ') || 'none';
    throw new CustodyNotFound(
      `HSM ${JSON.stringify(ref.slice(0, 80))} is not registered (registered: ${known})`,
    );
  }

  /** The id of the KEK domain `ref` names (its id or its name), after a catch-up. */
  async kekDomainIdOf(ref: string): Promise<string | undefined> {
    await this.catchUp();
    if (this.kekDomain(ref) !== undefined) return ref;
    return this.kekDomains().find((d) => d.state.status !== 'absent' && d.state.name === ref)?.kekDomainId;
  }

  operator(operatorId: string): OperatorCatalogDoc | undefined {
    return this.doc(operatorCatalogProjection.name, operatorId) as unknown as OperatorCatalogDoc | undefined;
  }

  operators(): OperatorCatalogDoc[] {
    return this.docs(operatorCatalogProjection.name) as unknown as OperatorCatalogDoc[];
  }

  /** The active operator whose current token has this SHA-256, if the read models know one. */
  operatorByTokenHash(tokenHash: string): OperatorCatalogDoc | undefined {
    return this.operators().find((o) => o.state.status === 'active' && o.state.tokenHash === tokenHash);
  }

  /** Active officers: who can approve. */
  officerCount(): number {
    return this.operators().filter((o) => o.state.status === 'active' && o.state.role === 'officer').length;
  }

  approval(approvalId: string): ApprovalCatalogDoc | undefined {
    return this.doc(approvalCatalogProjection.name, approvalId) as unknown as ApprovalCatalogDoc | undefined;
  }

  /** Every approval request, oldest first. */
  approvals(): ApprovalCatalogDoc[] {
    return (this.docs(approvalCatalogProjection.name) as unknown as ApprovalCatalogDoc[]).sort(
      (a, b) => a.state.requestedAt.localeCompare(b.state.requestedAt) || a.lastPosition - b.lastPosition,
    );
  }

  /** Approval requests about one key (`params.keyId`), oldest first. */
  approvalsForKey(keyId: string): ApprovalCatalogDoc[] {
    return this.approvals().filter((a) => a.keyId === keyId);
  }

  private findHsm(ref: string): string | undefined {
    if (this.hsm(ref) !== undefined) return ref;
    return this.hsms().find((d) => d.state.status !== 'absent' && d.state.name === ref)?.hsmId;
  }

  private doc(projection: string, id: string): Doc | undefined {
    return this.models().get(projection, id);
  }

  private docs(projection: string): Doc[] {
    return this.models()
      .all(projection)
      .map((d) => d.doc);
  }

  private models(): ReadModelStore {
    if (this.readModels === undefined) throw new Error('the read side is not started');
    return this.readModels;
  }
}
