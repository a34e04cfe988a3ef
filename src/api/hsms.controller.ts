import { Body, Controller, Get, HttpCode, Inject, Param, Post } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { RegisterHsmCommand } from '../app/custody/custody.commands';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  CUSTODY,
  type CustodyPort,
  type HsmView,
  type KekDomainView,
  type ReconcileReport,
} from '../app/custody/custody.port';
import { residencyProjection, type ResidencyDoc } from '../projections/custody';
import {
  HsmRefDto,
  HsmResponse,
  ResidencyResponse,
  KekDomainCreateDto,
  KekDomainResponse,
  ReconcileResponse,
  RegisterHsmDto,
} from './dto/hsm.dto';
import { HsmRefPipe } from './params';
import { ReadSide } from './read-side';

@ApiTags('hsms')
@ApiBearerAuth()
@Controller('v1/hsms')
export class HsmsController {
  constructor(
    @Inject(CUSTODY) private readonly custody: CustodyPort,
    private readonly reads: ReadSide,
    private readonly commands: CommandBus,
  ) {}

  @Get()
  @ApiOperation({ summary: 'list registered HSMs' })
  @ApiOkResponse({ type: [HsmResponse] })
  list(): Promise<HsmView[]> {
    return this.custody.listHsms();
  }

  @Post()
  @ApiOperation({ summary: 'register an HSM; the PIN goes to the local secret store only' })
  @ApiCreatedResponse({ type: HsmResponse })
  async register(@Body() body: RegisterHsmDto): Promise<HsmView> {
    return this.commands.execute(new RegisterHsmCommand(body));
  }

  @Get(':hsm')
  @ApiOperation({ summary: 'one HSM' })
  @ApiOkResponse({ type: HsmResponse })
  get(@Param('hsm', HsmRefPipe) hsm: string): Promise<HsmView> {
    return this.custody.getHsm(hsm);
  }

  @Get(':hsm/keys')
  @ApiOperation({
    summary: 'keys resident on the HSM, from the residency read model (live, or disabled awaiting deletion)',
  })
  @ApiOkResponse({ type: ResidencyResponse })
  async residency(@Param('hsm', HsmRefPipe) hsm: string): Promise<ResidencyResponse> {
    const { hsmId, name } = await this.custody.getHsm(hsm);
    const doc = await this.reads.query(
      () => this.reads.get(residencyProjection.name, hsmId) as ResidencyDoc | undefined,
    );
    return { hsmId, hsm: name, count: doc?.count ?? 0, keys: doc?.keys ?? {} };
  }

  @Post(':hsm/zeroized')
  @HttpCode(200)
  @ApiOperation({
    summary: 'record that the HSM was zeroized: it leaves its KEK domain and its keys are gone',
  })
  @ApiOkResponse({ type: HsmResponse })
  zeroized(@Param('hsm', HsmRefPipe) hsm: string): Promise<HsmView> {
    return this.custody.recordZeroized(hsm);
  }

  @Post(':hsm/reconcile')
  @HttpCode(200)
  @ApiOperation({ summary: "compare the HSM's key listing with the ledger; drift is recorded, never fixed" })
  @ApiOkResponse({ type: ReconcileResponse })
  reconcile(@Param('hsm', HsmRefPipe) hsm: string): Promise<ReconcileReport> {
    return this.custody.reconcile(hsm);
  }
}

@ApiTags('kek-domains')
@ApiBearerAuth()
@Controller('v1/kek-domains')
export class KekDomainsController {
  constructor(@Inject(CUSTODY) private readonly custody: CustodyPort) {}

  @Post()
  @ApiOperation({
    summary: 'create a KEK domain founded by an HSM (its canary key is generated and raw-exported)',
  })
  @ApiCreatedResponse({ type: KekDomainResponse })
  create(@Body() body: KekDomainCreateDto): Promise<KekDomainView> {
    return this.custody.createKekDomain({ name: body.name, hsm: body.hsm });
  }

  @Post(':id/members')
  @HttpCode(200)
  @ApiOperation({ summary: 'join an HSM to the KEK domain, proven by importing the canary blob' })
  @ApiOkResponse({ type: KekDomainResponse })
  join(@Param('id', HsmRefPipe) id: string, @Body() body: HsmRefDto): Promise<KekDomainView> {
    return this.custody.joinKekDomain({ kekDomain: id, hsm: body.hsm });
  }
}
