/**
 * The custody use cases as @nestjs/cqrs commands: thin wiring (CommandBus → handler → service
 * method), for callers that prefer the bus. Events are persisted by the service to the store, never
 * through the in-memory EventBus (STYLE 5).
 */
import { Inject } from '@nestjs/common';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import type { GenerateKeyInput, HsmView, KeyView, RegisterHsmInput, SignResult } from './custody.port';
import { CustodyService } from './custody.service';

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
  constructor(readonly keyId: string, readonly input: { hsm: string; evict?: boolean }) {
    super();
  }
}
export class RawImportCommand extends Command<{ hsm: string; hsmKeyName: string; blobSha256: string }> {
  constructor(readonly keyId: string, readonly input: { hsm: string; blobSha256?: string }) {
    super();
  }
}
export class TransferKeyCommand extends Command<KeyView> {
  constructor(readonly keyId: string, readonly input: { from: string; to: string }) {
    super();
  }
}
export class SignCommand extends Command<SignResult> {
  constructor(readonly keyId: string, readonly input: { data: Buffer; hsm?: string }) {
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
  constructor(@Inject(CustodyService) private readonly custody: CustodyService) {}
  execute(c: RegisterHsmCommand) {
    return this.custody.registerHsm(c.input);
  }
}
@CommandHandler(GenerateKeyCommand)
export class GenerateKeyHandler implements ICommandHandler<GenerateKeyCommand> {
  constructor(@Inject(CustodyService) private readonly custody: CustodyService) {}
  execute(c: GenerateKeyCommand) {
    return this.custody.generateKey(c.input);
  }
}
@CommandHandler(RawExportCommand)
export class RawExportHandler implements ICommandHandler<RawExportCommand> {
  constructor(@Inject(CustodyService) private readonly custody: CustodyService) {}
  execute(c: RawExportCommand) {
    return this.custody.rawExport(c.keyId, c.input);
  }
}
@CommandHandler(RawImportCommand)
export class RawImportHandler implements ICommandHandler<RawImportCommand> {
  constructor(@Inject(CustodyService) private readonly custody: CustodyService) {}
  execute(c: RawImportCommand) {
    return this.custody.rawImport(c.keyId, c.input);
  }
}
@CommandHandler(TransferKeyCommand)
export class TransferKeyHandler implements ICommandHandler<TransferKeyCommand> {
  constructor(@Inject(CustodyService) private readonly custody: CustodyService) {}
  execute(c: TransferKeyCommand) {
    return this.custody.transfer(c.keyId, c.input);
  }
}
@CommandHandler(SignCommand)
export class SignHandler implements ICommandHandler<SignCommand> {
  constructor(@Inject(CustodyService) private readonly custody: CustodyService) {}
  execute(c: SignCommand) {
    return this.custody.sign(c.keyId, c.input);
  }
}
@CommandHandler(DestroyKeyCommand)
export class DestroyKeyHandler implements ICommandHandler<DestroyKeyCommand> {
  constructor(@Inject(CustodyService) private readonly custody: CustodyService) {}
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
