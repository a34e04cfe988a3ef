/**
 * `keyledger audit verify`: the ledger checked straight from its store, with or without the
 * service running (docs/architecture.md §6). Exit 0 only when every chain, tree and checkpoint
 * holds; 1 with each finding by stream and position; 2 for usage.
 */
import type { Command } from 'commander';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { UsageError, output } from './api-client';

/* eslint-disable @typescript-eslint/no-require-imports */
// The store, the audit code and the bar load only when the command runs (see main.ts).
const configModule = (): typeof import('../app/config') => require('../app/config');
const verifyModule = (): typeof import('../app/audit/verify') => require('../app/audit/verify');
const queriesModule = (): typeof import('../app/audit/audit.queries') =>
  require('../app/audit/audit.queries');
const checkpointerModule = (): typeof import('../app/audit/checkpointer') =>
  require('../app/audit/checkpointer');
const sqliteModule = (): typeof import('../event-store/sqlite-event-store') =>
  require('../event-store/sqlite-event-store');
const portModule = (): typeof import('../event-store/event-store') => require('../event-store/event-store');
const openStoreModule = (): typeof import('../server/open-event-store') =>
  require('../server/open-event-store');
const progressBar = (): typeof import('cli-progress') => require('cli-progress');
const lockModule = (): typeof import('../server/data-dir-lock') => require('../server/data-dir-lock');
const chainModule = (): typeof import('../event-store/chained-event-store') =>
  require('../event-store/chained-event-store');
const contextModule = (): typeof import('../app/custody/append-decision') =>
  require('../app/custody/append-decision');
/* eslint-enable @typescript-eslint/no-require-imports */

interface VerifyOptions {
  key: string[];
  checkpoint: string[];
  json?: boolean;
  record?: boolean;
}

const collect = (value: string, previous: string[]) => [...previous, value];

/** A verifier key given inline, or the path of a file holding one. */
function verifierKey(value: string): string {
  if (value.includes('+')) return value.trim();
  if (!fs.existsSync(value)) throw new UsageError(`--key ${value}: neither a verifier key nor a file`);
  return fs.readFileSync(value, 'utf8').trim();
}

export function registerAuditVerify(audit: Command): void {
  audit
    .command('verify')
    .description(
      'check the ledger in KEYLEDGER_DATA_DIR (or KEYLEDGER_EVENTSTORE): every hash chain, the Merkle tree against every signed checkpoint; exit 0 only when all holds',
    )
    .option(
      '--key <vkey|file>',
      'trusted audit verifier key (C2SP); repeatable. Without: the key the ledger records',
      collect,
      [],
    )
    .option(
      '--checkpoint <file>',
      'a checkpoint note saved earlier (GET /v1/audit/checkpoint); repeatable',
      collect,
      [],
    )
    .option(
      '--no-record',
      'do not record the result in the ledger (recorded by default when the service is stopped)',
    )
    .option('--json', 'print the report as JSON')
    .action(async (options: VerifyOptions) => {
      const config = configModule().loadConfig();
      const keys = options.key.map(verifierKey);
      const witnesses = options.checkpoint.map((file) => {
        if (!fs.existsSync(file)) throw new UsageError(`--checkpoint ${file} does not exist`);
        return { source: file, note: fs.readFileSync(file, 'utf8') };
      });
      // The service's own copy of its latest checkpoint is a witness too, when there is one.
      const own = path.join(config.dataDir, checkpointerModule().CHECKPOINT_FILE);
      if (config.eventStore.kind === 'sqlite' && fs.existsSync(own))
        witnesses.push({ source: own, note: fs.readFileSync(own, 'utf8') });
      if (config.eventStore.kind === 'sqlite' && !fs.existsSync(path.join(config.dataDir, 'ledger.sqlite')))
        throw new UsageError(`there is no ledger in ${config.dataDir} (KEYLEDGER_DATA_DIR)`);
      const store = await openStoreModule().openLedgerStore(config);
      const tty = process.stderr.isTTY === true && !options.json;
      const bar = tty
        ? new (progressBar().SingleBar)({
            stream: process.stderr,
            format: 'verifying [{bar}] {value}/{total} events | eta {eta}s',
            hideCursor: true,
          })
        : undefined;
      let report;
      try {
        const total = await store.headPosition();
        bar?.start(total, 0);
        report = await verifyModule().verifyLedger(store, {
          trustedKeys: keys,
          witnesses,
          densePositions: portModule().hasDensePositions(store),
          onProgress: (done) => bar?.update(done),
        });
      } finally {
        bar?.stop();
        await store.close();
      }
      const view = { ...report, verifiedAt: new Date().toISOString() };
      const recorded = options.record === false ? 'not asked' : await record(config, view);
      output(options.json, { ...view, recorded }, () => `${reportText(view)}\n  recorded     ${recorded}`);
      if (!report.ok) process.exitCode = 1;
    });
}

/**
 * Records the verification in the ledger's `audit` stream (the integrity report shows it): only
 * with the embedded ledger's lock, i.e. the service stopped; a running service records its own
 * (POST /v1/audit/verify).
 */
async function record(
  config: import('../app/config').KeyledgerConfig,
  view: import('../app/audit/audit.queries').VerificationView,
): Promise<string> {
  if (config.eventStore.kind !== 'sqlite') return 'no: use POST /v1/audit/verify on the service';
  let lock;
  try {
    lock = lockModule().lockDataDir(config.dataDir, () => 'the service is running');
  } catch {
    return 'no: the service is running (POST /v1/audit/verify records one)';
  }
  try {
    const store = chainModule().chainedEventStore(await sqliteModule().openSqliteEventStore(config.dataDir));
    try {
      const clock = { now: () => new Date() };
      const actor = { operatorId: `cli:${os.userInfo().username}`, role: 'auditor' as const };
      await queriesModule().recordVerification(
        { store, context: (a) => new (contextModule().OpContext)(a, clock) },
        view,
        actor,
      );
      return `in the ledger's audit stream, by ${actor.operatorId}`;
    } finally {
      await store.close();
    }
  } finally {
    lock.release();
  }
}

function reportText(r: import('../app/audit/verify').VerifyReport): string {
  const lines = [
    `${r.ok ? 'ledger verified' : 'LEDGER DOES NOT VERIFY'}: ${r.events} events up to position ${r.headPosition}`,
    `  checkpoints  ${r.checkpoints.verified} verified, ${r.checkpoints.failed} failed (${r.checkpoints.witnesses} from outside the ledger)`,
    `  audit key    ${r.keySource === 'given' ? 'given with --key' : r.keySource === 'ledger' ? "the ledger's own record of it (give --key to trust one you hold)" : 'none recorded'}`,
    `  anchored     ${r.lastCheckpoint === null ? 'no checkpoint' : `${r.lastCheckpoint.treeSize} events by the checkpoint at position ${r.lastCheckpoint.position}`}; ${r.unanchored} after it`,
  ];
  if (r.findings.length > 0) {
    lines.push(`  first bad position: ${r.firstBadPosition}`);
    for (const f of r.findings)
      lines.push(
        `  ${f.kind.padEnd(19)} position ${f.position}${f.stream ? ` ${f.stream}` : ''}${f.revision === null ? '' : `@${f.revision}`}: ${f.detail}`,
      );
  }
  return lines.join('\n');
}
