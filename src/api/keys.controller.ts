import { Body, Controller, Delete, Get, Header, HttpCode, Param, Patch, Post } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  DeleteFromHsmCommand,
  DestroyKeyCommand,
  GenerateKeyCommand,
  ObserveSignatureCommand,
  RawExportCommand,
  RawImportCommand,
  SetPinnedCommand,
  SignCommand,
  TransferKeyCommand,
} from '../app/custody/custody.commands';
import {
  GetKeyQuery,
  KeyEventsQuery,
  ListKeysQuery,
  type KeyEventView,
} from '../app/custody/custody.queries';
import type { Actor } from '../app/actor';
import { CurrentActor } from './auth.guard';
import { decodeBase64Strict } from './base64';
import { HsmRefDto } from './dto/hsm.dto';
import {
  GenerateKeyDto,
  KeyEventResponse,
  KeyResponse,
  ObservedSignatureDto,
  ObservedSignatureResponse,
  PatchKeyDto,
  RawExportDto,
  RawExportResponse,
  RawImportDto,
  RawImportResponse,
  SignDto,
  SignResponse,
  TransferDto,
} from './dto/key.dto';
import { ApiProblems, CommandProblems, GatedByPolicy, ReadProblems } from './problems.openapi';
import { HsmRefPipe, KeyIdPipe } from './params';
import { keyJson, keyListJson, observedSignatureJson, signJson } from './views';

type Json = Record<string, unknown>;

