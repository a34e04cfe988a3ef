import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsObject, IsOptional, IsString, Matches, MaxLength, MinLength } from 'class-validator';
import { approval, operator } from '../../domain';
import { Required } from '../validation';
import { MAX_NAME } from './limits';

/** One line of text, no surrounding spaces: operator names appear in tables and reports. */
const NAME = /^(?! )[^\u0000-\u001f\u007f-\u009f\u2028\u2029]*(?<! )$/;

export class EnrolOperatorDto {
  @ApiProperty({ example: 'alice', description: 'unique among active operators; one line' })
  @Required(`a name of 1 to ${MAX_NAME} characters on one line`)
  @IsString()
  @MinLength(1)
  @MaxLength(MAX_NAME)
  @Matches(NAME, { message: '$property must be one line without control characters or surrounding spaces' })
  name!: string;

  @ApiProperty({ enum: operator.ROLES })
  @Required(`one of ${operator.ROLES.join(', ')}`)
  @IsIn(operator.ROLES)
  role!: operator.Role;
}

export class ChangeRoleDto {
  @ApiProperty({ enum: operator.ROLES })
  @Required(`one of ${operator.ROLES.join(', ')}`)
  @IsIn(operator.ROLES)
  role!: operator.Role;
}

export class RejectDto {
  @ApiProperty({ example: 'not during the freeze', description: 'why, for the record' })
  @Required('the reason, 1 to 1024 characters')
  @IsString()
  @MinLength(1)
  @MaxLength(1024)
  reason!: string;
}

/** The policy file's form (see docs/api.md); checked in full by the policy schema. */
export class PolicyDto {
  @ApiProperty({ example: 1, enum: [1] })
  @Required('the policy format version, 1')
  @IsIn([1], { message: '$property must be 1' })
  version!: number;

  @ApiPropertyOptional({ example: '24h', description: '<n>s, <n>m, <n>h or <n>d; default 24h' })
  @IsOptional()
  @IsString()
  expiresAfter?: string;

  @ApiProperty({
    description: `officer approvals per action (0 or absent: none); actions: ${approval.GATED_ACTIONS.join(', ')}`,
    example: { 'destroy-key': 2, 'register-hsm': 2 },
    type: 'object',
    additionalProperties: { type: 'integer', minimum: 0, maximum: approval.MAX_APPROVALS },
  })
  @Required('an object of action to officer approvals')
  @IsObject()
  approvals!: Record<string, number>;
}

export class OperatorResponse {
  @ApiProperty() operatorId!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ enum: operator.ROLES }) role!: string;
  @ApiProperty({ enum: ['active', 'revoked'] }) status!: string;
  @ApiProperty() enrolledAt!: string;
  @ApiProperty({ nullable: true, type: String, description: 'operator id of who enrolled it' })
  enrolledBy!: string | null;
  @ApiProperty({ enum: ['first-officer', 'bootstrap-phase', 'approval', 'not-gated'] }) basis!: string;
  @ApiProperty({ nullable: true, type: String }) tokenIssuedAt!: string | null;
  @ApiProperty({ nullable: true, type: String }) revokedAt!: string | null;
}

export class IssuedTokenResponse extends OperatorResponse {
  @ApiProperty({ description: 'the bearer token, shown this once; the ledger keeps only its SHA-256' })
  token!: string;
}

export class ApprovalResponse {
  @ApiProperty() approvalId!: string;
  @ApiProperty({ enum: ['pending', 'approved', 'rejected', 'executed', 'failed', 'expired'] })
  status!: string;
  @ApiProperty({ enum: approval.GATED_ACTIONS }) action!: string;
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'what will run, fixed at request' })
  params!: Record<string, unknown>;
  @ApiProperty({ description: 'operator id' }) requestedBy!: string;
  @ApiProperty() requestedAt!: string;
  @ApiProperty({ description: 'distinct officer approvals needed' }) required!: number;
  @ApiProperty({
    type: 'array',
    items: { type: 'object', properties: { by: { type: 'string' }, at: { type: 'string' } } },
  })
  approvals!: { by: string; at: string }[];
  @ApiProperty() expiresAt!: string;
  @ApiProperty({
    nullable: true,
    type: 'object',
    properties: { by: { type: 'string' }, at: { type: 'string' }, reason: { type: 'string' } },
  })
  rejection!: { by: string; at: string; reason: string } | null;
  @ApiProperty({
    nullable: true,
    type: 'object',
    description: 'set once the approved action ran: executed with its result, or failed with the reason',
    properties: {
      status: { type: 'string', enum: ['executed', 'failed'] },
      by: { type: 'string' },
      at: { type: 'string' },
      result: { type: 'object', additionalProperties: true },
      reason: { type: 'string' },
    },
  })
  outcome!: Record<string, unknown> | null;
}

export class ApprovalDecisionResponse extends ApprovalResponse {
  @ApiPropertyOptional({
    description: "an enrolment this approval ran: the new operator's token, shown this once",
  })
  token?: string;
}

export class PolicyResponse {
  @ApiProperty({ description: 'the policy in force, in the file form' }) policy!: PolicyDto;
  @ApiProperty({ type: [String], description: 'the same, for a person' }) summary!: string[];
  @ApiProperty({ nullable: true, type: String }) adoptedAt!: string | null;
  @ApiProperty({ description: 'changes since the first policy' }) changes!: number;
  @ApiProperty({ nullable: true, type: Number, description: 'ledger position of its adoption' })
  position!: number | null;
}
