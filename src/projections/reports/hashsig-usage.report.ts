/**
 * `hashsig-usage`: per hashsig key, the indices used and the signatures still possible (the hashsig
 * state projection, i.e. the domain's `hashsigUsage`), the rate of use observed in the key's index
 * log and when the key runs out at that rate.
 *
 * The index log is every record of indices used (`HashsigSignaturesReleased`, `…Withheld`,
 * `HashsigReuseDetected`). The rate counts the indices recorded after the first record, over the
 * days from the first record to the last (so one burst of use reads as that burst's rate; a single
 * record gives no rate). The forecast is the last record's time plus `remaining / rate` days; null
 * without a rate, for a key with nothing left (`exhausted`), or past the year 9999.
 */
import { isKeyEvent } from '../../domain/key';
import type { JsonObject, RecordedEvent } from '../../event-store/event-store';
import { hashsigStateProjection, type HashsigStateDoc, type KeyFacts } from '../custody';
import { keyIdOf, toDoc } from '../custody/key-state';
import type { Projection } from '../projection';
import { factsLabel, paramsText, reportParams } from './key-facts';
import { daysBetween, docsOf, type Column, type ReportDefinition, type Row } from './report';

const INDEX_RECORDS: ReadonlySet<string> = new Set([
  'HashsigSignaturesReleased',
  'HashsigSignaturesWithheld',
  'HashsigReuseDetected',
]);

/** What a hashsig key's generation recorded, and its index log in brief. */
interface IndexLogDoc {
  readonly keyId: string;
  readonly generatedPosition: number;
  readonly label: string | null;
  readonly params: Record<string, unknown>;
  readonly records: number;
  readonly indices: number;
  readonly indicesInFirst: number;
  readonly firstAt: string | null;
  readonly lastAt: string | null;
}

export const indexLogProjection: Projection = {
  name: 'reports.hashsig-index-log',
  version: 1,
  handles(event) {
    const keyId = keyIdOf(event);
    if (keyId === undefined) return [];
    if (event.type === 'KeyGenerated') return event.data.keyType === 'hashsig' ? [keyId] : [];
    return INDEX_RECORDS.has(event.type) ? [keyId] : [];
  },
  evolve(doc, event: RecordedEvent) {
    if (event.type === 'KeyGenerated') {
      const facts = event.data as unknown as KeyFacts;
      const log: IndexLogDoc = {
        keyId: keyIdOf(event)!,
        generatedPosition: event.position,
        label: factsLabel(facts),
        params: reportParams(facts),
        records: 0,
        indices: 0,
        indicesInFirst: 0,
        firstAt: null,
        lastAt: null,
      };
      return toDoc(log);
    }
    const log = doc as unknown as IndexLogDoc | undefined;
    if (log === undefined || !isKeyEvent(event)) return doc;
    const count = (event.data.indexPaths as unknown[]).length;
    const at = event.data.at as string;
    return toDoc({
      ...log,
      records: log.records + 1,
      indices: log.indices + count,
      indicesInFirst: log.records === 0 ? count : log.indicesInFirst,
      firstAt: log.firstAt ?? at,
      lastAt: at,
    });
  },
};

const LAST_DATE = Date.parse('9999-12-31T23:59:59.999Z');

/** Signatures a day observed in the log, to six significant digits; null with fewer than two records in time. */
export function ratePerDay(
  log: Pick<IndexLogDoc, 'indices' | 'indicesInFirst' | 'firstAt' | 'lastAt'>,
): number | null {
  if (log.firstAt === null || log.lastAt === null) return null;
  const days = daysBetween(log.firstAt, log.lastAt);
  if (!(days > 0)) return null;
  return (log.indices - log.indicesInFirst) / days;
}

export function exhaustsAt(lastAt: string | null, remaining: number, rate: number | null): string | null {
  if (lastAt === null || rate === null || !(rate > 0) || remaining <= 0) return null;
  const at = Date.parse(lastAt) + (remaining / rate) * 86_400_000;
  return at <= LAST_DATE ? new Date(Math.floor(at)).toISOString() : null;
}

/** Six significant digits: readable, and the same text for the same ledger. */
const sig6 = (x: number): number => Number(x.toPrecision(6));

