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
  Max,
  MaxLength,
  Min,
  MinLength,
  registerDecorator,
  type ValidationArguments,
} from 'class-validator';
import { HsmRefDto } from './hsm.dto';
import { IsStrictBase64 } from '../base64';
import { Required } from '../validation';
import { MAX_LABEL, MAX_OBSERVED_SIGNATURE_BYTES, MAX_SIGN_BYTES, REF } from './limits';

const SHA256 = /^[0-9a-f]{64}$/;

/**
 * A parameter of one key type only: given with another type it is refused (400), not ignored, so
 * `{"type":"ec","bits":2048}` never makes a key the caller did not describe.
 */
function OnlyForType(keyType: GenerateKeyDto['type']): PropertyDecorator {
  return (target: object, propertyName: string | symbol) =>
    registerDecorator({
      name: 'onlyForType',
      target: target.constructor,
      propertyName: String(propertyName),
      constraints: [keyType],
      options: { message: `$property applies to type "${keyType}" only` },
      validator: {
        validate: (value: unknown, args: ValidationArguments) =>
          value === undefined || (args.object as GenerateKeyDto).type === keyType,
      },
    });
}

export class GenerateKeyDto extends HsmRefDto {
  @ApiProperty({ enum: ['rsa', 'ec', 'hashsig'] })
  @Required('rsa, ec or hashsig')
  @IsIn(['rsa', 'ec', 'hashsig'])
  type!: 'rsa' | 'ec' | 'hashsig';

  @ApiPropertyOptional({ description: 'rsa: 1024..8192, a multiple of 8 (default 2048)' })
  @IsOptional()
  @IsInt()
  @Min(1024)
  @Max(8192)
  @OnlyForType('rsa')
  bits?: number;

  @ApiPropertyOptional({ enum: ['P-256', 'P-384', 'P-521'], description: 'ec (default P-256)' })
  @IsOptional()
  @IsIn(['P-256', 'P-384', 'P-521'])
  @OnlyForType('ec')
  curve?: 'P-256' | 'P-384' | 'P-521';

