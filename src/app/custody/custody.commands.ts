/**
 * The one write path (docs/architecture.md §1): every state change of the custody service is one of
 * these @nestjs/cqrs commands, dispatched on the CommandBus with the actor it runs for; its handler
 * passes the approval gate (src/app/approvals/gate.ts) and runs the use case over `CustodyCore`
 * (load the stream, decide with src/domain, append with the expected revision, call the HSM).
 * Events are persisted by the use case to the store, never through the in-memory EventBus
 * (docs/style.md §5). A command that a policy can gate says so in `gate()`.
 */
import { Inject } from '@nestjs/common';
import { CommandHandler } from '@nestjs/cqrs';
import type { Actor } from '../actor';
import { ActorCommand, GatedHandler, type GateRequest } from '../approvals/gate';
import { presentBlob } from './blobs';
import {
  backupSetup,
  exportBackup,
  type BackupExportInput,
  type BackupExportResult,
  type BackupSetupInput,
  type BackupSetupResult,
} from './backup';
import { importBackup, type BackupImportInput, type BackupImportResult } from './backup-import';
import { CustodyCore } from './custody-core';
import * as admin from './hsm-admin';
import * as keys from './keys';
import { rawExport } from './raw-export';
import { rawImport } from './raw-import';
import { Pager, type PrefetchOutcome } from '../paging/pager';
import { sign } from './sign';
import { observeSignature } from './observe';
import { transfer } from './transfer';
import type {
  GenerateKeyInput,
  HsmView,
  KekDomainView,
  KeyView,
  ObservedSignatureResult,
  PresentBlobResult,
  ReconcileReport,
  RegisterHsmInput,
  SignResult,
} from './views';

export class RegisterHsmCommand extends ActorCommand<HsmView> {
  constructor(
    readonly input: RegisterHsmInput & { readonly hsmId?: string },
    actor: Actor,
  ) {
    super(actor);
  }

  override gate(): GateRequest {
    const { name, endpoint, capacity } = this.input;
    return {
      action: 'register-hsm',
      params: { name, endpoint, ...(capacity === undefined ? {} : { capacity }) },
      secret: this.input.pin,
      applies: async (lookups) => {
        await lookups.requireFreeHsmName(name);
        return true;
      },
    };
  }
}
/** Records that an HSM was zeroized (tamper response): it leaves its KEK domain, its keys are gone. */
export class RecordZeroizedCommand extends ActorCommand<HsmView> {
  constructor(
    readonly hsm: string,
    actor: Actor,
  ) {
    super(actor);
  }

  override gate(): GateRequest {
    return {
      action: 'record-zeroization',
      params: { hsm: this.hsm },
      applies: async (lookups) => {
        await lookups.requireHsm(this.hsm);
        return true;
      },
    };
  }
}
/** Compares the HSM's PKEY_MATCH listing with the ledger; drift is recorded, never "fixed". */
export class ReconcileHsmCommand extends ActorCommand<ReconcileReport> {
  constructor(
    readonly hsm: string,
    actor: Actor,
  ) {
    super(actor);
  }
}
/** Creates a KEK domain founded by `hsm`: generates and raw-exports its canary key. */
export class CreateKekDomainCommand extends ActorCommand<KekDomainView> {
  constructor(
    readonly input: { name: string; hsm: string },
    actor: Actor,
  ) {
    super(actor);
  }
}
/** `hsm` joins by importing the domain's canary blob (proof that it holds the domain's master KEK). */
export class JoinKekDomainCommand extends ActorCommand<KekDomainView> {
  constructor(
    readonly input: { kekDomain: string; hsm: string },
    actor: Actor,
  ) {
    super(actor);
  }
}
export class GenerateKeyCommand extends ActorCommand<KeyView> {
  constructor(
    readonly input: GenerateKeyInput,
    actor: Actor,
  ) {
    super(actor);
  }
}
export class RawExportCommand extends ActorCommand<{ blobSha256: string }> {
  constructor(
    readonly keyId: string,
    readonly input: { hsm: string; evict?: boolean },
    actor: Actor,
  ) {
    super(actor);
  }
}
export class RawImportCommand extends ActorCommand<{ hsm: string; hsmKeyName: string; blobSha256: string }> {
  constructor(
    readonly keyId: string,
    readonly input: { hsm: string; blobSha256?: string },
    actor: Actor,
  ) {
    super(actor);
  }
}
/** Routine inside one KEK domain; to an HSM outside the source's domain it is the gated `transfer-key-cross-domain`. */
export class TransferKeyCommand extends ActorCommand<KeyView> {
  constructor(
    readonly keyId: string,
    readonly input: { from: string; to: string },
    actor: Actor,
  ) {
    super(actor);
  }

