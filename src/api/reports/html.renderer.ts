/**
 * HTML: one self-contained, printable page — inline CSS, no scripts, no external assets — stating
 * what the report is as of (ledger position and that event's time), what it was built from, how it
 * was asked for, and when it was generated; then the report's summary and its tables. Every value
 * is escaped (labels and reasons are free text); the page's own Content-Security-Policy forbids
 * scripts and every load, so it stays inert even when saved and opened from a file.
 */
import type { Cell, ReportResult, Table } from '../../app/reports/reports.queries';

const ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Text for element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

export const HTML_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:";

const STYLE = `
*{box-sizing:border-box}
body{font:10pt/1.35 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;color:#111;margin:16px;background:#fff}
h1{font-size:16pt;margin:0 0 2px}
h2{font-size:12pt;margin:18px 0 6px}
.sub{color:#555;margin:0 0 12px}
table{border-collapse:collapse}
table.facts th{text-align:left;padding:2px 12px 2px 0;color:#444;font-weight:600;vertical-align:top}
table.facts td{padding:2px 0}
table.data{width:100%;font-size:8pt}
table.data th,table.data td{border:1px solid #bbb;padding:2px 4px;vertical-align:top;text-align:left}
table.data thead th{background:#eee}
table.data tbody tr:nth-child(even){background:#f7f7f7}
td.n{text-align:right;font-variant-numeric:tabular-nums}
.mono{font-family:ui-monospace,"DejaVu Sans Mono",Menlo,Consolas,monospace;overflow-wrap:anywhere}
.none{color:#999}
ul.cell{margin:0;padding:0;list-style:none}
footer{margin-top:18px;color:#555;font-size:8pt}
@page{size:A4 landscape;margin:10mm}
@media print{body{margin:0}table.data{font-size:6.5pt}thead{display:table-header-group}tr{break-inside:avoid}h2{break-after:avoid}}
`;

/** Columns whose values are ids, hashes or times: set in a monospace font that breaks anywhere. */
const MONO =
  /^(keyId|approvalId|currentBlob|holderBlobs|blobs|by|requestedBy|approvedBy|rejectedBy|outcomeBy|lastMovementBy)$|At$|^at$|^expiresAt$/;

function cellHtml(cell: Cell | undefined): string {
  if (cell === null || cell === undefined) return '<span class="none">—</span>';
  if (typeof cell === 'string') return escapeHtml(cell);
  if (typeof cell === 'number' || typeof cell === 'boolean') return escapeHtml(JSON.stringify(cell));
  if (cell.length === 0) return '<span class="none">—</span>';
  return `<ul class="cell">${cell.map((item) => `<li>${escapeHtml(item)}</li>`).join('')}</ul>`;
}

function tableHtml(table: Table): string {
  const head = table.columns.map((c) => `<th scope="col">${escapeHtml(c.title)}</th>`).join('');
  const body = table.rows
    .map((row) => {
      const cells = table.columns.map((c) => {
        const cell = row[c.name];
        const cls = [typeof cell === 'number' ? 'n' : '', MONO.test(c.name) ? 'mono' : ''].filter(Boolean);
        return `<td${cls.length ? ` class="${cls.join(' ')}"` : ''}>${cellHtml(cell)}</td>`;
      });
      return `<tr>${cells.join('')}</tr>`;
    })
    .join('\n');
  return [
    `<h2>${escapeHtml(table.title)} <span class="sub">(${table.rows.length})</span></h2>`,
    `<table class="data"><thead><tr>${head}</tr></thead>`,
    `<tbody>\n${body}\n</tbody></table>`,
  ].join('\n');
}

function factsHtml(report: ReportResult): string {
  const asOf = report.document.asOf as { position: number; at: string | null };
  const ledger = report.document.ledger as { position: number; events: number };
  const checkpoint = (report.document.checkpoint ?? null) as {
    treeSize: number;
    rootHash: string;
    signedAt: string;
    position: number;
  } | null;
  const requested = [
    `report=${report.name}`,
    'format=html',
    `asOf=${report.requested.asOf}`,
    ...(report.requested.key === null ? [] : [`key=${report.requested.key}`]),
  ].join(', ');
  const rows: [string, string][] = [
    [
      'As of',
      asOf.position === 0
        ? 'ledger position 0 (before the first event)'
        : `ledger position ${asOf.position}, the event recorded at ${asOf.at}`,
    ],
    [
      'Built from',
      `${ledger.events} event(s), positions 1 to ${ledger.position}, folded from the ledger itself`,
    ],
    [
      'Checkpoint',
      checkpoint === null
        ? 'none at or before this position (no signed audit checkpoint covers it)'
        : `${checkpoint.treeSize} events, root ${checkpoint.rootHash}, signed ${checkpoint.signedAt} (ledger position ${checkpoint.position}); verify with GET /v1/audit/proof/consistency`,
    ],
    ['Requested', `${requested} (ledger head then: position ${report.head})`],
    ['Generated', `${report.generatedAt} by keyledger`],
  ];
  return `<table class="facts">${rows
    .map(([k, v]) => `<tr><th scope="row">${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`)
    .join('')}</table>`;
}

export function renderHtml(report: ReportResult): string {
  const asOf = report.document.asOf as { position: number };
  const summary = report.summary.length
    ? `<h2>Summary</h2><table class="facts">${report.summary
        .map(([k, v]) => `<tr><th scope="row">${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`)
        .join('')}</table>`
    : '';
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(HTML_CSP)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(`${report.title} — keyledger, as of position ${asOf.position}`)}</title>
<style>${STYLE}</style>
</head>
<body>
<header>
<h1>${escapeHtml(report.title)}</h1>
<p class="sub">keyledger compliance report <span class="mono">${escapeHtml(report.name)}</span></p>
${factsHtml(report)}
</header>
<main>
${summary}
${report.tables.map(tableHtml).join('\n')}
</main>
<footer>The same report as JSON (format=json) is a function of the ledger up to position ${asOf.position} alone: asked for again as of that position, it is the same, byte for byte.</footer>
</body>
</html>
`;
}
