/**
 * `keyledger audit migrate` for the embedded ledger (docs/architecture.md §6.1): gives every event
 * written before the hash chain its `prevHash` and `hash`, in global order, in one transaction, so
 * a crash leaves the ledger as it was. Only the `metadata` column changes (its members then in the
 * order the decorator writes them); data, types, revisions and positions stay as they are. The
 * caller holds the data directory's lock (the service is stopped): this writes the file directly,
 * beside the store's group commit.
 *
 * It never rewrites a hash. An event that already has one must check (its hash is that of its
 * content and its prevHash that of its predecessor), and a stream must be complete (revisions 0,
 * 1, 2, … in position order); otherwise the ledger is refused as it is, since chaining over a
 * gap or a bad hash would certify what it cannot vouch for.
 */
import type Database from 'better-sqlite3';
import { chainHash, ChainChecker, recomputeHash, type ChainFinding } from '../audit/chain';
import { canonicalOrder } from '../lib/canonical-json';
import { LedgerUnavailable } from './errors';
import type { JsonObject } from './event-store';
import { toLedgerError } from './sqlite-errors';
import { openLedgerDatabase } from './sqlite-schema';

const PAGE = 4096;

export interface ChainMigrationReport {
  readonly path: string;
  /** Events in the ledger. */
  readonly events: number;
  readonly streams: number;
  /** Events this run gave a hash. */
  readonly chained: number;
  /** Positions of the first and last event chained by this run (null when none). */
  readonly firstChained: number | null;
  readonly lastChained: number | null;
  /** What the chain check found after the commit (a gap in positions older than the chain, …). */
  readonly findings: readonly ChainFinding[];
  readonly milliseconds: number;
}

interface Row {
  position: number;
  stream: string;
  revision: number;
  type: string;
  data: string;
  metadata: string;
}

const SELECT_PAGE =
  'SELECT position, stream, revision, type, data, metadata FROM events WHERE position > ? ORDER BY position LIMIT ?';

/** Chains the ledger file at `path` in place. Throws `LedgerUnavailable` when it cannot be chained. */
export function chainSqliteLedger(path: string): ChainMigrationReport {
  const started = process.hrtime.bigint();
  const db = openLedgerDatabase(path);
  try {
    const refuse = (what: string) =>
      new LedgerUnavailable(`ledger ${path} cannot be chained: ${what}; nothing was changed`);
    const page = db.prepare<[number, number], Row>(SELECT_PAGE);
    const update = db.prepare<[string, number]>('UPDATE events SET metadata = ? WHERE position = ?');
    const migrate = db.transaction(() => {
      const tails = new Map<string, { revision: number; hash: string }>();
      let events = 0;
      let chained = 0;
      let firstChained: number | null = null;
      let lastChained: number | null = null;
      let after = 0;
      for (;;) {
        const rows = page.all(after, PAGE);
        if (rows.length === 0) break;
        for (const row of rows) {
          after = row.position;
          events++;
          const where = `position ${row.position} (stream "${row.stream}", revision ${row.revision})`;
          const tail = tails.get(row.stream);
          if (row.revision !== (tail === undefined ? 0 : tail.revision + 1)) {
            throw refuse(
              `at ${where} the stream ${tail === undefined ? 'starts' : `goes on from revision ${tail.revision}`} ` +
                'with a revision out of sequence: events are missing or out of order',
            );
          }
          const data = JSON.parse(row.data) as JsonObject;
          const metadata = JSON.parse(row.metadata) as JsonObject;
          const prevHash = tail?.hash ?? null;
          let hash: string;
          if (metadata.hash !== undefined) {
            const event = { ...row, streamName: row.stream, data, metadata };
            if (metadata.prevHash !== prevHash || recomputeHash(event) !== metadata.hash)
              throw refuse(
                `the event at ${where} carries a hash that does not check: the ledger changed after it was chained`,
              );
            hash = metadata.hash as string;
          } else {
            if (Object.hasOwn(metadata, 'prevHash'))
              throw refuse(`the event at ${where} has a prevHash but no hash`);
            // In the order the decorator writes: members canonical, `hash` last.
            const linked = canonicalOrder({ ...metadata, prevHash });
            hash = chainHash({
              stream: row.stream,
              revision: row.revision,
              type: row.type,
              data,
              metadata: linked,
            });
            update.run(JSON.stringify({ ...linked, hash }), row.position);
            chained++;
            firstChained ??= row.position;
            lastChained = row.position;
          }
          tails.set(row.stream, { revision: row.revision, hash });
        }
      }
      return { events, streams: tails.size, chained, firstChained, lastChained };
    });
    let counts: ReturnType<typeof migrate>;
    try {
      counts = migrate.immediate();
    } catch (error) {
      throw toLedgerError(error, path, 'chaining its events');
    }
    const findings = check(db, path);
    const milliseconds = Math.round(Number(process.hrtime.bigint() - started) / 1e6);
    return { path, ...counts, findings, milliseconds };
  } finally {
    db.close();
  }
}

/** Reads the whole ledger back through the chain checker (positions are dense in SQLite). */
function check(db: Database.Database, path: string): ChainFinding[] {
  const page = db.prepare<[number, number], Row>(SELECT_PAGE);
  const checker = new ChainChecker({ densePositions: true });
  const findings: ChainFinding[] = [];
  try {
    let after = 0;
    for (;;) {
      const rows = page.all(after, PAGE);
      if (rows.length === 0) break;
      for (const row of rows) {
        after = row.position;
        const event = {
          streamName: row.stream,
          revision: row.revision,
          position: row.position,
          type: row.type,
          data: JSON.parse(row.data) as JsonObject,
          metadata: JSON.parse(row.metadata) as JsonObject,
        };
        findings.push(...checker.check(event));
      }
    }
  } catch (error) {
    throw toLedgerError(error, path, 'checking its chain');
  }
  findings.push(...checker.finish());
  return findings.sort((a, b) => a.position - b.position);
}