  override gate(): GateRequest {
    const { from, to } = this.input;
    return {
      action: 'transfer-key-cross-domain',
      params: { keyId: this.keyId, from, to },
      applies: async (lookups) => {
        const [source, destination] = await Promise.all([lookups.kekDomainOf(from), lookups.kekDomainOf(to)]);
        return source === null || source !== destination;
      },
    };
  }
}
/** A state change for hashsig keys (the index path is recorded before release); RSA/EC too are signed here. */
export class SignCommand extends ActorCommand<SignResult> {
  constructor(
    readonly keyId: string,
    readonly input: { data: Buffer; hsm?: string },
    actor: Actor,
  ) {
    super(actor);
  }
}
/**
 * A hashsig signature seen outside the ledger, judged against the key's index log; an alarm is
 * recorded and freezes the key (docs/architecture.md §3 "Observed signatures"). Never gated: evidence is recorded at once.
 */
export class ObserveSignatureCommand extends ActorCommand<ObservedSignatureResult> {
  constructor(
    readonly keyId: string,
    readonly input: { signature: Buffer; message?: Buffer },
    actor: Actor,
  ) {
    super(actor);
  }
}
/** Pins or unpins a key (docs/architecture.md §4 "Key paging"): a pinned key is kept resident. */
export class SetPinnedCommand extends ActorCommand<KeyView> {
  constructor(
    readonly keyId: string,
    readonly pinned: boolean,
    actor: Actor,
  ) {
    super(actor);
  }
}
/** Pages keys in onto one HSM ahead of their use. */
export class PrefetchCommand extends ActorCommand<PrefetchOutcome[]> {
  constructor(
    readonly hsm: string,
    readonly keyIds: readonly string[],
    actor: Actor,
  ) {
    super(actor);
  }
}
/** PKEY_DELETE of the key from one HSM; refused where it would lose the key. */
export class DeleteFromHsmCommand extends ActorCommand<KeyView> {
  constructor(
    readonly keyId: string,
    readonly input: { hsm: string },
    actor: Actor,
  ) {
    super(actor);
  }
}
export class DestroyKeyCommand extends ActorCommand<KeyView> {
  constructor(
    readonly keyId: string,
    actor: Actor,
  ) {
    super(actor);
  }

  override gate(): GateRequest {
    // Destroying a key that is already destroyed changes nothing: no approval for that.
    return { action: 'destroy-key', params: { keyId: this.keyId }, applies: (l) => l.keyIsLive(this.keyId) };
  }
}
/** A blob handed in from outside (an old backup) is judged; a refusal is recorded. */
export class PresentBlobCommand extends ActorCommand<PresentBlobResult> {
  constructor(
    readonly input: { keyId: string; blob: Buffer },
    actor: Actor,
  ) {
    super(actor);
  }
}
/**
 * cryptech_backup files (src/app/custody/backup.ts): a KEKEK for them on an HSM, a file's keys
 * imported onto an HSM, an HSM's keys written to a file.
 */
export class BackupSetupCommand extends ActorCommand<BackupSetupResult> {
  constructor(
    readonly input: BackupSetupInput,
    actor: Actor,
  ) {
    super(actor);
  }
}
export class BackupImportCommand extends ActorCommand<BackupImportResult> {
  constructor(
    readonly input: BackupImportInput,
    actor: Actor,
  ) {
    super(actor);
  }
}
export class BackupExportCommand extends ActorCommand<BackupExportResult> {
  constructor(
    readonly input: BackupExportInput,
    actor: Actor,
  ) {
    super(actor);
  }
}

