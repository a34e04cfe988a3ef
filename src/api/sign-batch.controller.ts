/**
 * `POST /v1/sign` (issue 11 item 6): many signatures in one request. Each item is the single sign
 * of `POST /v1/keys/{keyId}/sign` — the same `SignCommand` on the same CommandBus, behind the same
 * approval gate (SignCommand names no gated action, so the gate lets it through) — and is answered
 * in its slot, in order, with the signature or the problem that single request would have got. A
 * hashsig item is released only once its index path is in the ledger, as ever; items of one
 * hashsig key take turns in the use case's per-key serialization, items of different keys run up
 * to SIGN_BATCH_CONCURRENCY at a time.
 */
import { Body, Controller, HttpCode, Logger, Post } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiExtraModels, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import type { Actor } from '../app/actor';
import { SignCommand } from '../app/custody/custody.commands';
import { CurrentActor } from './auth.guard';
import { decodeBase64Strict } from './base64';
import { MAX_SIGN_BATCH, MAX_SIGN_BYTES } from './dto/limits';
import {
  SignBatchDto,
  SignBatchFailed,
  SignBatchItemDto,
  SignBatchResponse,
  SignBatchSigned,
} from './dto/sign-batch.dto';
import { problem, toProblem, type Problem } from './problem';
import { ApiProblems } from './problems.openapi';
import { VALIDATOR_OPTIONS, fieldErrors } from './validation';
import { signJson } from './views';

/**
 * Items of one batch in flight at once: their HSM round trips and ledger appends overlap, and one
 * batch holds at most this many of an HSM's 64 kept handles.
 */
const SIGN_BATCH_CONCURRENCY = 16;

const INSTANCE = '/v1/sign';

type ItemAnswer = ({ keyId: string } & Record<string, unknown>) | (Problem & { keyId: string | null });

@ApiTags('keys')
@ApiBearerAuth()
@ApiExtraModels(SignBatchSigned, SignBatchFailed)
@Controller('v1/sign')
export class SignBatchController {
  private readonly logger = new Logger('api');

  constructor(private readonly commands: CommandBus) {}

  @Post()
  // ReadProblems without its 404: no path parameter to be unknown, and an unknown key or HSM is
  // answered in the items' slots (docs/api.md, "Signing in batches").
  @ApiProblems(400, 401, 403, 413, 415, 500, 503)
  @HttpCode(200)
  @ApiOperation({
    summary: `sign up to ${MAX_SIGN_BATCH} items {keyId, data} in one request; each answered in its slot`,
    description:
      `Each item is signed as POST /v1/keys/{keyId}/sign would sign it, and answered in order with {keyId, signature, hsm, q?} or with the problem that request would have got (its status in the problem). One item failing does not fail the others: the answer is 200 with the counts \`signed\` and \`failed\`. ` +
      `The whole request is a 400 only when the envelope is wrong: a body that is not an object, \`items\` missing or not an array, fewer than 1 or more than ${MAX_SIGN_BATCH} items, a bad \`hsm\` or another top-level field. ` +
      `An \`hsm\` that is well formed but not registered is no 400 and no 404 for the whole request: every item is answered in its slot with the 404 problem a single sign on it gets ("HSM … is not registered"), and nothing is signed. ` +
      `An item that is not an object, whose keyId is missing or not a key id, whose data is not strict base64 or over ${MAX_SIGN_BYTES} bytes, or that has another field is a 400 problem \`validation-failed\` in its slot. The body as a whole stays within 1 MiB (413).`,
  })
  @ApiOkResponse({
    type: SignBatchResponse,
    description: 'every item answered in its slot, in order (also when some or all of them failed)',
  })
  async signBatch(
    @Body() body: SignBatchDto,
    @CurrentActor() actor: Actor,
  ): Promise<{ items: ItemAnswer[]; signed: number; failed: number }> {
    const items = await inOrder(body.items, SIGN_BATCH_CONCURRENCY, (item, i) =>
      this.signItem(item, i, body.hsm, actor),
    );
    const signed = items.filter((item) => 'signature' in item).length;
    return { items, signed, failed: items.length - signed };
  }

  /** Never throws: whatever goes wrong with one item becomes its problem. */
  private async signItem(
    raw: unknown,
    index: number,
    hsm: string | undefined,
    actor: Actor,
  ): Promise<ItemAnswer> {
    const item = checkItem(raw, index);
    if ('problem' in item) return { keyId: item.keyId, ...item.problem };
    try {
      const result = await this.commands.execute(
        new SignCommand(item.keyId, { data: item.data, hsm }, actor),
      );
      return { keyId: item.keyId, ...signJson(result) };
    } catch (error) {
      const answer = toProblem(error, INSTANCE);
      // As the problem filter does for a whole request: the client's detail says the log has it.
      if (answer.status >= 500 && answer.status !== 502)
        this.logger.error(
          `POST ${INSTANCE} item ${index}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
        );
      return { keyId: item.keyId, ...answer };
    }
  }
}

/** An item validated as the single sign's body is (SignBatchItemDto), or its 400 problem. */
function checkItem(
  raw: unknown,
  index: number,
): { keyId: string; data: Buffer } | { keyId: string | null; problem: Problem } {
  const field = `items.${index}`;
  const refuse = (errors: { field: string; messages: string[] }[], keyId: string | null) => ({
    keyId,
    problem: problem(
      400,
      'validation-failed',
      `${field} is invalid: ${errors.map((e) => e.messages.join(', ')).join('; ')}`,
      INSTANCE,
      { errors },
    ),
  });
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    return refuse([{ field, messages: [`${field} must be an object {keyId, data}`] }], null);
  const item = plainToInstance(SignBatchItemDto, raw);
  const errors = validateSync(item, VALIDATOR_OPTIONS);
  // Echo the keyId only when it is one (never arbitrary input).
  const keyId = errors.some((e) => e.property === 'keyId') ? null : item.keyId;
  if (errors.length > 0) return refuse(fieldErrors(errors, field), keyId);
  // Validated strictly above; decoding cannot fail here.
  return { keyId: item.keyId, data: decodeBase64Strict(item.data)! };
}

/** `task` over every item, at most `limit` at a time; the answers in the items' order. */
async function inOrder(
  items: readonly unknown[],
  limit: number,
  task: (item: unknown, index: number) => Promise<ItemAnswer>,
): Promise<ItemAnswer[]> {
  const results = new Array<ItemAnswer>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < items.length; i = next++) results[i] = await task(items[i], i);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
