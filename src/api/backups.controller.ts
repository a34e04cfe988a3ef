/**
 * `/v1/backups`: Cryptech `cryptech_backup` files (docs/libhal-rpc.md §8; the use cases are
 * src/app/custody/backup.ts). Each route dispatches one custody command.
 */
import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Actor } from '../app/actor';
import {
  BackupExportCommand,
  BackupImportCommand,
  BackupSetupCommand,
} from '../app/custody/custody.commands';
import type { BackupExportResult, BackupSetupResult } from '../app/custody/backup';
import type { BackupImportResult } from '../app/custody/backup-import';
import { CurrentActor } from './auth.guard';
import {
  BackupExportDto,
  BackupExportResponse,
  BackupImportDto,
  BackupImportResponse,
  BackupSetupDto,
  BackupSetupResponse,
} from './dto/backup.dto';
import { CommandProblems, ReadProblems } from './problems.openapi';

@ApiTags('backups')
@ApiBearerAuth()
@ReadProblems()
@Controller('v1/backups')
export class BackupsController {
  constructor(private readonly commands: CommandBus) {}

  @Post('setup')
  @CommandProblems({ body: true })
  @HttpCode(200)
  @ApiOperation({
    summary: 'a KEKEK on an HSM for cryptech_backup files, and its setup file',
    description:
      "Generates an RSA KEKEK (KEYENCIPHERMENT|TOKEN) on the HSM, recorded on its stream (HsmBackupKekekGenerated), or uses the one recorded before if the HSM still holds it (unless `new`). Answers the setup file `cryptech_backup export` and `POST /v1/backups/export` take. A software KEKEK (cryptech_backup setup -s) is made by `keyledger backup setup --soft` on the operator's machine, never by the service.",
  })
  @ApiOkResponse({ type: BackupSetupResponse })
  setup(@Body() body: BackupSetupDto, @CurrentActor() actor: Actor): Promise<BackupSetupResult> {
    return this.commands.execute(
      new BackupSetupCommand({ hsm: body.hsm, bits: body.bits, new: body.new }, actor),
    );
  }

  @Post('import')
  @CommandProblems({ body: true })
  @HttpCode(200)
  @ApiOperation({
    summary: 'import every key of a cryptech_backup file onto an HSM, each recorded with its provenance',
    description:
      "The whole file is checked first (422 naming the field: malformed or cut-short JSON, an entry that is not base64 or not the DER PKEY_EXPORT writes, a KEK not as long as the KEKEK's modulus; a wrong passphrase; an HSM without the KEKEK the file names). Then every private key is PKEY_IMPORTed under the KEKEK (a software KEKEK is loaded on the HSM for the import only); if the HSM refuses one (a damaged entry: 422, no room: 409), the keys imported so far are deleted again and nothing is recorded. A key new to the ledger becomes a key (KeyGenerated with provenance {format, fileSha256, sourceUuid, sourceFlags, kekekSpkiSha256, kekekName}); a key the ledger already holds gets the HSM as a new holder (KeyBackupImported), or, when the HSM already held it, the duplicate copy is deleted. Public-key entries are skipped. Importing the same file again records nothing twice. A hashsig key in the file is refused (422): the format cannot carry its state.",
  })
  @ApiOkResponse({ type: BackupImportResponse })
  import(@Body() body: BackupImportDto, @CurrentActor() actor: Actor): Promise<BackupImportResult> {
    return this.commands.execute(
      new BackupImportCommand({ hsm: body.hsm, file: body.file, passphrase: body.passphrase }, actor),
    );
  }

  @Post('export')
  @CommandProblems({ body: true })
  @HttpCode(200)
  @ApiOperation({
    summary: "write keys resident on an HSM to a cryptech_backup file under a setup file's KEKEK",
    description:
      "PKEY_EXPORT of each key under the setup's KEKEK (at least 2048 bits), its public key loaded on the HSM for the export only. Each key written records KeyBackupExported (the file's SHA-256 and the KEKEK's) before the file is answered. Default: every RSA/EC key live on the HSM, hashsig keys listed in `skipped`; `keyIds` names keys, and a hashsig key among them is a 422: hashsig keys cannot be written to a cryptech_backup file, the format cannot carry their state. Needs the officer role: the file can be read by whoever holds the KEKEK.",
  })
  @ApiOkResponse({ type: BackupExportResponse })
  export(@Body() body: BackupExportDto, @CurrentActor() actor: Actor): Promise<BackupExportResult> {
    return this.commands.execute(
      new BackupExportCommand({ hsm: body.hsm, setup: body.setup, keyIds: body.keyIds }, actor),
    );
  }
}
