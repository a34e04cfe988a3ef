/**
 * The problem+json answers in the OpenAPI document: one shared schema (RFC 9457 with our extension
 * members) and the statuses each kind of route can answer with, described once. A controller says
 * which kind a route is; e2e suites check that every status they see on a route is documented
 * (test/api/support/service.ts).
 */
import { applyDecorators } from '@nestjs/common';
import {
  ApiExtraModels,
  ApiProperty,
  ApiPropertyOptional,
  ApiResponse,
  getSchemaPath,
} from '@nestjs/swagger';
import { ApprovalResponse } from './dto/operator.dto';
import { MAX_JSON_DEPTH } from './json-depth';
import { PROBLEM_CONTENT_TYPE } from './problem';

export class ProblemResponse {
  @ApiProperty({ example: 'https://keyledger.dev/problems/stale-blob' }) type!: string;
  @ApiProperty({ example: 'Conflict' }) title!: string;
  @ApiProperty({ example: 409 }) status!: number;
  @ApiProperty({ description: 'what was refused and why, for a person; never a PIN, token or blob' })
  detail!: string;
  @ApiProperty({ example: '/v1/keys/5b0c…/raw-import', description: 'the request path' }) instance!: string;
  @ApiPropertyOptional({
    description: '400 validation-failed: every wrong field',
    type: 'array',
    items: {
      type: 'object',
      properties: { field: { type: 'string' }, messages: { type: 'array', items: { type: 'string' } } },
    },
  })
  errors?: { field: string; messages: string[] }[];
  @ApiPropertyOptional({
    description: '502: the libhal status the HSM answered, e.g. NO_KEY_SLOTS_AVAILABLE',
  })
  hsmStatus?: string;
  @ApiPropertyOptional({ description: '502: the RPC that failed, e.g. IMPORT_RAW' }) rpc?: string;
  @ApiPropertyOptional({
    description: '409 blob-refused: the current blob of the copy',
    nullable: true,
    type: String,
  })
  currentBlob?: string | null;
  @ApiPropertyOptional({ description: '409 blob-refused: who holds the copy', nullable: true, type: String })
  currentHolder?: string | null;
  @ApiPropertyOptional({ description: '403 role-required: the least role the route needs' })
  requiredRole?: string;
  @ApiPropertyOptional({ description: '403 role-required: the role the caller has' }) role?: string;
}

const WHEN: Readonly<Record<number, string>> = {
  400: `malformed JSON, a body nested more than ${MAX_JSON_DEPTH} levels deep, a body or path field that fails validation (\`errors\` lists each field), a broken %-encoding`,
  401: 'no bearer token, or one that is unknown, rotated away or revoked',
  403: "the operator's role may not use this route (`requiredRole` names the role it needs), or an approval refused to this officer",
  404: 'no such key, HSM, KEK domain or blob',
  409: 'refused by the custody rules (e.g. a stale hashsig blob, a wrong KEK domain, a frozen key, an operation in progress, a full HSM)',
  413: 'a body over 1 MiB',
  415: 'a body that is not application/json',
  422: 'input the custody rules cannot process (e.g. deleting the last holder of a key)',
  500: 'a failure of the service itself; the detail says nothing, the log has it',
  502: 'the HSM failed, answered a libhal status (`hsmStatus`) or could not be reached',
  503: 'the ledger, the read models or the secret store are unavailable',
};

/** Documents `statuses` as problem+json answers of a route or of every route of a controller. */
export function ApiProblems(...statuses: number[]): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ApiExtraModels(ProblemResponse),
    ...statuses.map((status) =>
      ApiResponse({
        status,
        description: WHEN[status],
        content: { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: getSchemaPath(ProblemResponse) } } },
      }),
    ),
  );
}

/** What any /v1 route can answer: a bad path parameter, no token or role, nothing there, the service or ledger failing. */
export const ReadProblems = (): ClassDecorator & MethodDecorator => ApiProblems(400, 401, 403, 404, 500, 503);

/**
 * A route whose command the approval policy can gate: 202 with the approval request instead of
 * the result when it needs officers' approvals (docs/api.md, "Approvals").
 */
export const GatedByPolicy = (action: string): MethodDecorator =>
  applyDecorators(
    ApiResponse({
      status: 202,
      description: `the policy requires officer approvals for ${action}: the request was recorded and waits for them (nothing ran yet)`,
      type: ApprovalResponse,
    }),
  );

/** What a state change adds: custody refusals, unprocessable input, the HSM failing; with a body, size and media type. */
export const CommandProblems = (options: { body: boolean }): MethodDecorator =>
  options.body ? ApiProblems(409, 413, 415, 422, 502) : ApiProblems(409, 422, 502);
