import { openSqliteEventStore, type RecordedEvent } from '../../../src/event-store';

/**
 * Every event of the embedded ledger in `dataDir`, in global order, read by a second reader of the
 * SQLite file (WAL): the service that writes it keeps running.
 */
export async function ledgerEvents(dataDir: string): Promise<RecordedEvent[]> {
  const store = await openSqliteEventStore(dataDir);
  try {
    const all: RecordedEvent[] = [];
    for (let from = 0; ;) {
      const page = await store.readAll({ fromPosition: from, maxCount: 4096 });
      if (page.length === 0) return all;
      all.push(...page);
      from = page[page.length - 1]!.position;
    }
  } finally {
    await store.close();
  }
}
