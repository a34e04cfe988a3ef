import { parse } from 'csv-parse/sync';
import type { ReportResult } from '../../app/reports/reports.queries';
import { cellText, renderCsv } from './csv.renderer';
import { escapeHtml, renderHtml } from './html.renderer';
import { renderJson } from './json.renderer';

const HOSTILE = `</td><script>alert("x")</script> & 'q'`;
const table = {
  title: 'Keys <b>',
  columns: [
    { name: 'id', title: 'Id' },
    { name: 'label', title: 'Label "quoted"' },
    { name: 'list', title: 'List' },
    { name: 'n', title: 'N' },
  ],
  rows: [
    { id: 'k1', label: HOSTILE, list: ['a', 'b'], n: 3 },
    { id: 'k2', label: 'line\nbreak, comma "and" quote\r', list: [], n: null },
    { id: 'k3', label: null, list: ['x'], n: true },
  ],
};
const report: ReportResult = {
  name: 'inventory',
  body: {},
  title: 'Key inventory',
  document: {
    report: 'inventory',
    asOf: { position: 7, at: '2026-12-07T10:00:00.000Z' },
    ledger: { position: 7, events: 7 },
  },
  summary: [['Label <i>', HOSTILE]],
  tables: [table],
  requested: { asOf: '7', key: null },
  head: 9,
  generatedAt: '2026-12-07T11:00:00.000Z',
};

describe('report renderers', () => {
  it('JSON: the document, compact, nothing added', () => {
    expect(renderJson(report)).toBe(JSON.stringify(report.document));
  });

  it('CSV: RFC 4180 with CRLF records, quoting commas, quotes and any line break; lists joined by "; "', () => {
    const csv = renderCsv(table);
    expect(csv).toBe(
      'id,label,list,n\r\n' +
        `k1,"</td><script>alert(""x"")</script> & 'q'",a; b,3\r\n` +
        'k2,"line\nbreak, comma ""and"" quote\r",,\r\n' +
        'k3,,x,true\r\n',
    );
    expect(parse(csv, { record_delimiter: '\r\n' })).toEqual([
      ['id', 'label', 'list', 'n'],
      ['k1', HOSTILE, 'a; b', '3'],
      ['k2', 'line\nbreak, comma "and" quote\r', '', ''],
      ['k3', '', 'x', 'true'],
    ]);
    expect(cellText(undefined)).toBe('');
  });

  it('CSV: a report without rows is its header record', () => {
    expect(renderCsv({ ...table, rows: [] })).toBe('id,label,list,n\r\n');
  });

  it('HTML: every value escaped, lists as lists, and what the report is as of', () => {
    const html = renderHtml(report);
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
    expect(html).not.toContain('<script');
    expect(html).not.toContain('<b>');
    expect(html).not.toContain('<i>');
    expect(html.split(escapeHtml(HOSTILE))).toHaveLength(3); // the summary and the table
    expect(html).toContain('<ul class="cell"><li>a</li><li>b</li></ul>');
    expect(html).toContain('<th scope="col">Label &quot;quoted&quot;</th>');
    expect(html).toContain('ledger position 7, the event recorded at 2026-12-07T10:00:00.000Z');
    expect(html).toContain('report=inventory, format=html, asOf=7 (ledger head then: position 9)');
    expect(html).toContain('2026-12-07T11:00:00.000Z by keyledger');
    expect(html).toMatch(/<meta http-equiv="Content-Security-Policy" content="default-src &#39;none&#39;;/);
  });
});
