/**
 * `POST /v1/sign`: a batch of signatures in one request (issue 11 item 6). The envelope is checked
 * by the validation pipe as every body is (a 400 for the whole request); each item is checked on
 * its own against `SignBatchItemDto` (a 400 problem in its slot), so one bad item costs only itself.
 */
import { ApiProperty, ApiPropertyOptional, PickType, getSchemaPath } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsOptional, IsString, Matches } from 'class-validator';
import { ProblemResponse } from '../problems.openapi';
import { Required } from '../validation';
import { SignDto, SignResponse } from './key.dto';
import { MAX_SIGN_BATCH, MAX_SIGN_BYTES, REF } from './limits';

/** One item: `data` exactly as the single sign takes it (strict base64, at most MAX_SIGN_BYTES). */
export class SignBatchItemDto extends PickType(SignDto, ['data'] as const) {
  @ApiProperty({ description: 'id of the key to sign with' })
  @Required('a key id (letters, digits, . _ : -, at most 128)')
  @IsString()
  @Matches(REF, { message: '$property must be a key id (letters, digits, . _ : -, at most 128)' })
  keyId!: string;
}

export class SignBatchDto {
  @ApiProperty({
    type: [SignBatchItemDto],
    minItems: 1,
    maxItems: MAX_SIGN_BATCH,
    description: `1 to ${MAX_SIGN_BATCH} items, answered in order. An item that is not an object {keyId, data}, has a bad keyId, data that is not strict base64 or over ${MAX_SIGN_BYTES} bytes, or another field, is a 400 problem in its slot; the others are signed`,
  })
  @Required(`an array of 1 to ${MAX_SIGN_BATCH} {keyId, data}`)
  @IsArray()
  @ArrayMinSize(1, { message: `$property must hold 1 to ${MAX_SIGN_BATCH} items` })
  @ArrayMaxSize(MAX_SIGN_BATCH, { message: `$property must hold 1 to ${MAX_SIGN_BATCH} items` })
  // Each item is validated on its own by the controller: a bad item fails its slot, not the batch.
  items!: unknown[];

  @ApiPropertyOptional({
    description: 'HSM to sign every item on (default: for each key, one that holds it)',
  })
  @IsOptional()
  @IsString()
  @Matches(REF, { message: '$property must be an HSM id or name' })
  hsm?: string;
}

export class SignBatchSigned extends SignResponse {
  @ApiProperty({ description: "the item's keyId" }) keyId!: string;
}

export class SignBatchFailed extends ProblemResponse {
  @ApiProperty({
    nullable: true,
    type: String,
    description: "the item's keyId; null when the item had none that is a key id",
  })
  keyId!: string | null;
}

export class SignBatchResponse {
  @ApiProperty({
    type: 'array',
    description:
      'one entry per item, in the order of the request: a signature (`signature`, `hsm`, `q` for hashsig) or a problem (`type`, `title`, `status`, `detail`, `instance`) with the status a single sign would have answered',
    items: { oneOf: [{ $ref: getSchemaPath(SignBatchSigned) }, { $ref: getSchemaPath(SignBatchFailed) }] },
  })
  items!: (SignBatchSigned | SignBatchFailed)[];
  @ApiProperty({ description: 'items signed' }) signed!: number;
  @ApiProperty({ description: 'items answered with a problem' }) failed!: number;
}
