/**
 * JSON: the report's document as it is, compact. Its bytes depend on the ledger prefix alone (no
 * generation time, no request parameters but the key), so a report as of a position is the same
 * text whenever it is asked for.
 */
import type { ReportResult } from '../../app/reports/reports.queries';

export function renderJson(report: Pick<ReportResult, 'document'>): string {
  return JSON.stringify(report.document);
}
