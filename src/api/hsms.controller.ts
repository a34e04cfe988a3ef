import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  CreateKekDomainCommand,
  JoinKekDomainCommand,
  PrefetchCommand,
  ReconcileHsmCommand,
  RecordZeroizedCommand,
  RegisterHsmCommand,
} from '../app/custody/custody.commands';
import type { PrefetchOutcome } from '../app/paging/pager';
import { PrefetchDto, PrefetchResponse } from './dto/key.dto';
import { toProblem } from './problem';
import {
  GetHsmQuery,
  GetKekDomainQuery,
  HsmResidencyQuery,
  ListHsmsQuery,
  ListKekDomainsQuery,
} from '../app/custody/custody.queries';
import type { HsmView, KekDomainView, ReconcileReport } from '../app/custody/views';
import type { Actor } from '../app/actor';
import { CurrentActor } from './auth.guard';
import {
  HsmRefDto,
  HsmResponse,
  ResidencyResponse,
  KekDomainCreateDto,
  KekDomainResponse,
  ReconcileResponse,
  RegisterHsmDto,
} from './dto/hsm.dto';
import { CommandProblems, GatedByPolicy, ReadProblems } from './problems.openapi';
import { HsmRefPipe } from './params';

@ApiTags('hsms')
@ApiBearerAuth()
@ReadProblems()
@Controller('v1/hsms')
export class HsmsController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
  ) {}

  @Get()
  @ApiOperation({ summary: 'list registered HSMs' })
  @ApiOkResponse({ type: [HsmResponse] })
  list(): Promise<HsmView[]> {
    return this.queries.execute(new ListHsmsQuery());
  }

  @Post()
  @CommandProblems({ body: true })
  @GatedByPolicy('registering an HSM (register-hsm)')
  @ApiOperation({ summary: 'register an HSM; the PIN goes to the local secret store only' })
  @ApiCreatedResponse({ type: HsmResponse })
  async register(@Body() body: RegisterHsmDto, @CurrentActor() actor: Actor): Promise<HsmView> {
    return this.commands.execute(new RegisterHsmCommand(body, actor));
  }

  @Get(':hsm')
  @ApiOperation({ summary: 'one HSM' })
  @ApiOkResponse({ type: HsmResponse })
  get(@Param('hsm', HsmRefPipe) hsm: string): Promise<HsmView> {
    return this.queries.execute(new GetHsmQuery(hsm));
  }

  @Get(':hsm/keys')
  @ApiOperation({
    summary: 'keys resident on the HSM, from the residency read model (live, or disabled awaiting deletion)',
  })
  @ApiOkResponse({ type: ResidencyResponse })
  residency(@Param('hsm', HsmRefPipe) hsm: string): Promise<ResidencyResponse> {
    return this.queries.execute(new HsmResidencyQuery(hsm));
  }

  @Post(':hsm/zeroized')
  @CommandProblems({ body: false })
  @GatedByPolicy('recording a zeroization (record-zeroization)')
  @HttpCode(200)
  @ApiOperation({
    summary: 'record that the HSM was zeroized: it leaves its KEK domain and its keys are gone',
  })
  @ApiOkResponse({ type: HsmResponse })
  zeroized(@Param('hsm', HsmRefPipe) hsm: string, @CurrentActor() actor: Actor): Promise<HsmView> {
    return this.commands.execute(new RecordZeroizedCommand(hsm, actor));
  }

  @Post(':hsm/reconcile')
  @CommandProblems({ body: false })
  @HttpCode(200)
  @ApiOperation({ summary: "compare the HSM's key listing with the ledger; drift is recorded, never fixed" })
  @ApiOkResponse({ type: ReconcileResponse })
  reconcile(@Param('hsm', HsmRefPipe) hsm: string, @CurrentActor() actor: Actor): Promise<ReconcileReport> {
    return this.commands.execute(new ReconcileHsmCommand(hsm, actor));
  }

  @Post(':hsm/prefetch')
  @CommandProblems({ body: true })
  @HttpCode(200)
  @ApiOperation({
    summary:
      'page keys in onto the HSM ahead of their use (making room by the paging policy); one outcome per key, in order',
  })
  @ApiOkResponse({ type: PrefetchResponse })
  async prefetch(
    @Param('hsm', HsmRefPipe) hsm: string,
    @Body() body: PrefetchDto,
    @CurrentActor() actor: Actor,
  ): Promise<{ items: Record<string, unknown>[] }> {
    const outcomes: PrefetchOutcome[] = await this.commands.execute(
      new PrefetchCommand(hsm, body.keyIds, actor),
    );
    return {
      items: outcomes.map((o) =>
        o.outcome === 'failed'
          ? { keyId: o.keyId, outcome: o.outcome, problem: toProblem(o.error, `/v1/hsms/${hsm}/prefetch`) }
          : o,
      ),
    };
  }
}

@ApiTags('kek-domains')
@ApiBearerAuth()
@ReadProblems()
@Controller('v1/kek-domains')
export class KekDomainsController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
  ) {}

  @Get()
  @ApiOperation({ summary: 'list KEK domains with their member HSMs' })
  @ApiOkResponse({ type: [KekDomainResponse] })
  list(): Promise<KekDomainView[]> {
    return this.queries.execute(new ListKekDomainsQuery());
  }

  @Get(':id')
  @ApiOperation({ summary: 'one KEK domain (by id or name)' })
  @ApiOkResponse({ type: KekDomainResponse })
  get(@Param('id', HsmRefPipe) id: string): Promise<KekDomainView> {
    return this.queries.execute(new GetKekDomainQuery(id));
  }

  @Post()
  @CommandProblems({ body: true })
  @ApiOperation({
    summary: 'create a KEK domain founded by an HSM (its canary key is generated and raw-exported)',
  })
  @ApiCreatedResponse({ type: KekDomainResponse })
  create(@Body() body: KekDomainCreateDto, @CurrentActor() actor: Actor): Promise<KekDomainView> {
    return this.commands.execute(new CreateKekDomainCommand({ name: body.name, hsm: body.hsm }, actor));
  }

  @Post(':id/members')
  @CommandProblems({ body: true })
  @HttpCode(200)
  @ApiOperation({ summary: 'join an HSM to the KEK domain, proven by importing the canary blob' })
  @ApiOkResponse({ type: KekDomainResponse })
  join(
    @Param('id', HsmRefPipe) id: string,
    @Body() body: HsmRefDto,
    @CurrentActor() actor: Actor,
  ): Promise<KekDomainView> {
    return this.commands.execute(new JoinKekDomainCommand({ kekDomain: id, hsm: body.hsm }, actor));
  }
}
