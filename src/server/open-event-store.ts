import type { EventStore } from '../event-store/event-store';
import { openEsdbEventStore } from '../event-store/esdb-event-store';
import { openSqliteEventStore } from '../event-store/sqlite-event-store';
import type { KeyledgerConfig } from '../app/config';

/**
 * Opens the ledger the configuration names: the embedded SQLite file (default) or EventStoreDB.
 * Reads the head position once so an unreachable or unreadable ledger fails start-up, not a request.
 */
export async function openEventStore(config: KeyledgerConfig): Promise<EventStore> {
  const store =
    config.eventStore.kind === 'esdb'
      ? openEsdbEventStore(config.eventStore.url)
      : await openSqliteEventStore(config.dataDir);
  try {
    await store.headPosition();
  } catch (error) {
    await store.close().catch(() => undefined);
    throw error;
  }
  return store;
}
