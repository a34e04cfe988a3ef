/**
 * The compliance reports (docs/architecture.md §7). Adding one is a definition beside these (its
 * projections, a pure `build` giving its JSON body and its tables) listed in `REPORTS`: the report
 * query folds it as of any position, and the JSON, CSV and HTML renderers of the API take it as it is.
 */
import { custodyChainReport } from './custody-chain.report';
import { dualControlReport } from './dual-control.report';
import { UnknownReport } from './errors';
import { hashsigUsageReport } from './hashsig-usage.report';
import { integrityReport } from './integrity.report';
import { inventoryReport } from './inventory.report';
import type { ReportDefinition } from './report';

export const REPORTS: readonly ReportDefinition[] = [
  inventoryReport,
  custodyChainReport,
  hashsigUsageReport,
  dualControlReport,
  integrityReport,
];

export const REPORT_NAMES: readonly string[] = REPORTS.map((r) => r.name);

/** The report named `name`; `UnknownReport` (404) listing the reports otherwise. */
export function findReport(name: string): ReportDefinition {
  const report = REPORTS.find((r) => r.name === name);
  if (report === undefined) throw new UnknownReport(name, REPORT_NAMES);
  return report;
}

export { ReportInputInvalid, ReportKeyNotFound, UnknownReport } from './errors';
export { ReportFold, buildReport, reportOver, type BuiltReport } from './fold';
export {
  eventTime,
  type AsOf,
  type Cell,
  type Column,
  type ReportDefinition,
  type Row,
  type Table,
} from './report';
