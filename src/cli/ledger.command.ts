import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { output, UsageError } from './api-client';

// The stores load when a `ledger` command runs, not when the CLI starts (see main.ts).
/* eslint-disable @typescript-eslint/no-require-imports */
const copyModule = (): typeof import('../event-store/ledger-copy') => require('../event-store/ledger-copy');
const sqliteModule = (): typeof import('../event-store/sqlite-event-store') =>
  require('../event-store/sqlite-event-store');
const postgresModule = (): typeof import('../event-store/postgres-event-store') =>
  require('../event-store/postgres-event-store');
const esdbModule = (): typeof import('../event-store/esdb-event-store') =>
  require('../event-store/esdb-event-store');
const lockModule = (): typeof import('../server/data-dir-lock') => require('../server/data-dir-lock');
const progressBar = (): typeof import('cli-progress') => require('cli-progress');
/* eslint-enable @typescript-eslint/no-require-imports */

type Location =
  | { kind: 'sqlite'; dataDir: string; text: string }
  | { kind: 'postgres'; url: string; text: string }
  | { kind: 'esdb'; url: string; text: string };

/**
 * A ledger named on the command line: postgres://…, esdb://…, or a data directory of the embedded
 * ledger (`sqlite:DIR`, a plain DIR, or DIR/ledger.sqlite).
 */
export function parseLedgerLocation(raw: string, flag: string): Location {
  const value = raw.trim();
  if (value === '') throw new UsageError(`${flag} names no ledger`);
  if (/^postgres(ql)?:\/\//.test(value)) {
    const u = new URL(value);
    const text = `postgres://${u.host}${u.pathname}${u.searchParams.has('schema') ? `?schema=${u.searchParams.get('schema')}` : ''}`;
    return { kind: 'postgres', url: value, text };
  }
  if (/^esdb(\+discover)?:\/\//.test(value)) return { kind: 'esdb', url: value, text: value.split('?')[0] };
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value))
    throw new UsageError(
      `${flag} must be postgres://…, esdb://… or the data directory of an embedded ledger`,
    );
  let dir = path.resolve(value.replace(/^sqlite:/, ''));
  if (path.basename(dir) === 'ledger.sqlite') dir = path.dirname(dir);
  return { kind: 'sqlite', dataDir: dir, text: `sqlite:${dir}` };
}

async function open(location: Location, role: 'source' | 'target') {
  switch (location.kind) {
    case 'postgres':
      return postgresModule().openPostgresEventStore(location.url);
    case 'esdb':
      if (role === 'target')
        throw new UsageError(
          '--to must be a SQLite or PostgreSQL ledger (EventStoreDB cannot keep the stored text)',
        );
      return esdbModule().openEsdbEventStore(location.url);
    case 'sqlite': {
      if (role === 'source' && !existsSync(path.join(location.dataDir, 'ledger.sqlite')))
        throw new UsageError(`there is no ledger in ${location.dataDir}`);
      return sqliteModule().openSqliteEventStore(location.dataDir);
    }
  }
}

/** `keyledger ledger …`: whole-ledger operations that work on stores directly, not through a service. */
export function registerLedgerCommand(program: Command): void {
  const ledger = program.command('ledger').description('whole-ledger operations on the stores themselves');
  ledger
    .command('copy')
    .description(
      'copy every event of one ledger into a new, empty one (SQLite ↔ PostgreSQL), keeping streams, revisions, ' +
        'ids and the stored text the hash chain covers; then compare both (count and SHA-256). ' +
        'A ledger is postgres://user@host:port/db[?schema=name], esdb://… (source only) or a data directory',
    )
    .requiredOption('--from <ledger>', 'the ledger to copy')
    .requiredOption('--to <ledger>', 'the new ledger (must be empty)')
    .option('--json', 'print the result as JSON')
    .action(async (options: { from: string; to: string; json?: boolean }) => {
      const from = parseLedgerLocation(options.from, '--from');
      const to = parseLedgerLocation(options.to, '--to');
      if (from.text === to.text) throw new UsageError('--from and --to name the same ledger');
      // A copy into an embedded ledger holds its data directory, as a service would.
      const lock =
        to.kind === 'sqlite'
          ? lockModule().lockDataDir(to.dataDir, (pid) =>
              pid === undefined
                ? `${to.dataDir} is in use`
                : `${to.dataDir} is in use by process ${pid} (a service?)`,
            )
          : undefined;
      const started = Date.now();
      const tty = process.stderr.isTTY === true && !options.json;
      const bar = tty
        ? new (progressBar().SingleBar)({
            stream: process.stderr,
            format: 'copying [{bar}] {value}/{total} events | eta {eta}s',
            hideCursor: true,
          })
        : undefined;
      try {
        const source = await open(from, 'source');
        try {
          const target = await open(to, 'target');
          try {
            let begun = false;
            const report = await copyModule().copyLedger(source, target, ({ copied, total }) => {
              if (!begun) bar?.start(total, 0);
              begun = true;
              bar?.update(copied);
            });
            bar?.stop();
            const ms = Date.now() - started;
            output(options.json, { from: from.text, to: to.text, ...report, milliseconds: ms }, () =>
              [
                `copied ${report.events} events in ${report.streams} streams (${report.tombstoned} tombstoned) ` +
                  `from ${from.text} to ${to.text} in ${(ms / 1000).toFixed(1)} s`,
                `  verified: both hold ${report.events} events, sha256 ${report.digest}`,
              ].join('\n'),
            );
          } finally {
            await target.close();
          }
        } finally {
          await source.close();
        }
      } finally {
        bar?.stop();
        lock?.release();
      }
    });
}
