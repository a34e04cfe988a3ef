/**
 * cryptech_backup files over REST (src/app/custody/backup.ts, docs/libhal-rpc.md §8). Files travel
 * as their text: the SHA-256 the ledger records is the file's own, and the service checks all of it
 * (a 422 names the field that is wrong).
 */
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
  MinLength,
} from 'class-validator';
import { Required } from '../validation';
import { HsmRefDto } from './hsm.dto';
import { BODY_LIMIT_BYTES, REF } from './limits';

/** Most keys one export names. */
export const MAX_BACKUP_KEY_IDS = 4096;
/** A passphrase is typed by a person; this only bounds the PBKDF2 input. */
export const MAX_PASSPHRASE = 1024;

export class BackupSetupDto extends HsmRefDto {
  @ApiPropertyOptional({ description: 'RSA modulus of a new KEKEK (default 2048)', enum: [2048, 3072, 4096] })
  @IsOptional()
  @IsInt()
  @IsIn([2048, 3072, 4096])
  bits?: number;

  @ApiPropertyOptional({
    description:
      'generate a new KEKEK even if the HSM has one recorded (cryptech_backup setup -n); default: use the recorded one if it is still there',
  })
  @IsOptional()
  @IsBoolean()
  new?: boolean;
}

export class BackupSetupResponse {
  @ApiProperty() hsm!: string;
  @ApiProperty({
    description:
      'the setup file to give `cryptech_backup export` (or `keyledger backup export`): {"comment": "KEKEK public key", "kekek_pubkey": [...], "kekek_uuid": "..."}',
  })
  file!: string;
  @ApiProperty({ description: 'the KEKEK: its key name on the HSM' }) kekekUuid!: string;
  @ApiProperty({ description: "SHA-256 (hex) of the KEKEK's SubjectPublicKeyInfo" }) kekekSpkiSha256!: string;
  @ApiProperty() bits!: number;
  @ApiProperty({ description: "true: the HSM's recorded KEKEK was used again" }) reused!: boolean;
}

export class BackupImportDto extends HsmRefDto {
  @ApiProperty({
    description:
      'the backup file written by `cryptech_backup export` (or `keyledger backup export`), as its text; its SHA-256 is recorded with every key it brings',
    maxLength: BODY_LIMIT_BYTES,
  })
  @Required('the backup file, as its text')
  @IsString()
  @MinLength(1)
  @MaxLength(BODY_LIMIT_BYTES)
  file!: string;

  @ApiPropertyOptional({
    description: 'the passphrase of a software KEKEK (kekek_pkcs8, kekek_salt); never logged or recorded',
    writeOnly: true,
    maxLength: MAX_PASSPHRASE,
  })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(MAX_PASSPHRASE)
  passphrase?: string;
}

export class BackupImportItemResponse {
  @ApiProperty({ description: "the entry's place in the file's `keys`" }) index!: number;
  @ApiProperty({ description: "the entry's `uuid`: the key's name on the HSM that exported it" })
  sourceUuid!: string;
  @ApiProperty({
    enum: ['new-key', 'new-holder', 'already-on-hsm', 'skipped'],
    description:
      'new-key: recorded as a new ledger key; new-holder: a key the ledger holds, now also on the HSM; already-on-hsm: the HSM held it already (the duplicate copy was deleted); skipped: see detail (a public key, a destroyed key)',
  })
  outcome!: string;
  @ApiProperty({ nullable: true, type: String }) keyId!: string | null;
  @ApiProperty({ nullable: true, enum: ['rsa', 'ec'], type: String }) type!: string | null;
  @ApiProperty({ nullable: true, type: String, description: "the key's name on the HSM" })
  hsmKeyName!: string | null;
  @ApiProperty({ nullable: true, type: String }) detail!: string | null;
}

export class BackupKekekResponse {
  @ApiProperty({ enum: ['hsm', 'soft'] }) kind!: string;
  @ApiProperty({ nullable: true, type: String, description: 'kekek_uuid of a KEKEK on an HSM' })
  uuid!: string | null;
  @ApiProperty() spkiSha256!: string;
}

export class BackupImportResponse {
  @ApiProperty() hsm!: string;
  @ApiProperty({ description: 'SHA-256 (hex) of the file as sent' }) fileSha256!: string;
  @ApiProperty({ type: BackupKekekResponse }) kekek!: BackupKekekResponse;
  @ApiProperty({ type: [BackupImportItemResponse], description: 'one per entry of the file, in its order' })
  items!: BackupImportItemResponse[];
  @ApiProperty({ description: 'entries now held on the HSM for the ledger (new-key, new-holder)' })
  imported!: number;
  @ApiProperty() skipped!: number;
}

export class BackupExportDto extends HsmRefDto {
  @ApiProperty({
    description:
      'the setup file of the destination (`cryptech_backup setup`, with or without -s; or `keyledger backup setup`), as its text',
    maxLength: BODY_LIMIT_BYTES,
  })
  @Required("the destination's setup file, as its text")
  @IsString()
  @MinLength(1)
  @MaxLength(BODY_LIMIT_BYTES)
  setup!: string;

  @ApiPropertyOptional({
    type: [String],
    description: `keys to write (at most ${MAX_BACKUP_KEY_IDS}); default: every RSA/EC key resident on the HSM. Naming a hashsig key is a 422: the format cannot carry its state`,
    minItems: 1,
    maxItems: MAX_BACKUP_KEY_IDS,
  })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1, { message: `$property must hold 1 to ${MAX_BACKUP_KEY_IDS} key ids` })
  @ArrayMaxSize(MAX_BACKUP_KEY_IDS, { message: `$property must hold 1 to ${MAX_BACKUP_KEY_IDS} key ids` })
  @IsString({ each: true })
  @Matches(REF, { each: true, message: '$property must hold key ids' })
  keyIds?: string[];
}

export class BackupExportedKeyResponse {
  @ApiProperty() keyId!: string;
  @ApiProperty({ enum: ['rsa', 'ec'] }) type!: string;
  @ApiProperty({ description: "the entry's `uuid`: the key's name on the HSM" }) sourceUuid!: string;
}

export class BackupSkippedKeyResponse {
  @ApiProperty() keyId!: string;
  @ApiProperty({ enum: ['rsa', 'ec', 'hashsig'] }) type!: string;
  @ApiProperty() reason!: string;
}

export class BackupExportKekekResponse extends BackupKekekResponse {
  @ApiProperty() bits!: number;
}

export class BackupExportResponse {
  @ApiProperty() hsm!: string;
  @ApiProperty({
    description: 'the backup file for `cryptech_backup import` (indent 4, sorted keys, base64 lines of 76)',
  })
  file!: string;
  @ApiProperty({ description: 'SHA-256 (hex) of `file`, as every exported key records it' })
  fileSha256!: string;
  @ApiProperty({ type: BackupExportKekekResponse }) kekek!: BackupExportKekekResponse;
  @ApiProperty({ type: [BackupExportedKeyResponse] }) exported!: BackupExportedKeyResponse[];
  @ApiProperty({
    type: [BackupSkippedKeyResponse],
    description: 'keys on the HSM left out (hashsig keys, when exporting every key)',
  })
  skipped!: BackupSkippedKeyResponse[];
}
