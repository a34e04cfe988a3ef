/**
 * Folding a report's projections over the ledger, page by page, with `foldEvents` (the same fold the
 * projection runner applies). The caller decides where to stop (a position, or a time); a fold
 * over the events 1 … P is the report as of P.
 */
import type { RecordedEvent } from '../../event-store/event-store';
import { foldEvents, type Doc, type Projection } from '../projection';
import { auditTrailOf, auditTrailProjection } from './audit-trail.projection';
import {
  eventTime,
  reportDocument,
  type AsOf,
  type Models,
  type ReportDefinition,
  type ReportContent,
} from './report';
import type { JsonObject } from '../../event-store/event-store';

export class ReportFold {
  private readonly projections: readonly Projection[];
  private readonly docs = new Map<string, Map<string, Doc>>();
  private count = 0;
  private last: RecordedEvent | undefined;

  constructor(projections: readonly Projection[]) {
    // Reports share catalogs; each projection is folded once. Every report states its checkpoint.
    this.projections = [...new Map([...projections, auditTrailProjection].map((p) => [p.name, p])).values()];
    for (const p of this.projections) this.docs.set(p.name, new Map());
  }

  /** Folds the next events, in ledger order. */
  add(events: readonly RecordedEvent[]): void {
    if (events.length === 0) return;
    for (const p of this.projections) foldEvents(p, events, this.docs.get(p.name));
    this.count += events.length;
    this.last = events[events.length - 1];
  }

  get asOf(): AsOf {
    return this.last === undefined
      ? { position: 0, at: null }
      : { position: this.last.position, at: eventTime(this.last) };
  }

  get events(): number {
    return this.count;
  }

  get models(): Models {
    return this.docs;
  }
}

export interface BuiltReport extends ReportContent {
  /** The JSON the report answers: envelope and body. */
  readonly document: JsonObject;
}

/** Builds `definition` from a fold over the events it has been given. */
export function buildReport(definition: ReportDefinition, fold: ReportFold, key: string | null): BuiltReport {
  const input = { asOf: fold.asOf, events: fold.events, key };
  const content = definition.build(fold.models, input);
  const checkpoint = auditTrailOf(fold.models.get(auditTrailProjection.name)).lastCheckpoint;
  return { ...content, document: reportDocument(definition.name, input, content.body, checkpoint) };
}

/** A report over `events` (all of them), in memory: for specs. */
export function reportOver(
  definition: ReportDefinition,
  events: readonly RecordedEvent[],
  key: string | null = null,
): BuiltReport {
  const fold = new ReportFold(definition.projections(key));
  fold.add(events);
  return buildReport(definition, fold, key);
}
