/**
 * "As of" for reports (docs/architecture.md §7): the ledger head, a ledger position, or a time.
 *
 * - a position `N` (digits): the ledger up to and including position N; N beyond the head is refused.
 * - a time (ISO 8601 with a zone, e.g. `2026-12-07T10:00:00Z`): the longest prefix of the ledger whose
 *   events all have a time at or before it — an event's time being the `at` of its metadata, or the
 *   store's `recordedAt` without one (`eventTime`). Times grow along the ledger as the service writes
 *   it, so this is the last event recorded at or before that time; a time before the first event
 *   gives position 0.
 */
export type AsOfRequest =
  | { readonly kind: 'head' }
  | { readonly kind: 'position'; readonly position: number }
  | { readonly kind: 'time'; readonly at: string; readonly ms: number };

const POSITION = /^\d{1,16}$/;
const TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-](\d{2}):(\d{2}))$/;

const daysIn = (year: number, month: number) => new Date(Date.UTC(year, month, 0)).getUTCDate();

/** `asOf` as a request states it; a string is the reason it is refused (it names the field). */
export function parseAsOf(text: string | undefined): AsOfRequest | string {
  if (text === undefined || text === '' || text === 'head') return { kind: 'head' };
  const expected =
    'asOf must be a ledger position (digits) or an ISO 8601 time with a zone (e.g. 2026-12-07T10:00:00Z)';
  if (POSITION.test(text)) {
    const position = Number(text);
    return Number.isSafeInteger(position) ? { kind: 'position', position } : `${expected}, got ${text}`;
  }
  const m = TIME.exec(text);
  const shown = JSON.stringify(text.slice(0, 40));
  if (m === null) return `${expected}, got ${shown}`;
  const [year, month, day, hour, minute, second] = [1, 2, 3, 4, 5, 6].map((i) => Number(m[i] ?? 0));
  const zoneOk = m[8] === 'Z' || (Number(m[9]) <= 23 && Number(m[10]) <= 59);
  const ms = Date.parse(text);
  if (
    month < 1 ||
    month > 12 ||
    day < 1 ||
    day > daysIn(year!, month!) ||
    hour! > 23 ||
    minute! > 59 ||
    second! > 59 ||
    !zoneOk ||
    Number.isNaN(ms)
  )
    return `asOf is not a valid time: ${shown}`;
  return { kind: 'time', at: new Date(ms).toISOString(), ms };
}

/** How a request asked, for the pages that state it: `head`, a position, or the time. */
export function asOfText(asOf: AsOfRequest): string {
  return asOf.kind === 'head' ? 'head' : asOf.kind === 'position' ? String(asOf.position) : asOf.at;
}
