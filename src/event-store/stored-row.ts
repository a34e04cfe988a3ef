import type { JsonObject, StoredEvent } from './event-store';

/** An event row as an array: position, stream, revision, id, type, data, metadata, recorded at. */
export type RawRow = [number, string, number, string, string, string, string, string];

/**
 * A row as `StoredEvent`: metadata parsed at once (an unparsable one reads as `{}`, which a chain
 * check reports as an unchained event at its position), data parsed when first read.
 */
export class StoredRow implements StoredEvent {
  readonly position: number;
  readonly streamName: string;
  readonly revision: number;
  readonly id: string;
  readonly type: string;
  readonly metadata: JsonObject;
  readonly recordedAt: string;
  readonly stored: { readonly data: string; readonly metadata: string };
  private parsed: JsonObject | undefined;

  constructor(row: RawRow) {
    const [position, streamName, revision, id, type, data, metadata, recordedAt] = row;
    this.position = position;
    this.streamName = streamName;
    this.revision = revision;
    this.id = id;
    this.type = type;
    this.recordedAt = recordedAt;
    this.stored = { data, metadata };
    let parsed: JsonObject;
    try {
      parsed = JSON.parse(metadata) as JsonObject;
    } catch {
      parsed = {};
    }
    this.metadata = parsed;
  }

  get data(): JsonObject {
    return (this.parsed ??= JSON.parse(this.stored.data) as JsonObject);
  }
}
