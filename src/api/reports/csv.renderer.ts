/**
 * CSV (RFC 4180): the report's first table, one record per row after a header record of column
 * names, CRLF line ends, fields quoted where they hold a comma, a quote or a line break (csv-stringify).
 * Cells: null is an empty field, a number or boolean its JSON text, a list its items joined by "; ".
 * Values are written as the ledger has them: a label that starts with "=" stays as it is (a spreadsheet
 * may read it as a formula; the JSON and HTML forms are not affected).
 */
import { stringify } from 'csv-stringify/sync';
import type { Cell, Table } from '../../app/reports/reports.queries';

export const LIST_SEPARATOR = '; ';

export function cellText(cell: Cell | undefined): string {
  if (cell === null || cell === undefined) return '';
  if (typeof cell === 'string') return cell;
  if (typeof cell === 'number' || typeof cell === 'boolean') return JSON.stringify(cell);
  return cell.join(LIST_SEPARATOR);
}

export function renderCsv(table: Table): string {
  const records = [
    table.columns.map((c) => c.name),
    ...table.rows.map((row) => table.columns.map((c) => cellText(row[c.name]))),
  ];
  // A bare CR or LF inside a field is quoted too, not only the CRLF record delimiter.
  return stringify(records, { record_delimiter: 'windows', quoted_match: /[\r\n]/ });
}
