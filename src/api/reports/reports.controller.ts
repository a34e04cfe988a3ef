/**
 * `GET /v1/reports/{name}?format=json|csv|html&asOf=…&key=…` (docs/architecture.md §7): checks the
 * query, dispatches the one report query, and hands its result to the format's renderer. Every
 * query parameter is checked where it enters (docs/style.md §9): an unknown or repeated one, a
 * format, an `asOf` or a `key` that is wrong is a 400 naming the field — a misspelt `asof` must
 * not quietly give a report as of the head.
 */
import { Controller, Get, Param, Query, Res } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import {
  ApiBearerAuth,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiProduces,
  ApiQuery,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import {
  REPORT_NAMES,
  ReportQuery,
  findReport,
  keyProblem,
  parseAsOf,
  type ReportResult,
} from '../../app/reports/reports.queries';
import { REF } from '../dto/limits';
import { ValidationFailed } from '../problem';
import { ReadProblems } from '../problems.openapi';
import { HTML_CSP } from './html.renderer';
import { REPORT_CONTENT_TYPES, REPORT_FORMATS, isReportFormat, renderReport } from './formats';

const PARAMETERS = ['format', 'asOf', 'key'];

function refuse(field: string, message: string): never {
  throw new ValidationFailed(`the query is invalid: ${message}`, [{ field, messages: [message] }]);
}

/** One value of a query parameter: a repeated parameter is refused, not guessed at. */
function single(query: Record<string, unknown>, field: string): string | undefined {
  const value = Object.hasOwn(query, field) ? query[field] : undefined;
  if (value === undefined) return undefined;
  if (typeof value !== 'string') refuse(field, `${field} must be given once`);
  return value;
}

@ApiTags('reports')
@ApiBearerAuth()
@ReadProblems()
@Controller('v1/reports')
export class ReportsController {
  constructor(private readonly queries: QueryBus) {}

  @Get(':name')
  @ApiOperation({
    summary: 'a compliance report, as of the head or a past ledger position or time, as JSON, CSV or HTML',
    description: [
      `Reports: ${REPORT_NAMES.join(', ')}. Built by folding the ledger from its first event to the position asked for; the JSON states \`report\`, \`asOf\` {position, at}, \`ledger\` {position, events} and \`checkpoint\` (the last signed audit checkpoint at or before that position, or null), and is the same, byte for byte, whenever it is asked for as of the same position.`,
      "asOf: a ledger position (digits; beyond the head is a 400), or an ISO 8601 time with a zone: the longest prefix of the ledger whose events are all at or before it (an event's time is the `at` of its metadata, else when the store recorded it). Without asOf: the head.",
      "CSV (RFC 4180) is the report's first table with a header record; HTML is one printable, self-contained page.",
    ].join('\n\n'),
  })
  @ApiParam({ name: 'name', enum: REPORT_NAMES, description: 'an unknown name is a 404 listing the reports' })
  @ApiQuery({ name: 'format', required: false, enum: REPORT_FORMATS, description: 'default json' })
  @ApiQuery({
    name: 'asOf',
    required: false,
    description:
      'a ledger position (e.g. 1234) or a time with a zone (e.g. 2026-12-07T10:00:00Z); default: the head',
  })
  @ApiQuery({ name: 'key', required: false, description: 'the key id (custody-chain only, required there)' })
  @ApiProduces(...REPORT_FORMATS.map((f) => REPORT_CONTENT_TYPES[f].split(';')[0]!))
  @ApiOkResponse({
    description: 'the report in the format asked for',
    content: {
      'application/json': { schema: { type: 'object', description: 'the report document' } },
      'text/csv': { schema: { type: 'string', description: "RFC 4180 CSV of the report's rows" } },
      'text/html': { schema: { type: 'string', description: 'a self-contained printable page' } },
    },
  })
  async report(
    @Param('name') name: string,
    @Query() query: Record<string, unknown>,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<string> {
    const unknown = Object.keys(query).filter((p) => !PARAMETERS.includes(p));
    if (unknown.length > 0)
      refuse(
        unknown[0]!,
        `unknown query parameter ${JSON.stringify(unknown[0]!.slice(0, 40))}; a report takes ${PARAMETERS.join(', ')}`,
      );
    const format = single(query, 'format') ?? 'json';
    if (!isReportFormat(format)) refuse('format', `format must be one of ${REPORT_FORMATS.join(', ')}`);
    const asOf = parseAsOf(single(query, 'asOf'));
    if (typeof asOf === 'string') refuse('asOf', asOf);
    const key = single(query, 'key') ?? null;
    if (key !== null && !REF.test(key))
      refuse('key', 'key must be a key id (letters, digits, . _ : -, at most 128)');
    const problem = keyProblem(findReport(name), key);
    if (problem !== undefined) refuse('key', problem);
    let result: ReportResult;
    try {
      result = await this.queries.execute(new ReportQuery(name, asOf, key));
    } catch (error) {
      if ((error as { type?: unknown }).type === 'as-of-beyond-head')
        refuse('asOf', (error as Error).message);
      throw error;
    }
    const position = (result.document.asOf as { position: number }).position;
    reply.header('content-type', REPORT_CONTENT_TYPES[format]);
    reply.header('content-disposition', `inline; filename="keyledger-${result.name}-${position}.${format}"`);
    reply.header('keyledger-as-of-position', String(position));
    reply.header('cache-control', 'no-store');
    if (format === 'html') reply.header('content-security-policy', HTML_CSP);
    return renderReport(format, result);
  }
}
