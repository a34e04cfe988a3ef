import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsString, Matches } from 'class-validator';
import { IsStrictBase64 } from '../base64';
import { Required } from '../validation';
import { MAX_BLOB_BYTES, REF } from './limits';

export class PresentBlobDto {
  @ApiProperty({ description: 'the key the blob belongs to' })
  @Required('the id of the key the blob belongs to')
  @IsString()
  @Matches(REF, { message: '$property must be a key id' })
  keyId!: string;

  @ApiProperty({ description: `the raw blob, base64 (at most ${MAX_BLOB_BYTES} bytes)`, format: 'byte' })
  @Required(`the raw blob, standard base64 (RFC 4648, padded) of 1 to ${MAX_BLOB_BYTES} bytes`)
  @IsStrictBase64(MAX_BLOB_BYTES)
  blob!: string;
}

export class BlobResponse {
  @ApiProperty() sha256!: string;
  @ApiProperty() keyId!: string;
  @ApiProperty({ enum: ['current', 'consumed', 'superseded', 'destroyed'] }) status!: string;
  @ApiProperty({ format: 'byte' }) blob!: string;
}

export class PresentBlobResponse {
  @ApiProperty() sha256!: string;
  @ApiProperty() keyId!: string;
  @ApiProperty() accepted!: boolean;
  @ApiPropertyOptional() reason?: string;
  @ApiPropertyOptional({ nullable: true, type: String }) currentBlob?: string | null;
  @ApiPropertyOptional({ nullable: true, type: String }) currentHolder?: string | null;
}
