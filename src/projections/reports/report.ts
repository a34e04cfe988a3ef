/**
 * Compliance reports (docs/architecture.md §7): what a report is, and the helpers the reports share.
 *
 * A report is pure: projections folded over a prefix of the ledger (positions 1 … P), then `build`,
 * which turns the folded documents into the report's JSON body and its tables. Nothing in a report
 * reads a clock, the read-model file or anything after P, so the same prefix always gives the same
 * bytes — the report "as of" P taken today equals the one taken when P was the head.
 */
import type { JsonObject, RecordedEvent } from '../../event-store/event-store';
import type { Doc, Projection } from '../projection';
import type { CheckpointRef } from './audit-trail.projection';

/** The last event a report folded: its position, and its time (`eventTime`); `at` is null at position 0. */
export interface AsOf {
  readonly position: number;
  readonly at: string | null;
}

/** What a report is built from besides its documents. */
export interface ReportInput {
  readonly asOf: AsOf;
  /** Events folded (positions 1 … asOf.position; fewer than the position on a store whose positions have gaps). */
  readonly events: number;
  /** The key a report about one key is about; null for the others. */
  readonly key: string | null;
}

/** A table cell: a list (several holders, approvers, …) is one cell; CSV joins it with "; ". */
export type Cell = string | number | boolean | null | readonly string[];
export type Row = Readonly<Record<string, Cell>>;

export interface Column {
  /** The CSV header and the row's property. */
  readonly name: string;
  /** The HTML column heading. */
  readonly title: string;
}

export interface Table {
  readonly title: string;
  readonly columns: readonly Column[];
  readonly rows: readonly Row[];
}

/** A built report: its JSON body (the envelope is added by `reportDocument`) and how it reads as tables. */
export interface ReportContent {
  readonly body: JsonObject;
  /** Label/value lines an HTML page shows above the tables (e.g. the key a custody chain is about). */
  readonly summary: readonly (readonly [string, string])[];
  /** The first table is the report's CSV; HTML shows them all. */
  readonly tables: readonly [Table, ...Table[]];
}

/** Folded documents by projection name, then by document id. */
export type Models = ReadonlyMap<string, ReadonlyMap<string, Doc>>;

export interface ReportDefinition {
  readonly name: string;
  readonly title: string;
  /** One line: what the report shows. */
  readonly description: string;
  /** Whether the report is about one key (`key` required) or takes none. */
  readonly key: 'required' | 'none';
  /** The projections the report folds; for a report about one key, they may be cut to that key. */
  projections(key: string | null): readonly Projection[];
  /** Throws `ReportKeyNotFound` when the key is not in the ledger as of the report's position. */
  build(models: Models, input: ReportInput): ReportContent;
}

/**
 * The time of an event, as the reports state it and as an "as of" date is compared with: the
 * `at` of its metadata (the decision time every use case records, docs/architecture.md §2), or the
 * store's `recordedAt` for an event without one.
 */
export function eventTime(event: RecordedEvent): string {
  const at = event.metadata.at;
  return typeof at === 'string' && !Number.isNaN(Date.parse(at)) ? at : event.recordedAt;
}

/**
 * The JSON a report answers: the envelope, then its body. `checkpoint` is the last checkpoint at or
 * before the report's position (docs/architecture.md §6): what of the report an auditor can check
 * against a signed tree head.
 */
export function reportDocument(
  name: string,
  input: ReportInput,
  body: JsonObject,
  checkpoint: CheckpointRef | null = null,
): JsonObject {
  return {
    report: name,
    asOf: { position: input.asOf.position, at: input.asOf.at },
    ledger: { position: input.asOf.position, events: input.events },
    checkpoint: checkpoint as unknown as JsonObject | null,
    ...body,
  };
}

/** The documents of one projection, as their type. */
export function docsOf<T>(models: Models, projection: Projection): ReadonlyMap<string, T> {
  return (models.get(projection.name) ?? new Map()) as unknown as ReadonlyMap<string, T>;
}

/** Days between two ISO times (fractional). */
export function daysBetween(from: string, to: string): number {
  return (Date.parse(to) - Date.parse(from)) / 86_400_000;
}

/** Orders strings by UTF-16 code units: the same order on every machine (`localeCompare` follows the locale). */
export function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
