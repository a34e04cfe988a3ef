/** The formats a report is rendered in, one renderer each (docs/architecture.md §7). */
import type { ReportResult } from '../../app/reports/reports.queries';
import { renderCsv } from './csv.renderer';
import { renderHtml } from './html.renderer';
import { renderJson } from './json.renderer';

export const REPORT_FORMATS = ['json', 'csv', 'html'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

export const isReportFormat = (value: string): value is ReportFormat =>
  (REPORT_FORMATS as readonly string[]).includes(value);

export const REPORT_CONTENT_TYPES: Readonly<Record<ReportFormat, string>> = {
  json: 'application/json; charset=utf-8',
  // RFC 4180 §3 (and RFC 7111): the header parameter says the first record names the columns.
  csv: 'text/csv; charset=utf-8; header=present',
  html: 'text/html; charset=utf-8',
};

export function renderReport(format: ReportFormat, report: ReportResult): string {
  switch (format) {
    case 'json':
      return renderJson(report);
    case 'csv':
      return renderCsv(report.tables[0]);
    case 'html':
      return renderHtml(report);
  }
}