@ApiTags('keys')
@ApiBearerAuth()
@ReadProblems()
@Controller('v1/keys')
export class KeysController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
  ) {}

  @Post()
  @CommandProblems({ body: true })
  @ApiOperation({ summary: 'generate a key on an HSM' })
  @ApiCreatedResponse({ type: KeyResponse })
  async generate(@Body() body: GenerateKeyDto, @CurrentActor() actor: Actor): Promise<Json> {
    return keyJson(await this.commands.execute(new GenerateKeyCommand(body, actor)));
  }

  @Get()
  @Header('Content-Type', 'application/json; charset=utf-8')
  @ApiOperation({ summary: 'list keys, in the order the ledger first recorded them' })
  @ApiOkResponse({ type: [KeyResponse] })
  async list(): Promise<string> {
    return keyListJson(await this.queries.execute(new ListKeysQuery()));
  }

  @Get(':keyId')
  @ApiOperation({ summary: 'custody state of one key: holders, blobs, current blob, hashsig usage' })
  @ApiOkResponse({ type: KeyResponse })
  async get(@Param('keyId', KeyIdPipe) keyId: string): Promise<Json> {
    return keyJson(await this.queries.execute(new GetKeyQuery(keyId)));
  }

  @Get(':keyId/events')
  @ApiOperation({ summary: "the key's ledger stream, oldest first" })
  @ApiOkResponse({ type: [KeyEventResponse] })
  events(@Param('keyId', KeyIdPipe) keyId: string): Promise<KeyEventView[]> {
    return this.queries.execute(new KeyEventsQuery(keyId));
  }

  @Post(':keyId/raw-export')
  @CommandProblems({ body: true })
  @HttpCode(200)
  @ApiOperation({ summary: "raw-export the key from an HSM (wrapped under the KEK domain's master KEK)" })
  @ApiOkResponse({ type: RawExportResponse })
  rawExport(
    @Param('keyId', KeyIdPipe) keyId: string,
    @Body() body: RawExportDto,
    @CurrentActor() actor: Actor,
  ): Promise<{ blobSha256: string }> {
    return this.commands.execute(new RawExportCommand(keyId, { hsm: body.hsm }, actor));
  }

  @Post(':keyId/raw-import')
  @CommandProblems({ body: true })
  @HttpCode(200)
  @ApiOperation({ summary: 'raw-import a blob of the key (default: its current blob) onto an HSM' })
  @ApiOkResponse({ type: RawImportResponse })
  rawImport(
    @Param('keyId', KeyIdPipe) keyId: string,
    @Body() body: RawImportDto,
    @CurrentActor() actor: Actor,
  ): Promise<RawImportResponse> {
    return this.commands.execute(
      new RawImportCommand(keyId, { hsm: body.hsm, blobSha256: body.blobSha256 }, actor),
    );
  }

  @Post(':keyId/transfer')
  @CommandProblems({ body: true })
  @GatedByPolicy("a transfer to an HSM outside the source HSM's KEK domain (transfer-key-cross-domain)")
  @HttpCode(200)
  @ApiOperation({ summary: 'transfer the key HSM to HSM under a KEKEK generated on the destination' })
  @ApiOkResponse({ type: KeyResponse })
  async transfer(
    @Param('keyId', KeyIdPipe) keyId: string,
    @Body() body: TransferDto,
    @CurrentActor() actor: Actor,
  ): Promise<Json> {
    return keyJson(
      await this.commands.execute(new TransferKeyCommand(keyId, { from: body.from, to: body.to }, actor)),
    );
  }

  @Post(':keyId/sign')
  @CommandProblems({ body: true })
  @HttpCode(200)
  @ApiOperation({ summary: 'sign data (RSA PKCS#1 v1.5 SHA-256, ECDSA r||s over SHA-256, hashsig RFC 8554)' })
  @ApiOkResponse({ type: SignResponse })
  async sign(
    @Param('keyId', KeyIdPipe) keyId: string,
    @Body() body: SignDto,
    @CurrentActor() actor: Actor,
  ): Promise<Json> {
    // The DTO has validated the base64 strictly; decoding cannot fail here.
    const data = decodeBase64Strict(body.data)!;
    return signJson(await this.commands.execute(new SignCommand(keyId, { data, hsm: body.hsm }, actor)));
  }

  @Post(':keyId/observed-signatures')
  // No HSM is called: no 502. 409: not a hashsig key, or destroyed; 422: not a signature of the key.
  @ApiProblems(409, 413, 415, 422)
  @HttpCode(200)
  @ApiOperation({
    summary:
      'report a hashsig signature of the key seen in the wild: judged against the index log; an alarm (reused, withheld, unlogged) is recorded and freezes the key',
    description:
      "Answers 200 for every outcome: `released` (keyledger released this very signature; nothing recorded) or an alarm. An alarm is recorded once per signature as HashsigReuseObserved, the key is frozen (GET shows state frozen and `frozen`), and signing is refused until an officer acts. With `message` the signature must verify under the key's public key, else 422 and nothing is recorded; without it, it is judged on its index path and SHA-256 alone (`verified: false`). 409 not-hashsig for an RSA or EC key, 409 key-destroyed for a destroyed key; 422 observed-signature-rejected for bytes that are no HSS signature of the key's parameters or whose lower-level public keys the key did not sign.",
  })
  @ApiOkResponse({ type: ObservedSignatureResponse })
  async observeSignature(
    @Param('keyId', KeyIdPipe) keyId: string,
    @Body() body: ObservedSignatureDto,
    @CurrentActor() actor: Actor,
  ): Promise<Json> {
    // The DTO has validated the base64 strictly; decoding cannot fail here.
    const signature = decodeBase64Strict(body.signature)!;
    const message = body.message === undefined ? undefined : decodeBase64Strict(body.message)!;
    return observedSignatureJson(
      await this.commands.execute(
        new ObserveSignatureCommand(
          keyId,
          { signature, ...(message === undefined ? {} : { message }) },
          actor,
        ),
      ),
    );
  }

  @Patch(':keyId')
  @CommandProblems({ body: true })
  @ApiOperation({
    summary:
      'pin or unpin the key: a pinned key is kept resident (paged in now if no HSM holds it) and never paged out',
  })
  @ApiOkResponse({ type: KeyResponse })
  async patch(
    @Param('keyId', KeyIdPipe) keyId: string,
    @Body() body: PatchKeyDto,
    @CurrentActor() actor: Actor,
  ): Promise<Json> {
    return keyJson(await this.commands.execute(new SetPinnedCommand(keyId, body.pinned, actor)));
  }

  @Delete(':keyId')
  @CommandProblems({ body: false })
  @GatedByPolicy('destroying a key (destroy-key)')
  @ApiOperation({ summary: 'destroy the key: every blob is marked destroyed and no longer served' })
  @ApiOkResponse({ type: KeyResponse })
  async destroy(@Param('keyId', KeyIdPipe) keyId: string, @CurrentActor() actor: Actor): Promise<Json> {
    return keyJson(await this.commands.execute(new DestroyKeyCommand(keyId, actor)));
  }

  @Delete(':keyId/residency/:hsm')
  @CommandProblems({ body: false })
  @ApiOperation({ summary: 'delete the key from one HSM (its blob or another HSM must hold it)' })
  @ApiOkResponse({ type: KeyResponse })
  async deleteFromHsm(
    @Param('keyId', KeyIdPipe) keyId: string,
    @Param('hsm', HsmRefPipe) hsm: string,
    @CurrentActor() actor: Actor,
  ): Promise<Json> {
    const ref: HsmRefDto = { hsm };
    return keyJson(await this.commands.execute(new DeleteFromHsmCommand(keyId, ref, actor)));
  }
}