/** What every custody handler needs: the gate in front (GatedHandler), the custody core behind. */
abstract class CustodyHandler<C extends ActorCommand<R>, R> extends GatedHandler<C, R> {
  constructor(@Inject(CustodyCore) protected readonly core: CustodyCore) {
    super();
  }
}

/** A custody handler whose use case may move keys to make room or to use them (the pager). */
abstract class PagingHandler<C extends ActorCommand<R>, R> extends CustodyHandler<C, R> {
  constructor(
    @Inject(CustodyCore) core: CustodyCore,
    @Inject(Pager) protected readonly pager: Pager,
  ) {
    super(core);
  }

  /** Runs a move the pager did not make; the pager reads residency from the ledger before its next. */
  protected outside<T>(move: Promise<T>): Promise<T> {
    return move.finally(() => this.pager.changedOutside());
  }

  /** Runs a move of one key the pager did not make; the pager follows that key's state. */
  protected outsideKey<T>(keyId: string, move: Promise<T>): Promise<T> {
    return move.finally(() => this.pager.changedKey(keyId));
  }
}

@CommandHandler(RegisterHsmCommand)
export class RegisterHsmHandler extends PagingHandler<RegisterHsmCommand, HsmView> {
  run(c: RegisterHsmCommand) {
    return this.outside(admin.registerHsm(this.core, c.input, c.actor));
  }
}
@CommandHandler(RecordZeroizedCommand)
export class RecordZeroizedHandler extends PagingHandler<RecordZeroizedCommand, HsmView> {
  run(c: RecordZeroizedCommand) {
    return this.outside(admin.recordZeroized(this.core, c.hsm, c.actor));
  }
}
@CommandHandler(ReconcileHsmCommand)
export class ReconcileHsmHandler extends CustodyHandler<ReconcileHsmCommand, ReconcileReport> {
  run(c: ReconcileHsmCommand) {
    return admin.reconcile(this.core, c.hsm, c.actor);
  }
}
@CommandHandler(CreateKekDomainCommand)
export class CreateKekDomainHandler extends CustodyHandler<CreateKekDomainCommand, KekDomainView> {
  run(c: CreateKekDomainCommand) {
    return admin.createKekDomain(this.core, c.input, c.actor);
  }
}
@CommandHandler(JoinKekDomainCommand)
export class JoinKekDomainHandler extends PagingHandler<JoinKekDomainCommand, KekDomainView> {
  run(c: JoinKekDomainCommand) {
    return this.outside(admin.joinKekDomain(this.core, c.input, c.actor));
  }
}
@CommandHandler(GenerateKeyCommand)
export class GenerateKeyHandler extends PagingHandler<GenerateKeyCommand, KeyView> {
  async run(c: GenerateKeyCommand) {
    const hsm = (c.input as Partial<GenerateKeyInput> | undefined)?.hsm;
    if (typeof hsm !== 'string' || !this.pager.enabled) return keys.generateKey(this.core, c.input, c.actor);
    // On a full HSM the pager pages a key out first.
    const target = await this.core.registry.active(hsm);
    return this.pager.withSlot(target, c.actor, () => keys.generateKey(this.core, c.input, c.actor));
  }
}
@CommandHandler(RawExportCommand)
export class RawExportHandler extends PagingHandler<RawExportCommand, { blobSha256: string }> {
  run(c: RawExportCommand) {
    return this.outsideKey(c.keyId, rawExport(this.core, c.keyId, c.input, c.actor));
  }
}
@CommandHandler(RawImportCommand)
export class RawImportHandler extends PagingHandler<
  RawImportCommand,
  { hsm: string; hsmKeyName: string; blobSha256: string }