export interface HashsigUsageKey {
  readonly keyId: string;
  readonly label: string | null;
  readonly params: Record<string, unknown>;
  readonly state: 'active' | 'frozen' | 'destroyed';
  readonly used: number;
  readonly signatures: number;
  readonly withheld: number;
  readonly remaining: number;
  readonly exhausted: boolean;
  readonly lastIndex: number | null;
  readonly copies: readonly {
    copyId: string;
    range: { start: number; end: number };
    holder: string;
    released: number;
  }[];
  readonly reuseAlarms: number;
  readonly log: { records: number; firstAt: string | null; lastAt: string | null };
  readonly ratePerDay: number | null;
  readonly exhaustsAt: string | null;
}

function usageKey(log: IndexLogDoc, state: HashsigStateDoc | undefined): HashsigUsageKey {
  const rate = ratePerDay(log);
  const remaining = state?.remaining ?? 0;
  return {
    keyId: log.keyId,
    label: log.label,
    params: log.params,
    state: state === undefined || state.destroyed ? 'destroyed' : state.frozen ? 'frozen' : 'active',
    used: state?.indicesUsed ?? 0,
    signatures: state?.signatures ?? 0,
    withheld: (state?.indicesUsed ?? 0) - (state?.signatures ?? 0),
    remaining,
    exhausted: remaining === 0,
    lastIndex: state?.lastIndex ?? null,
    copies: (state?.copies ?? []).map((c) => ({
      copyId: c.copyId,
      range: { start: c.range.start, end: c.range.end },
      holder: c.holder,
      released: c.released,
    })),
    reuseAlarms: state?.reuseAlarms.length ?? 0,
    log: { records: log.records, firstAt: log.firstAt, lastAt: log.lastAt },
    ratePerDay: rate === null ? null : sig6(rate),
    exhaustsAt: exhaustsAt(log.lastAt, remaining, rate),
  };
}

export const HASHSIG_USAGE_COLUMNS: readonly Column[] = [
  { name: 'keyId', title: 'Key' },
  { name: 'label', title: 'Label' },
  { name: 'params', title: 'Parameters' },
  { name: 'state', title: 'State' },
  { name: 'used', title: 'Indices used' },
  { name: 'signatures', title: 'Signatures released' },
  { name: 'withheld', title: 'Withheld' },
  { name: 'remaining', title: 'Remaining (at most)' },
  { name: 'lastIndex', title: 'Last top index' },
  { name: 'copies', title: 'Copies' },
  { name: 'firstUseAt', title: 'First use' },
  { name: 'lastUseAt', title: 'Last use' },
  { name: 'ratePerDay', title: 'Signatures per day' },
  { name: 'exhaustsAt', title: 'Exhausted at this rate' },
  { name: 'reuseAlarms', title: 'Reuse alarms' },
];

function usageRow(k: HashsigUsageKey): Row {
  return {
    keyId: k.keyId,
    label: k.label,
    params: paramsText(k.params),
    state: k.state,
    used: k.used,
    signatures: k.signatures,
    withheld: k.withheld,
    remaining: k.remaining,
    lastIndex: k.lastIndex,
    copies: k.copies.map((c) => `${c.copyId} [${c.range.start},${c.range.end}) ${c.holder}`),
    firstUseAt: k.log.firstAt,
    lastUseAt: k.log.lastAt,
    ratePerDay: k.ratePerDay,
    exhaustsAt: k.exhaustsAt,
    reuseAlarms: k.reuseAlarms,
  };
}

export const hashsigUsageReport: ReportDefinition = {
  name: 'hashsig-usage',
  title: 'Hashsig usage and exhaustion forecast',
  description: 'per hashsig key: indices used, signatures remaining, signatures per day, exhaustion forecast',
  key: 'none',
  projections: () => [indexLogProjection, hashsigStateProjection],
  build(models) {
    const states = docsOf<HashsigStateDoc>(models, hashsigStateProjection);
    const keys = [...docsOf<IndexLogDoc>(models, indexLogProjection).values()]
      .sort((a, b) => a.generatedPosition - b.generatedPosition)
      .map((log) => usageKey(log, states.get(log.keyId)));
    const live = keys.filter((k) => k.state !== 'destroyed');
    const body: JsonObject = { keys: keys as unknown as Record<string, unknown>[] };
    return {
      body,
      summary: [
        ['Hashsig keys', `${keys.length} (${live.length} not destroyed)`],
        ['Exhausted', String(live.filter((k) => k.exhausted).length)],
      ],
      tables: [{ title: 'Hashsig keys', columns: HASHSIG_USAGE_COLUMNS, rows: keys.map(usageRow) }],
    };
  },
};
