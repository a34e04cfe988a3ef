/**
 * The report query (docs/architecture.md §7): folds a report's projections over the ledger itself,
 * from position 1 up to the position asked for (the head by default), page by page, and builds the
 * report. Every report is built this way, also "now": its JSON is then a pure function of the
 * ledger prefix, byte for byte the same whenever it is asked for again as of that position (the
 * runner's read models hold only the head). The cost is one read of the prefix per report.
 */
import { Inject } from '@nestjs/common';
import { IQueryHandler, Query, QueryHandler } from '@nestjs/cqrs';
import { setImmediate as yieldToIo } from 'node:timers/promises';
import type { ErrorCategory } from '../../domain';
import type { EventStore } from '../../event-store/event-store';
import {
  ReportFold,
  ReportInputInvalid,
  buildReport,
  eventTime,
  findReport,
  type BuiltReport,
  type ReportDefinition,
} from '../../projections/reports';
import { CLOCK, type Clock } from '../custody/clock';
import { EVENT_STORE } from '../tokens';
import { asOfText, type AsOfRequest } from './as-of';

export {
  REPORT_NAMES,
  findReport,
  type Cell,
  type Column,
  type Row,
  type Table,
} from '../../projections/reports';
export { parseAsOf, type AsOfRequest } from './as-of';

/** Events read from the ledger per page; the fold yields to other requests between pages. */
const PAGE = 4096;

/** A position past the ledger head: a report cannot be as of a position the ledger has not reached. */
export class AsOfBeyondHead extends Error {
  static readonly category: ErrorCategory = 'invalid';
  readonly type = 'as-of-beyond-head';
  constructor(
    readonly position: number,
    readonly head: number,
  ) {
    super(`asOf ${position} is beyond the ledger head (position ${head})`);
  }
}

export interface ReportResult extends BuiltReport {
  readonly name: string;
  readonly title: string;
  /** As the request asked: `head`, a position or a time; and the key. */
  readonly requested: { readonly asOf: string; readonly key: string | null };
  /** The ledger head when the report was asked for. */
  readonly head: number;
  /** When it was built (the service's clock): for the pages a person prints, never in the JSON. */
  readonly generatedAt: string;
}

export class ReportQuery extends Query<ReportResult> {
  constructor(
    readonly name: string,
    readonly asOf: AsOfRequest,
    readonly key: string | null,
  ) {
    super();
  }
}

/** The report's own rule on `key`: required for a report about one key, refused by the others. */
export function keyProblem(report: ReportDefinition, key: string | null): string | undefined {
  if (report.key === 'required' && key === null) return `key is required for the ${report.name} report`;
  if (report.key === 'none' && key !== null) return `the ${report.name} report takes no key`;
  return undefined;
}

@QueryHandler(ReportQuery)
export class ReportHandler implements IQueryHandler<ReportQuery> {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute(q: ReportQuery): Promise<ReportResult> {
    const report = findReport(q.name);
    const problem = keyProblem(report, q.key);
    if (problem !== undefined) throw new ReportInputInvalid(problem);
    const head = await this.store.headPosition();
    if (q.asOf.kind === 'position' && q.asOf.position > head) throw new AsOfBeyondHead(q.asOf.position, head);
    const until = q.asOf.kind === 'position' ? q.asOf.position : head;
    const notAfter = q.asOf.kind === 'time' ? q.asOf.ms : Infinity;
    const fold = new ReportFold(report.projections(q.key));
    for (let from = 0; from < until;) {
      const page = await this.store.readAll({ fromPosition: from, maxCount: PAGE });
      if (page.length === 0) break;
      const stop = page.findIndex((e) => e.position > until || Date.parse(eventTime(e)) > notAfter);
      fold.add(stop === -1 ? page : page.slice(0, stop));
      if (stop !== -1) break;
      from = page[page.length - 1]!.position;
      await yieldToIo();
    }
    return {
      ...buildReport(report, fold, q.key),
      name: report.name,
      title: report.title,
      requested: { asOf: asOfText(q.asOf), key: q.key },
      head,
      generatedAt: this.clock.now().toISOString(),
    };
  }
}

export const REPORT_QUERY_HANDLERS = [ReportHandler];