  @ApiPropertyOptional({ description: 'hashsig: HSS levels 1..8 (default 1)' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(8)
  @OnlyForType('hashsig')
  levels?: number;

  @ApiPropertyOptional({
    enum: ['H5', 'H10', 'H15', 'H20', 'H25'],
    description: 'hashsig LMS type (default H5)',
  })
  @IsOptional()
  @IsIn(['H5', 'H10', 'H15', 'H20', 'H25'])
  @OnlyForType('hashsig')
  lms?: 'H5' | 'H10' | 'H15' | 'H20' | 'H25';

  @ApiPropertyOptional({ enum: ['W2', 'W4', 'W8'], description: 'hashsig LM-OTS type (default W8)' })
  @IsOptional()
  @IsIn(['W2', 'W4', 'W8'])
  @OnlyForType('hashsig')
  lmots?: 'W2' | 'W4' | 'W8';

  @ApiPropertyOptional({ maxLength: MAX_LABEL })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(MAX_LABEL)
  label?: string;
}

export class RawExportDto extends HsmRefDto {}

/** PATCH /v1/keys/{keyId}: what may change of a key; today its pin (docs/architecture.md §4 "Key paging"). */
export class PatchKeyDto {
  @ApiProperty({
    description: 'true: keep the key resident (paged in now if no HSM holds it, never paged out)',
  })
  @Required('true or false')
  @IsBoolean()
  pinned!: boolean;
}

/** Most keys one prefetch names. */
export const MAX_PREFETCH_KEYS = 256;

export class PrefetchDto {
  @ApiProperty({
    type: [String],
    description: `1 to ${MAX_PREFETCH_KEYS} key ids to page in onto the HSM`,
    minItems: 1,
    maxItems: MAX_PREFETCH_KEYS,
  })
  @Required(`an array of 1 to ${MAX_PREFETCH_KEYS} key ids`)
  @IsArray()
  @ArrayMinSize(1, { message: `$property must hold 1 to ${MAX_PREFETCH_KEYS} key ids` })
  @ArrayMaxSize(MAX_PREFETCH_KEYS, { message: `$property must hold 1 to ${MAX_PREFETCH_KEYS} key ids` })
  @IsString({ each: true })
  @Matches(REF, { each: true, message: '$property must hold key ids' })
  keyIds!: string[];
}

export class PrefetchItemResponse {
  @ApiProperty() keyId!: string;
  @ApiProperty({
    enum: ['resident', 'paged-in', 'resident-elsewhere', 'failed'],
    description:
      'resident: the HSM held it already; paged-in: imported now; resident-elsewhere: a hashsig key live on another HSM (it lives on one only); failed: see problem',
  })
  outcome!: string;
  @ApiPropertyOptional({ description: 'the HSM holding it (name)' }) hsm?: string;
  @ApiPropertyOptional({
    description: 'why it failed (RFC 9457 problem)',
    type: 'object',
    additionalProperties: true,
  })
  problem?: Record<string, unknown>;
}

export class PrefetchResponse {
  @ApiProperty({ type: [PrefetchItemResponse] }) items!: PrefetchItemResponse[];
}

export class RawImportDto extends HsmRefDto {
  @ApiPropertyOptional({ description: 'SHA-256 (hex) of the blob to import; default: the current blob' })
  @IsOptional()
  @IsString()
  @Matches(SHA256, { message: '$property must be 64 lowercase hex characters (SHA-256)' })
  blobSha256?: string;
}

export class TransferDto {
  @ApiProperty({ description: 'source HSM id or name' })
  @Required('the source HSM id or name')
  @IsString()
  @Matches(REF, { message: '$property must be an HSM id or name' })
  from!: string;

  @ApiProperty({ description: 'destination HSM id or name' })
  @Required('the destination HSM id or name')
  @IsString()
  @Matches(REF, { message: '$property must be an HSM id or name' })
  to!: string;
}

export class SignDto {
  @ApiProperty({ description: `data to sign, base64 (at most ${MAX_SIGN_BYTES} bytes)`, format: 'byte' })
  @Required(`the data to sign, standard base64 (RFC 4648, padded) of 1 to ${MAX_SIGN_BYTES} bytes`)
  @IsStrictBase64(MAX_SIGN_BYTES)
  data!: string;

  @ApiPropertyOptional({ description: 'HSM to sign on (default: one that holds the key)' })
  @IsOptional()
  @IsString()
  @Matches(REF, { message: '$property must be an HSM id or name' })
  hsm?: string;
}

/** POST /v1/keys/{keyId}/observed-signatures (docs/api.md "Observed signatures"). */
export class ObservedSignatureDto {
  @ApiProperty({
    description: `an RFC 8554 HSS signature of the key seen outside the ledger, base64 (at most ${MAX_OBSERVED_SIGNATURE_BYTES} bytes)`,
    format: 'byte',
  })
  @Required(`the signature, standard base64 (RFC 4648, padded) of 1 to ${MAX_OBSERVED_SIGNATURE_BYTES} bytes`)
  @IsStrictBase64(MAX_OBSERVED_SIGNATURE_BYTES)
  signature!: string;

  @ApiPropertyOptional({
    description: `the data it signs, base64 (at most ${MAX_SIGN_BYTES} bytes): with it the signature must verify under the key's public key (else 422, nothing recorded); without it the signature is judged on its index path and SHA-256 alone (verified: false)`,
    format: 'byte',
  })
  @IsOptional()
  @IsStrictBase64(MAX_SIGN_BYTES)
  message?: string;
}

export class IndexPathLevelResponse {
  @ApiProperty({ description: 'leaf index at this level' }) q!: number;
  @ApiProperty({ description: "identifier I of this level's LMS tree, 32 hex characters" }) I!: string;
}

export class ObservedSignatureResponse {
  @ApiProperty() keyId!: string;
  @ApiProperty({
    type: [IndexPathLevelResponse],
    description: 'the index path the signature used, top level first',
  })
  indexPath!: IndexPathLevelResponse[];
  @ApiProperty({ description: 'SHA-256 (hex) of the signature bytes' }) signatureSha256!: string;
  @ApiProperty({
    enum: ['released', 'reused', 'withheld', 'unlogged'],
    description:
      'released: keyledger released this very signature; reused: it released another signature at this index path; withheld: the index was used but its signature never released; unlogged: keyledger never recorded this index path. Every outcome but released is an alarm that freezes the key',
  })
  outcome!: string;
  @ApiProperty({ description: 'true for every outcome but released' }) alarm!: boolean;
  @ApiProperty({
    description:
      'true when this request recorded the alarm (HashsigReuseObserved); false for released, for a signature recorded before, and past the bound on alarms of a frozen key',
  })
  recorded!: boolean;
  @ApiProperty({ description: 'true when the signature was verified over the message it came with' })
  verified!: boolean;
  @ApiProperty({ description: 'what the index log says about the signature, for a person' }) detail!: string;
  @ApiProperty({ enum: ['active', 'frozen'], description: "the key's state after the observation" })
  state!: string;
}

export class KeyFrozenResponse {
  @ApiProperty() at!: string;
  @ApiProperty({
    description:
      'repeated, not-increasing, tree-reused, outside-range (the index log, at signing), or observed-reused, observed-withheld, observed-unlogged (an observed signature)',
  })
  rule!: string;
  @ApiProperty({ nullable: true, type: String }) copyId!: string | null;
  @ApiProperty() detail!: string;
}

export class KeyHolderResponse {
  @ApiProperty({ enum: ['hsm', 'blob'] }) kind!: string;
  @ApiProperty() copyId!: string;
  @ApiPropertyOptional() hsmId?: string;
  @ApiPropertyOptional() hsm?: string;
  @ApiPropertyOptional() hsmKeyName?: string;
  @ApiPropertyOptional() blobSha256?: string;
  @ApiProperty() since!: string;
}

export class KeyBlobResponse {
  @ApiProperty() sha256!: string;
  @ApiProperty({ enum: ['current', 'consumed', 'superseded', 'destroyed'] }) status!: string;
  @ApiProperty() copyId!: string;
  @ApiProperty({ enum: ['raw', 'transit'] }) kind!: string;
}

export class HashsigUsageResponse {
  @ApiProperty() signatures!: number;
  @ApiProperty({ nullable: true, type: Number }) lastIndex!: number | null;
  @ApiProperty() remaining!: number;
}

export class KeyResponse {
  @ApiProperty() keyId!: string;
  @ApiProperty({ enum: ['rsa', 'ec', 'hashsig'] }) type!: string;
  @ApiProperty({ enum: ['active', 'frozen', 'destroyed'] }) state!: string;
  @ApiProperty({ nullable: true, type: String }) label!: string | null;
  @ApiProperty({ type: 'object', additionalProperties: true }) params!: Record<string, unknown>;
  @ApiProperty({ description: 'SubjectPublicKeyInfo DER, base64', format: 'byte' }) publicKey!: string;
  @ApiPropertyOptional({ description: 'hashsig: RFC 8554 u32str(L) || pub[0], base64', format: 'byte' })
  publicKeyRfc8554?: string;
  @ApiProperty({ type: [KeyHolderResponse] }) holders!: KeyHolderResponse[];
  @ApiProperty({ type: [KeyBlobResponse] }) blobs!: KeyBlobResponse[];
  @ApiProperty({ nullable: true, type: String }) currentBlob!: string | null;
  @ApiPropertyOptional({ type: HashsigUsageResponse }) hashsig?: HashsigUsageResponse;
  @ApiProperty({ type: 'array', items: { type: 'object' } }) openOperations!: object[];
  @ApiProperty({ type: [String] }) obligations!: string[];
  @ApiProperty({ description: 'kept resident by the pager (PATCH /v1/keys/{keyId} {pinned})' })
  pinned!: boolean;
  @ApiPropertyOptional({
    type: KeyFrozenResponse,
    description:
      'while the key is frozen (state frozen): what froze it, a reuse the index log detected or an observed signature',
  })
  frozen?: KeyFrozenResponse;
}

export class KeyEventResponse {
  @ApiProperty({
    description: 'key-<keyId>, or approval-<id> for the events of an approval request that names the key',
  })
  stream!: string;
  @ApiProperty() type!: string;
  @ApiProperty() revision!: number;
  @ApiProperty() position!: number;
  @ApiProperty({ type: 'object', additionalProperties: true }) data!: unknown;
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description:
      'operatorId (who acted), at, correlationId, causationId; for an approved action also approvalId, requestedBy, approvedBy',
  })
  metadata!: unknown;
}

export class RawExportResponse {
  @ApiProperty() blobSha256!: string;
}

export class RawImportResponse {
  @ApiProperty() hsm!: string;
  @ApiProperty() hsmKeyName!: string;
  @ApiProperty() blobSha256!: string;
}

export class SignResponse {
  @ApiProperty({
    format: 'byte',
    description: 'RSA PKCS#1 v1.5 SHA-256; ECDSA raw r||s over SHA-256; hashsig RFC 8554',
  })
  signature!: string;
  @ApiProperty() hsm!: string;
  @ApiPropertyOptional({ description: 'hashsig: top-level leaf index used' }) q?: number;
}
