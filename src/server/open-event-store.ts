import * as path from 'node:path';
import type { EventStore } from '../event-store/event-store';
import { chainedEventStore } from '../event-store/chained-event-store';
import { LedgerUnavailable } from '../event-store/errors';
import { LEDGER_FILE_NAME, openSqliteEventStore } from '../event-store/sqlite-event-store';
import type { KeyledgerConfig } from '../app/config';

/**
 * The ledger the configuration names, unwrapped: the embedded SQLite file (default), PostgreSQL or
 * EventStoreDB. The server stores' clients are loaded only when named (CLI start-up time).
 */
export async function openLedgerStore(config: KeyledgerConfig): Promise<EventStore> {
  switch (config.eventStore.kind) {
    case 'esdb': {
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only when named
      const esdb: typeof import('../event-store/esdb-event-store') = require('../event-store/esdb-event-store');
      return esdb.openEsdbEventStore(config.eventStore.url);
    }
    case 'postgres': {
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only when named
      const postgres: typeof import('../event-store/postgres-event-store') = require('../event-store/postgres-event-store');
      return postgres.openPostgresEventStore(config.eventStore.url);
    }
    case 'sqlite':
      return openSqliteEventStore(config.dataDir);
  }
}

/**
 * Opens the ledger the configuration names (`openLedgerStore`), wrapped in the hash chain's
 * decorator (docs/architecture.md §6.1), so every event the service appends is chained. Reads the
 * head position and the first event once, so an unreachable, unreadable or not yet chained ledger
 * fails start-up, not a request.
 */
export async function openEventStore(config: KeyledgerConfig): Promise<EventStore> {
  const inner = await openLedgerStore(config);
  try {
    await inner.headPosition();
    await assertChained(inner, config);
  } catch (error) {
    await inner.close().catch(() => undefined);
    throw error;
  }
  return chainedEventStore(inner);
}

/**
 * Refuses a ledger whose first event has no hash: it was written before the chain. `keyledger
 * audit migrate` chains a whole SQLite ledger in one transaction and every later writer goes
 * through the decorator, so a ledger is chained from its first event or not at all (an event
 * without a hash after a chained one is an audit finding, and the decorator refuses to link to it).
 */
export async function assertChained(store: EventStore, config: KeyledgerConfig): Promise<void> {
  const [first] = await store.readAll({ maxCount: 1 });
  if (first === undefined || typeof first.metadata.hash === 'string') return;
  const where = `its first event (position ${first.position}, stream "${first.streamName}") has no hash`;
  if (config.eventStore.kind === 'sqlite') {
    throw new LedgerUnavailable(
      `ledger ${path.join(config.dataDir, LEDGER_FILE_NAME)} was written before the hash chain (${where}); ` +
        `stop the service and run "KEYLEDGER_DATA_DIR=${config.dataDir} keyledger audit migrate" to chain it`,
    );
  }
  if (config.eventStore.kind === 'postgres')
    throw new LedgerUnavailable(
      `the PostgreSQL ledger was written before the hash chain (${where}); copy it into a new one with ` +
        '"keyledger ledger copy", which chains every event it writes',
    );
  throw new LedgerUnavailable(
    `the EventStoreDB ledger was written before the hash chain (${where}); EventStoreDB events cannot ` +
      'be rewritten, so it cannot be chained in place; this version needs an empty or chained one (docs/architecture.md §6.1)',
  );
}
