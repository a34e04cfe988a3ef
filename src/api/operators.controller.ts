import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Actor } from '../app/actor';
import {
  ChangeOperatorRoleCommand,
  EnrolOperatorCommand,
  GetOperatorQuery,
  ListOperatorsQuery,
  RevokeOperatorCommand,
  RotateOperatorTokenCommand,
} from '../app/operators/operators.commands';
import type { IssuedToken, OperatorView } from '../app/operators/views';
import { CurrentActor } from './auth.guard';
import { ChangeRoleDto, EnrolOperatorDto, IssuedTokenResponse, OperatorResponse } from './dto/operator.dto';
import { CommandProblems, GatedByPolicy, ReadProblems } from './problems.openapi';
import { OperatorIdPipe } from './params';

/** An enrolment or rotation as answered: the operator, and its token this once. */
function issued(result: IssuedToken): OperatorView & { token: string } {
  return { ...result.operator, token: result.token };
}

@ApiTags('operators')
@ApiBearerAuth()
@ReadProblems()
@Controller('v1/operators')
export class OperatorsController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
  ) {}

  @Get()
  @ApiOperation({ summary: 'list operators (active and revoked), oldest first' })
  @ApiOkResponse({ type: [OperatorResponse] })
  list(): Promise<OperatorView[]> {
    return this.queries.execute(new ListOperatorsQuery());
  }

  @Post()
  @CommandProblems({ body: true })
  @GatedByPolicy('enrolling an officer (enrol-officer)')
  @ApiOperation({
    summary: 'enrol an operator; the answer carries its bearer token, shown this once',
    description:
      'Enrolling an officer is the gated action enrol-officer, except while the ledger holds fewer than M + 1 officers (the bootstrap phase).',
  })
  @ApiCreatedResponse({ type: IssuedTokenResponse })
  async enrol(
    @Body() body: EnrolOperatorDto,
    @CurrentActor() actor: Actor,
  ): Promise<OperatorView & { token: string }> {
    return issued(
      await this.commands.execute(new EnrolOperatorCommand({ name: body.name, role: body.role }, actor)),
    );
  }

  @Get('me')
  @ApiOperation({ summary: 'the operator the bearer token belongs to' })
  @ApiOkResponse({ type: OperatorResponse })
  me(@CurrentActor() actor: Actor): Promise<OperatorView> {
    return this.queries.execute(new GetOperatorQuery(actor.operatorId));
  }

  @Post('me/token')
  @CommandProblems({ body: false })
  @HttpCode(200)
  @ApiOperation({
    summary: 'rotate your own token: the answer carries the new one; the old one stops working at once',
  })
  @ApiOkResponse({ type: IssuedTokenResponse })
  async rotateMine(@CurrentActor() actor: Actor): Promise<OperatorView & { token: string }> {
    return issued(await this.commands.execute(new RotateOperatorTokenCommand(actor.operatorId, actor)));
  }

  @Get(':id')
  @ApiOperation({ summary: 'one operator' })
  @ApiOkResponse({ type: OperatorResponse })
  get(@Param('id', OperatorIdPipe) id: string): Promise<OperatorView> {
    return this.queries.execute(new GetOperatorQuery(id));
  }

  @Patch(':id')
  @CommandProblems({ body: true })
  @GatedByPolicy('promoting to officer (enrol-officer)')
  @ApiOperation({ summary: "change an operator's role (promotion to officer is the gated enrol-officer)" })
  @ApiOkResponse({ type: OperatorResponse })
  changeRole(
    @Param('id', OperatorIdPipe) id: string,
    @Body() body: ChangeRoleDto,
    @CurrentActor() actor: Actor,
  ): Promise<OperatorView> {
    return this.commands.execute(new ChangeOperatorRoleCommand(id, body.role, actor));
  }

  @Post(':id/token')
  @CommandProblems({ body: false })
  @HttpCode(200)
  @ApiOperation({
    summary: "rotate an operator's token: the answer carries the new one; the old one stops working at once",
  })
  @ApiOkResponse({ type: IssuedTokenResponse })
  async rotate(
    @Param('id', OperatorIdPipe) id: string,
    @CurrentActor() actor: Actor,
  ): Promise<OperatorView & { token: string }> {
    return issued(await this.commands.execute(new RotateOperatorTokenCommand(id, actor)));
  }

  @Delete(':id')
  @CommandProblems({ body: false })
  @ApiOperation({
    summary: 'revoke an operator: its token stops working at once (the last active officer cannot go)',
  })
  @ApiOkResponse({ type: OperatorResponse })
  revoke(@Param('id', OperatorIdPipe) id: string, @CurrentActor() actor: Actor): Promise<OperatorView> {
    return this.commands.execute(new RevokeOperatorCommand(id, actor));
  }
}
