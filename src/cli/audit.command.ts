import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { registerAuditVerify } from './audit-verify.command';

// The ledger code (better-sqlite3, the chain) loads when an `audit` command runs, not when the CLI
// starts (see main.ts).
/* eslint-disable @typescript-eslint/no-require-imports */
const configModule = (): typeof import('../app/config') => require('../app/config');
const lockModule = (): typeof import('../server/data-dir-lock') => require('../server/data-dir-lock');
const migrationModule = (): typeof import('../event-store/sqlite-chain-migration') =>
  require('../event-store/sqlite-chain-migration');
/* eslint-enable @typescript-eslint/no-require-imports */

/** src/event-store/sqlite-event-store.ts LEDGER_FILE_NAME, without loading the store for it. */
const LEDGER_FILE_NAME = 'ledger.sqlite';

/**
 * `keyledger audit …`: the ledger's integrity (docs/architecture.md §6). `migrate` chains a ledger
 * written before the hash chain; it works on the ledger file itself, so the service must be stopped.
 */
export function registerAuditCommand(program: Command): void {
  const audit = program
    .command('audit')
    .description("the ledger's integrity: its hash chain, Merkle tree and signed checkpoints");
  registerAuditVerify(audit);
  audit
    .command('migrate')
    .description(
      'chain an embedded (SQLite) ledger written before the hash chain, in place and in one transaction; ' +
        'stop the service first (KEYLEDGER_DATA_DIR names the ledger)',
    )
    .action(() => {
      const config = configModule().loadConfig();
      if (config.eventStore.kind !== 'sqlite') {
        throw new Error(
          'audit migrate chains the embedded SQLite ledger only: EventStoreDB events are immutable once ' +
            'written (a stream can only be deleted or truncated, never rewritten), so an EventStoreDB ledger ' +
            'written before the hash chain cannot be chained in place (docs/architecture.md §6.1)',
        );
      }
      const ledger = path.join(config.dataDir, LEDGER_FILE_NAME);
      if (!existsSync(ledger))
        throw new Error(`no ledger at ${ledger}: nothing to migrate (KEYLEDGER_DATA_DIR)`);
      const lock = lockModule().lockDataDir(config.dataDir, (pid) =>
        pid === undefined
          ? `data directory ${config.dataDir} is already in use in this process`
          : `data directory ${config.dataDir} is in use by process ${pid} (a running "keyledger serve"?); ` +
            'stop the service before migrating its ledger',
      );
      let report: ReturnType<typeof import('../event-store/sqlite-chain-migration').chainSqliteLedger>;
      try {
        report = migrationModule().chainSqliteLedger(ledger);
      } finally {
        lock.release();
      }
      const { events, streams, chained, firstChained, lastChained, findings, milliseconds } = report;
      if (chained === 0) {
        console.log(
          `ledger ${ledger} is already chained: ${events} events in ${streams} streams; nothing changed`,
        );
      } else {
        console.log(
          `ledger ${ledger}: chained ${chained} of ${events} events in ${streams} streams ` +
            `(positions ${firstChained}–${lastChained}) in one transaction, ${milliseconds} ms`,
        );
      }
      if (findings.length === 0) {
        console.log(`  chain check: ${events} events, nothing to report`);
        return;
      }
      // Older than the chain (a row deleted before it existed): chaining cannot undo it, so it is said.
      console.log(`  chain check: ${findings.length} finding(s) the chain cannot repair:`);
      for (const f of findings) {
        const what = f.stream === null ? '' : ` stream "${f.stream}" revision ${f.revision}`;
        console.log(`    ${f.kind} at position ${f.position}${what}: ${f.detail}`);
      }
    });
}
