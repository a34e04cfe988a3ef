/**
 * The custody use cases that change state, as @nestjs/cqrs commands: the REST API dispatches them
 * on the CommandBus; each handler is thin wiring to one method of the custody port. Events are persisted by the service to the store, never
 * through the in-memory EventBus (STYLE 5).
 */
import { Inject } from '@nestjs/common';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import {
  CUSTODY,
  type CustodyPort,
  type GenerateKeyInput,
  type HsmView,
  type KeyView,
  type RegisterHsmInput,
  type SignResult,
} from './custody.port';

export class RegisterHsmCommand extends Command<HsmView> {
  constructor(readonly input: RegisterHsmInput) {
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
export class SignCommand extends Command<SignResult> {
  constructor(
    readonly keyId: string,
    readonly input: { data: Buffer; hsm?: string },
  ) {
    super();
  }
}
export class DestroyKeyCommand extends Command<KeyView> {
  constructor(readonly keyId: string) {
    super();
  }
}

@CommandHandler(RegisterHsmCommand)
export class RegisterHsmHandler implements ICommandHandler<RegisterHsmCommand> {
  constructor(@Inject(CUSTODY) private readonly custody: CustodyPort) {}
  execute(c: RegisterHsmCommand) {
    return this.custody.registerHsm(c.input);
  }
}
@CommandHandler(GenerateKeyCommand)
export class GenerateKeyHandler implements ICommandHandler<GenerateKeyCommand> {
  constructor(@Inject(CUSTODY) private readonly custody: CustodyPort) {}
  execute(c: GenerateKeyCommand) {
    return this.custody.generateKey(c.input);
  }
}
@CommandHandler(RawExportCommand)
export class RawExportHandler implements ICommandHandler<RawExportCommand> {
  constructor(@Inject(CUSTODY) private readonly custody: CustodyPort) {}
  execute(c: RawExportCommand) {
    return this.custody.rawExport(c.keyId, c.input);
  }
}
@CommandHandler(RawImportCommand)
export class RawImportHandler implements ICommandHandler<RawImportCommand> {
  constructor(@Inject(CUSTODY) private readonly custody: CustodyPort) {}
  execute(c: RawImportCommand) {
    return this.custody.rawImport(c.keyId, c.input);
  }
}
@CommandHandler(TransferKeyCommand)
export class TransferKeyHandler implements ICommandHandler<TransferKeyCommand> {
  constructor(@Inject(CUSTODY) private readonly custody: CustodyPort) {}
  execute(c: TransferKeyCommand) {
    return this.custody.transfer(c.keyId, c.input);
  }
}
@CommandHandler(SignCommand)
export class SignHandler implements ICommandHandler<SignCommand> {
  constructor(@Inject(CUSTODY) private readonly custody: CustodyPort) {}
  execute(c: SignCommand) {
    return this.custody.sign(c.keyId, c.input);
  }
}
@CommandHandler(DestroyKeyCommand)
export class DestroyKeyHandler implements ICommandHandler<DestroyKeyCommand> {
  constructor(@Inject(CUSTODY) private readonly custody: CustodyPort) {}
  execute(c: DestroyKeyCommand) {
    return this.custody.destroyKey(c.keyId);
  }
}

export const CUSTODY_COMMAND_HANDLERS = [
  RegisterHsmHandler,
  GenerateKeyHandler,
  RawExportHandler,
  RawImportHandler,
  TransferKeyHandler,
  SignHandler,
  DestroyKeyHandler,
];
