import { Body, Controller, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { Actor } from '../app/actor';
import { isApprovalFilter, type ApprovalDecision, type ApprovalView } from '../app/approvals/approvals';
import {
  ApproveCommand,
  GetApprovalQuery,
  ListApprovalsQuery,
  RejectCommand,
} from '../app/approvals/approvals.commands';
import { ChangePolicyCommand, GetPolicyQuery } from '../app/approvals/policy.commands';
import { describePolicy, policyFromJson, policyToDocument } from '../app/approvals/policy-file';
import type { PolicyView } from '../app/approvals/policy';
import { CurrentActor } from './auth.guard';
import {
  ApprovalDecisionResponse,
  ApprovalResponse,
  PolicyDto,
  PolicyResponse,
  RejectDto,
} from './dto/operator.dto';
import { CommandProblems, GatedByPolicy, ReadProblems } from './problems.openapi';
import { OperatorIdPipe } from './params';
import { ValidationFailed } from './problem';

const STATUSES = ['pending', 'approved', 'rejected', 'executed', 'failed', 'expired'];

@ApiTags('approvals')
@ApiBearerAuth()
@ReadProblems()
@Controller('v1/approvals')
export class ApprovalsController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
  ) {}

  @Get()
  @ApiOperation({ summary: 'approval requests, oldest first' })
  @ApiQuery({ name: 'status', required: false, enum: STATUSES })
  @ApiOkResponse({ type: [ApprovalResponse] })
  list(@Query('status') status?: string): Promise<ApprovalView[]> {
    if (status !== undefined && !isApprovalFilter(status)) {
      const message = `status must be one of ${STATUSES.join(', ')}`;
      throw new ValidationFailed(`the query is invalid: ${message}`, [
        { field: 'status', messages: [message] },
      ]);
    }
    return this.queries.execute(new ListApprovalsQuery(status));
  }

  @Get(':id')
  @ApiOperation({ summary: 'one approval request' })
  @ApiOkResponse({ type: ApprovalResponse })
  get(@Param('id', OperatorIdPipe) id: string): Promise<ApprovalView> {
    return this.queries.execute(new GetApprovalQuery(id));
  }

  @Post(':id/approve')
  @CommandProblems({ body: false })
  @HttpCode(200)
  @ApiOperation({
    summary:
      'approve a request (officers other than the requester, each once); the approval that reaches the quorum runs the action',
  })
  @ApiOkResponse({ type: ApprovalDecisionResponse })
  async approve(
    @Param('id', OperatorIdPipe) id: string,
    @CurrentActor() actor: Actor,
  ): Promise<ApprovalView & { token?: string }> {
    const decision: ApprovalDecision = await this.commands.execute(new ApproveCommand(id, actor));
    return decision.token === undefined ? decision.approval : { ...decision.approval, token: decision.token };
  }

  @Post(':id/reject')
  @CommandProblems({ body: true })
  @HttpCode(200)
  @ApiOperation({ summary: 'reject a pending request: final, it never runs' })
  @ApiOkResponse({ type: ApprovalResponse })
  reject(
    @Param('id', OperatorIdPipe) id: string,
    @Body() body: RejectDto,
    @CurrentActor() actor: Actor,
  ): Promise<ApprovalView> {
    return this.commands.execute(new RejectCommand(id, body.reason, actor));
  }
}

function policyJson(view: PolicyView): Record<string, unknown> {
  return {
    policy: policyToDocument(view.policy),
    summary: describePolicy(view.policy),
    adoptedAt: view.adoptedAt,
    changes: view.changes,
    position: view.position,
  };
}

@ApiTags('approvals')
@ApiBearerAuth()
@ReadProblems()
@Controller('v1/policy')
export class PolicyController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
  ) {}

  @Get()
  @ApiOperation({ summary: 'the approval policy in force' })
  @ApiOkResponse({ type: PolicyResponse })
  async get(): Promise<Record<string, unknown>> {
    return policyJson(await this.queries.execute(new GetPolicyQuery()));
  }

  @Put()
  @CommandProblems({ body: true })
  @GatedByPolicy('changing the policy (change-policy)')
  @ApiOperation({
    summary: 'replace the approval policy (the gated change-policy); the body is the policy file as JSON',
  })
  @ApiOkResponse({ type: PolicyResponse })
  async set(@Body() body: PolicyDto, @CurrentActor() actor: Actor): Promise<Record<string, unknown>> {
    const policy = policyFromJson(body);
    return policyJson(await this.commands.execute(new ChangePolicyCommand(policy, actor)));
  }
}
