import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { PresentBlobCommand } from '../app/custody/custody.commands';
import { GetBlobQuery } from '../app/custody/custody.queries';
import type { PresentBlobResult } from '../app/custody/views';
import type { Actor } from '../app/actor';
import { CurrentActor } from './auth.guard';
import { decodeBase64Strict } from './base64';
import { BlobResponse, PresentBlobDto, PresentBlobResponse } from './dto/blob.dto';
import { CommandProblems, ReadProblems } from './problems.openapi';
import { Sha256Pipe } from './params';
import { ProblemException } from './problem';
import { blobJson } from './views';

@ApiTags('blobs')
@ApiBearerAuth()
@ReadProblems()
@Controller('v1/blobs')
export class BlobsController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
  ) {}

  @Get(':sha256')
  @ApiOperation({ summary: 'a stored blob with its status' })
  @ApiOkResponse({ type: BlobResponse })
  async get(@Param('sha256', Sha256Pipe) sha256: string): Promise<Record<string, unknown>> {
    return blobJson(await this.queries.execute(new GetBlobQuery(sha256)));
  }

  @Post()
  @CommandProblems({ body: true })
  @HttpCode(200)
  @ApiOperation({
    summary: 'hand in a blob from outside (an old backup)',
    description:
      'Accepted only if it is the current blob of its copy. A refusal is recorded and answered 409; for hashsig it names the current blob and holder.',
  })
  @ApiOkResponse({ type: PresentBlobResponse })
  async present(@Body() body: PresentBlobDto, @CurrentActor() actor: Actor): Promise<PresentBlobResult> {
    const blob = decodeBase64Strict(body.blob)!;
    const result = await this.commands.execute(new PresentBlobCommand({ keyId: body.keyId, blob }, actor));
    if (!result.accepted) {
      // The current blob may be the holder itself: say so once, not "X, held by blob X".
      const holder = result.currentHolder;
      const current = !result.currentBlob
        ? ''
        : holder === `blob ${result.currentBlob}`
          ? ` The current blob is ${result.currentBlob}; it holds the copy.`
          : ` The current blob is ${result.currentBlob}${holder ? `, held by ${holder}` : ''}.`;
      throw new ProblemException(
        409,
        'blob-refused',
        `blob ${result.sha256} was refused: ${result.reason ?? 'it is not the current blob of its copy'}.${current}`,
        {
          sha256: result.sha256,
          keyId: result.keyId,
          currentBlob: result.currentBlob ?? null,
          currentHolder: result.currentHolder ?? null,
        },
      );
    }
    return result;
  }
}
