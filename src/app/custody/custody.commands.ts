/**
 * The one write path (docs/architecture.md §1): every state change of the custody service is one of
 * these @nestjs/cqrs commands, dispatched on the CommandBus; its handler runs the use case over
 * `CustodyCore` (load the stream, decide with src/domain, append with the expected revision, call
 * the HSM). Events are persisted by the use case to the store, never through the in-memory
 * EventBus (docs/style.md §5). A gate that applies to every state change (approvals) belongs here,
 * in front of the handlers.
 */
import { Inject } from '@nestjs/common';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { presentBlob } from './blobs';
import { CustodyCore } from './custody-core';
import * as admin from './hsm-admin';
import * as keys from './keys';
import { rawExport } from './raw-export';
import { rawImport } from './raw-import';
import { sign } from './sign';
import { transfer } from './transfer';
import type {
  GenerateKeyInput,
  HsmView,
  KekDomainView,
  KeyView,
  PresentBlobResult,
  ReconcileReport,
  RegisterHsmInput,
  SignResult,
} from './views';

export class RegisterHsmCommand extends Command<HsmView> {
  constructor(readonly input: RegisterHsmInput) {
    super();
  }
}
/** Records that an HSM was zeroized (tamper response): it leaves its KEK domain, its keys are gone. */
export class RecordZeroizedCommand extends Command<HsmView> {
  constructor(readonly hsm: string) {
    super();
  }
}
/** Compares the HSM's PKEY_MATCH listing with the ledger; drift is recorded, never "fixed". */
export class ReconcileHsmCommand extends Command<ReconcileReport> {
  constructor(readonly hsm: string) {
    super();
  }
}
/** Creates a KEK domain founded by `hsm`: generates and raw-exports its canary key. */
export class CreateKekDomainCommand extends Command<KekDomainView> {
  constructor(readonly input: { name: string; hsm: string }) {
    super();
  }
}
/** `hsm` joins by importing the domain's canary blob (proof that it holds the domain's master KEK). */
export class JoinKekDomainCommand extends Command<KekDomainView> {
  constructor(readonly input: { kekDomain: string; hsm: string }) {
    super();
  }
}
export class GenerateKeyCommand extends Command<KeyView> {
  constructor(readonly input: GenerateKeyInput) {
    super();
  }
}
export class RawExportCommand extends Command<{ blobSha256: string }> {
  constructor(
    readonly keyId: string,
    readonly input: { hsm: string; evict?: boolean },
  ) {
    super();
  }
}
export class RawImportCommand extends Command<{ hsm: string; hsmKeyName: string; blobSha256: string }> {
  constructor(
    readonly keyId: string,
    readonly input: { hsm: string; blobSha256?: string },
  ) {
    super();
  }
}
export class TransferKeyCommand extends Command<KeyView> {
  constructor(
    readonly keyId: string,
    readonly input: { from: string; to: string },
  ) {
    super();
  }
}
/** A state change for hashsig keys (the index path is recorded before release); RSA/EC too are signed here. */
export class SignCommand extends Command<SignResult> {
  constructor(
    readonly keyId: string,
    readonly input: { data: Buffer; hsm?: string },
  ) {
    super();
  }
}
/** PKEY_DELETE of the key from one HSM; refused where it would lose the key. */
export class DeleteFromHsmCommand extends Command<KeyView> {
  constructor(
    readonly keyId: string,
    readonly input: { hsm: string },
  ) {
    super();
  }
}
export class DestroyKeyCommand extends Command<KeyView> {
  constructor(readonly keyId: string) {
    super();
  }
}
/** A blob handed in from outside (an old backup) is judged; a refusal is recorded. */
export class PresentBlobCommand extends Command<PresentBlobResult> {
  constructor(readonly input: { keyId: string; blob: Buffer }) {
    super();
  }
}

/** What every handler needs: the custody core the use cases run over. */
abstract class CustodyHandler {
  constructor(@Inject(CustodyCore) protected readonly core: CustodyCore) {}
}

@CommandHandler(RegisterHsmCommand)
export class RegisterHsmHandler extends CustodyHandler implements ICommandHandler<RegisterHsmCommand> {
  execute(c: RegisterHsmCommand) {
    return admin.registerHsm(this.core, c.input);
  }
}
@CommandHandler(RecordZeroizedCommand)
export class RecordZeroizedHandler extends CustodyHandler implements ICommandHandler<RecordZeroizedCommand> {
  execute(c: RecordZeroizedCommand) {
    return admin.recordZeroized(this.core, c.hsm);
  }
}
@CommandHandler(ReconcileHsmCommand)
export class ReconcileHsmHandler extends CustodyHandler implements ICommandHandler<ReconcileHsmCommand> {
  execute(c: ReconcileHsmCommand) {
    return admin.reconcile(this.core, c.hsm);
  }
}
@CommandHandler(CreateKekDomainCommand)
export class CreateKekDomainHandler
  extends CustodyHandler
  implements ICommandHandler<CreateKekDomainCommand>
{
  execute(c: CreateKekDomainCommand) {
    return admin.createKekDomain(this.core, c.input);
  }
}
@CommandHandler(JoinKekDomainCommand)
export class JoinKekDomainHandler extends CustodyHandler implements ICommandHandler<JoinKekDomainCommand> {
  execute(c: JoinKekDomainCommand) {
    return admin.joinKekDomain(this.core, c.input);
  }
}
@CommandHandler(GenerateKeyCommand)
export class GenerateKeyHandler extends CustodyHandler implements ICommandHandler<GenerateKeyCommand> {
  execute(c: GenerateKeyCommand) {
    return keys.generateKey(this.core, c.input);
  }
}
@CommandHandler(RawExportCommand)
export class RawExportHandler extends CustodyHandler implements ICommandHandler<RawExportCommand> {
  execute(c: RawExportCommand) {
    return rawExport(this.core, c.keyId, c.input);
  }
}
@CommandHandler(RawImportCommand)
export class RawImportHandler extends CustodyHandler implements ICommandHandler<RawImportCommand> {
  execute(c: RawImportCommand) {
    return rawImport(this.core, c.keyId, c.input);
  }
}
@CommandHandler(TransferKeyCommand)
export class TransferKeyHandler extends CustodyHandler implements ICommandHandler<TransferKeyCommand> {
  execute(c: TransferKeyCommand) {
    return transfer(this.core, c.keyId, c.input);
  }
}
@CommandHandler(SignCommand)
export class SignHandler extends CustodyHandler implements ICommandHandler<SignCommand> {
  execute(c: SignCommand) {
    return sign(this.core, c.keyId, c.input);
  }
}
@CommandHandler(DeleteFromHsmCommand)
export class DeleteFromHsmHandler extends CustodyHandler implements ICommandHandler<DeleteFromHsmCommand> {
  execute(c: DeleteFromHsmCommand) {
    return keys.deleteFromHsm(this.core, c.keyId, c.input);
  }
}
@CommandHandler(DestroyKeyCommand)
export class DestroyKeyHandler extends CustodyHandler implements ICommandHandler<DestroyKeyCommand> {
  execute(c: DestroyKeyCommand) {
    return keys.destroyKey(this.core, c.keyId);
  }
}
@CommandHandler(PresentBlobCommand)
export class PresentBlobHandler extends CustodyHandler implements ICommandHandler<PresentBlobCommand> {
  execute(c: PresentBlobCommand) {
    return presentBlob(this.core, c.input);
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
  DeleteFromHsmHandler,
  DestroyKeyHandler,
  PresentBlobHandler,
];
