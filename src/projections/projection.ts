import type { ErrorCategory } from '../domain/error-category';
import type { JsonObject, RecordedEvent } from '../event-store/event-store';

/** A read-model document: a JSON object, stored as JSON text. */
export type Doc = JsonObject;

/**
 * A projection folds the ledger into documents. It is pure (docs/style.md §12): no I/O, no clock, no
 * randomness, and it must not mutate the event or the doc it is given; the same events in the same
 * order always give the same documents, which is what lets the runner replay it from any checkpoint.
 */
export interface Projection {
  /** Unique among the runner's projections; the key of its documents and checkpoint. */
  readonly name: string;
  /** Bump on any change to `handles` or `evolve`: the runner then rebuilds it from position 0. */
  readonly version: number;
  /** Ids of the documents this event changes; `[]` to ignore the event. */
  handles(event: RecordedEvent): readonly string[];
  /** The document after the event; `undefined` deletes it (or leaves it absent). */
  evolve(doc: Doc | undefined, event: RecordedEvent): Doc | undefined;
}

/** A projection threw, or returned something the runner cannot store. The runner stops on it. */
export class ProjectionFailed extends Error {
  // The runner has stopped, so read models behind it are stale until an operator acts.
  static readonly category: ErrorCategory = 'unavailable';
  readonly type = 'projection-failed';
  constructor(
    readonly projection: string,
    readonly position: number,
    readonly eventType: string,
    readonly streamName: string,
    cause: unknown,
  ) {
    super(
      `projection "${projection}" failed on event ${position} (${eventType} in "${streamName}"): ${
        cause instanceof Error ? cause.message : String(cause)
      }`,
      { cause },
    );
  }
}

/**
 * Folds events into documents in memory, exactly as the runner applies them (documents keyed by
 * id; an `undefined` result deletes). For specs, and for reports "as of" a past position.
 */
export function foldEvents(
  projection: Projection,
  events: Iterable<RecordedEvent>,
  docs: Map<string, Doc> = new Map(),
): Map<string, Doc> {
  for (const event of events) {
    const ids = projection.handles(event);
    for (const id of ids.length > 1 ? new Set(ids) : ids) {
      const doc = projection.evolve(docs.get(id), event);
      if (doc === undefined) docs.delete(id);
      else docs.set(id, doc);
    }
  }
  return docs;
}