> {
  run(c: RawImportCommand) {
    return this.outsideKey(c.keyId, rawImport(this.core, c.keyId, c.input, c.actor));
  }
}
@CommandHandler(TransferKeyCommand)
export class TransferKeyHandler extends PagingHandler<TransferKeyCommand, KeyView> {
  async run(c: TransferKeyCommand) {
    const to = (c.input as Partial<TransferKeyCommand['input']> | undefined)?.to;
    if (typeof to !== 'string' || !this.pager.enabled)
      return this.outsideKey(c.keyId, transfer(this.core, c.keyId, c.input, c.actor));
    // The destination needs room for the KEKEK and the key while the transfer runs: on a full HSM
    // the pager pages keys out first (docs/architecture.md §4 "Key paging").
    const dest = await this.core.registry.active(to);
    return this.outsideKey(
      c.keyId,
      this.pager.withRoom(dest, 2, c.keyId, c.actor, `transferring key ${c.keyId}`, () =>
        transfer(this.core, c.keyId, c.input, c.actor),
      ),
    );
  }
}
@CommandHandler(SignCommand)
export class SignHandler extends PagingHandler<SignCommand, SignResult> {
  run(c: SignCommand) {
    // A key no HSM holds is paged in first (docs/architecture.md §4 "Key paging").
    const hsm = typeof c.input?.hsm === 'string' ? c.input.hsm : undefined;
    return this.pager.withResident(c.keyId, hsm, c.actor, () => sign(this.core, c.keyId, c.input, c.actor));
  }
}
@CommandHandler(ObserveSignatureCommand)
export class ObserveSignatureHandler extends CustodyHandler<
  ObserveSignatureCommand,
  ObservedSignatureResult
> {
  run(c: ObserveSignatureCommand) {
    return observeSignature(this.core, c.keyId, c.input, c.actor);
  }
}
@CommandHandler(SetPinnedCommand)
export class SetPinnedHandler extends PagingHandler<SetPinnedCommand, KeyView> {
  async run(c: SetPinnedCommand) {
    await this.pager.setPinned(c.keyId, c.pinned, c.actor);
    return keys.keyViewOf(this.core, c.keyId);
  }
}
@CommandHandler(PrefetchCommand)
export class PrefetchHandler extends PagingHandler<PrefetchCommand, PrefetchOutcome[]> {
  run(c: PrefetchCommand) {
    return this.pager.prefetch(c.hsm, c.keyIds, c.actor);
  }
}
@CommandHandler(DeleteFromHsmCommand)
export class DeleteFromHsmHandler extends PagingHandler<DeleteFromHsmCommand, KeyView> {
  run(c: DeleteFromHsmCommand) {
    return this.outsideKey(c.keyId, keys.deleteFromHsm(this.core, c.keyId, c.input, c.actor));
  }
}
@CommandHandler(DestroyKeyCommand)
export class DestroyKeyHandler extends CustodyHandler<DestroyKeyCommand, KeyView> {
  run(c: DestroyKeyCommand) {
    return keys.destroyKey(this.core, c.keyId, c.actor);
  }
}
@CommandHandler(PresentBlobCommand)
export class PresentBlobHandler extends CustodyHandler<PresentBlobCommand, PresentBlobResult> {
  run(c: PresentBlobCommand) {
    return presentBlob(this.core, c.input, c.actor);
  }
}
@CommandHandler(BackupSetupCommand)
export class BackupSetupHandler extends CustodyHandler<BackupSetupCommand, BackupSetupResult> {
  run(c: BackupSetupCommand) {
    return backupSetup(this.core, c.input, c.actor);
  }
}
@CommandHandler(BackupImportCommand)
export class BackupImportHandler extends PagingHandler<BackupImportCommand, BackupImportResult> {
  run(c: BackupImportCommand) {
    // New keys and holders on the HSM: the pager reads its residency again.
    return this.outside(importBackup(this.core, c.input, c.actor));
  }
}
@CommandHandler(BackupExportCommand)
export class BackupExportHandler extends CustodyHandler<BackupExportCommand, BackupExportResult> {
  run(c: BackupExportCommand) {
    return exportBackup(this.core, c.input, c.actor);
  }
}

export const CUSTODY_COMMAND_HANDLERS = [
  RegisterHsmHandler,
  RecordZeroizedHandler,
  ReconcileHsmHandler,
  CreateKekDomainHandler,
  JoinKekDomainHandler,
  GenerateKeyHandler,
  RawExportHandler,
  RawImportHandler,
  TransferKeyHandler,
  SignHandler,
  ObserveSignatureHandler,
  SetPinnedHandler,
  PrefetchHandler,
  DeleteFromHsmHandler,
  DestroyKeyHandler,
  PresentBlobHandler,
  BackupSetupHandler,
  BackupImportHandler,
  BackupExportHandler,
];
