import { Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import {
  AuditKeyQuery,
  ConsistencyProofQuery,
  InclusionProofQuery,
  LatestCheckpointQuery,
  VerifyLedgerCommand,
  VerifyLedgerQuery,
  type AuditKeyView,
  type ConsistencyProofView,
  type InclusionProofView,
  type VerificationView,
} from '../app/audit/audit.queries';
import type { CheckpointView } from '../app/audit/checkpointer';
import {
  AuditKeyResponse,
  CheckpointResponse,
  ConsistencyProofResponse,
  InclusionProofResponse,
  VerificationResponse,
} from './dto/audit.dto';
import { ValidationFailed } from './problem';
import type { Actor } from '../app/actor';
import { CurrentActor } from './auth.guard';
import { ApiProblems, CommandProblems, ReadProblems } from './problems.openapi';

/** A positive integer query parameter; absent is undefined unless required. */
function positive(field: string, value: string | undefined, required: boolean): number | undefined {
  if (value === undefined && !required) return undefined;
  if (value === undefined || !/^[1-9]\d{0,14}$/.test(value)) {
    const message = `${field} must be a positive integer`;
    throw new ValidationFailed(`the query is invalid: ${message}`, [{ field, messages: [message] }]);
  }
  return Number(value);
}

@ApiTags('audit')
@ApiBearerAuth()
@ReadProblems()
@Controller('v1/audit')
export class AuditController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
  ) {}

  @Get('checkpoint')
  @ApiOperation({ summary: 'the latest checkpoint: a C2SP tlog-checkpoint signed note by the audit key' })
  @ApiOkResponse({ type: CheckpointResponse })
  checkpoint(): Promise<CheckpointView> {
    return this.queries.execute(new LatestCheckpointQuery());
  }

  @Get('key')
  @ApiOperation({ summary: 'the audit public key: C2SP note verifier key, SPKI (DER base64) and PEM' })
  @ApiOkResponse({ type: AuditKeyResponse })
  key(): Promise<AuditKeyView> {
    return this.queries.execute(new AuditKeyQuery());
  }

  @Get('proof/inclusion')
  @ApiProblems(422)
  @ApiOperation({
    summary: 'RFC 6962 inclusion proof of the event at a ledger position in the tree of treeSize events',
  })
  @ApiQuery({ name: 'position', required: true, type: Number })
  @ApiQuery({ name: 'treeSize', required: false, type: Number, description: 'default: every event so far' })
  @ApiOkResponse({ type: InclusionProofResponse })
  inclusion(
    @Query('position') position?: string,
    @Query('treeSize') treeSize?: string,
  ): Promise<InclusionProofView> {
    return this.queries.execute(
      new InclusionProofQuery(positive('position', position, true)!, positive('treeSize', treeSize, false)),
    );
  }

  @Get('proof/consistency')
  @ApiProblems(422)
  @ApiOperation({ summary: 'RFC 6962 consistency proof between the trees of `from` and `to` events' })
  @ApiQuery({ name: 'from', required: true, type: Number })
  @ApiQuery({ name: 'to', required: false, type: Number, description: 'default: every event so far' })
  @ApiOkResponse({ type: ConsistencyProofResponse })
  consistency(@Query('from') from?: string, @Query('to') to?: string): Promise<ConsistencyProofView> {
    return this.queries.execute(
      new ConsistencyProofQuery(positive('from', from, true)!, positive('to', to, false)),
    );
  }

  @Get('verify')
  @ApiOperation({
    summary: 'verify the whole ledger: every hash chain, the tree against every checkpoint and its signature',
    description:
      'Slow on a large ledger (it reads every event). `ok` is false with `findings` naming each bad event by stream and position.',
  })
  @ApiOkResponse({ type: VerificationResponse })
  verify(): Promise<VerificationView> {
    return this.queries.execute(new VerifyLedgerQuery());
  }

  @Post('verify')
  @HttpCode(200)
  @CommandProblems({ body: false })
  @ApiOperation({
    summary:
      'verify the whole ledger as GET does, and record the result in the ledger (the integrity report shows it)',
  })
  @ApiOkResponse({ type: VerificationResponse })
  verifyAndRecord(@CurrentActor() actor: Actor): Promise<VerificationView> {
    return this.commands.execute(new VerifyLedgerCommand(actor));
  }
}
