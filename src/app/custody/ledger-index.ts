/**
 * A small in-memory index the write side needs to find streams by name: HSM and KEK domain names,
 * every key id, and which keys each HSM holds. It is fed from the store (`readAll` from its last
 * position, STYLE 5), never from an in-memory bus, so it also sees what other processes appended.
 * Decisions never rest on it: they fold the stream itself with its revision.
 */
import { parseStreamName } from '../../domain';
import type { EventStore, RecordedEvent } from '../../event-store';

const PAGE = 4096;

export class LedgerIndex {
  private position = 0;
  private pending: Promise<void> | null = null;
  readonly hsmIdByName = new Map<string, string>();
  readonly hsmNameById = new Map<string, string>();
  readonly kekDomainIdByName = new Map<string, string>();
  readonly kekDomainIds = new Set<string>();
  /** In order of first record. */
  readonly keyIds = new Set<string>();
  /** hsmId → keyId → HSM key name. */
  readonly residents = new Map<string, Map<string, string>>();

  constructor(private readonly store: EventStore) {}

  /** Reads everything appended since the last call; concurrent callers share one read. */
  catchUp(): Promise<void> {
    this.pending ??= this.read().finally(() => (this.pending = null));
    return this.pending;
  }

  private async read(): Promise<void> {
    for (;;) {
      const page = await this.store.readAll({ fromPosition: this.position, maxCount: PAGE });
      for (const event of page) this.apply(event);
      if (page.length > 0) this.position = page[page.length - 1]!.position;
      if (page.length < PAGE) return;
    }
  }

  private apply(e: RecordedEvent): void {
    const stream = parseStreamName(e.streamName);
    if (stream === null || stream.category === 'audit') return;
    const d = e.data as Record<string, unknown>;
    if (stream.category === 'hsm' && e.type === 'HsmRegistered') {
      this.hsmIdByName.set(String(d.name), stream.id);
      this.hsmNameById.set(stream.id, String(d.name));
    } else if (stream.category === 'kekdomain' && e.type === 'KekDomainCreated') {
      this.kekDomainIdByName.set(String(d.name), stream.id);
      this.kekDomainIds.add(stream.id);
    } else if (stream.category === 'key') {
      this.applyKey(stream.id, e.type, d);
    }
  }

  private applyKey(keyId: string, type: string, d: Record<string, unknown>): void {
    switch (type) {
      case 'KeyGenerated':
        this.keyIds.add(keyId);
        return void this.resident(String(d.hsmId)).set(keyId, String(d.hsmName));
      case 'KeyRawImported':
        return void this.resident(String(d.hsmId)).set(keyId, String(d.hsmName));
      case 'KeyTransitImported':
        return void this.resident(String(d.toHsm)).set(keyId, String(d.hsmName));
      case 'KeyDeletedFromHsm':
        return void this.resident(String(d.hsmId)).delete(keyId);
    }
  }

  private resident(hsmId: string): Map<string, string> {
    let map = this.residents.get(hsmId);
    if (map === undefined) this.residents.set(hsmId, (map = new Map()));
    return map;
  }
}
