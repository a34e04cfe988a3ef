import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min, MinLength } from 'class-validator';
import { Required } from '../validation';
import { MAX_ENDPOINT, MAX_PIN, REF } from './limits';

export class RegisterHsmDto {
  @ApiProperty({ example: 'hsm-c', description: 'unique name; letters, digits, . _ : -' })
  @Required('a unique name of 1 to 128 letters, digits, ".", "_", ":" or "-"')
  @IsString()
  @Matches(REF, {
    message:
      '$property must be 1 to 128 letters, digits, ".", "_", ":" or "-", starting with a letter or digit',
  })
  name!: string;

  @ApiProperty({
    example: 'unix:/var/run/cryptech_muxd.rpc',
    description: '"unix:/path" or "tcp://host:port"',
  })
  @Required('"unix:/path" or "tcp://host:port"')
  @IsString()
  @MaxLength(MAX_ENDPOINT)
  @Matches(/^(unix:\/.+|tcp:\/\/[^\s/]+:\d{1,5})$/, {
    message: '$property must be "unix:/path" or "tcp://host:port"',
  })
  endpoint!: string;

  @ApiProperty({
    description: 'user PIN; kept in the local secret store, never returned or logged',
    writeOnly: true,
  })
  @Required(`the HSM's user PIN, 4 to ${MAX_PIN} characters`)
  @IsString()
  @MinLength(4)
  @MaxLength(MAX_PIN)
  pin!: string;

  @ApiPropertyOptional({
    description: 'keys the HSM holds at most (default: what the service assumes)',
    minimum: 1,
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  capacity?: number;
}

export class HsmRefDto {
  @ApiProperty({ example: 'hsm-a', description: 'HSM id or name' })
  @Required('an HSM id or name')
  @IsString()
  @Matches(REF, { message: '$property must be an HSM id or name' })
  hsm!: string;
}

export class HsmResponse {
  @ApiProperty() hsmId!: string;
  @ApiProperty() name!: string;
  @ApiProperty() endpoint!: string;
  @ApiProperty({ nullable: true, type: String }) kekDomainId!: string | null;
  @ApiProperty() capacity!: number;
  @ApiProperty({ enum: ['active', 'tampered', 'zeroized', 'decommissioned'] }) status!: string;
  @ApiProperty() residentKeys!: number;
  @ApiProperty() registeredAt!: string;
}

export class KekDomainCreateDto extends HsmRefDto {
  @ApiProperty({ example: 'demo' })
  @Required('a name of 1 to 128 letters, digits, ".", "_", ":" or "-"')
  @IsString()
  @Matches(REF, { message: '$property must be 1 to 128 letters, digits, ".", "_", ":" or "-"' })
  name!: string;
}

export class KekDomainResponse {
  @ApiProperty() kekDomainId!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ type: [String] }) members!: string[];
  @ApiProperty() canaryKeyId!: string;
  @ApiProperty() canaryBlobSha256!: string;
}

export class ReconcileResponse {
  @ApiProperty() hsm!: string;
  @ApiProperty({ type: [String] }) expected!: string[];
  @ApiProperty({ type: [String] }) observed!: string[];
  @ApiProperty({ type: 'array', items: { type: 'object' } }) drift!: object[];
}

export class ResidencyResponse {
  @ApiProperty() hsmId!: string;
  @ApiProperty() hsm!: string;
  @ApiProperty({ description: 'keys taking a slot (live and disabled)' }) count!: number;
  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'object' },
    description: 'keyId → {hsmKeyName, copyId, status: live|disabled, since}',
  })
  keys!: Record<string, { hsmKeyName: string; copyId: string; status: string; since: string }>;
}
