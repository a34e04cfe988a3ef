import type { Command } from 'commander';
import * as fs from 'node:fs';
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
const privateFiles = (): typeof import('../lib/private-files') => require('../lib/private-files');
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
    try {
      postgresModule().parsePostgresUrl(value);
    } catch (error) {
      // Its messages name parameters, never their values nor the password.
      throw new UsageError(`${flag}: ${(error as Error).message}`);
    }
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
      if (role === 'target') return postgresModule().openPostgresEventStore(location.url);
      // The source is only read: a schema that is not there is refused, never created.
      try {
        return await postgresModule().openPostgresEventStore(location.url, { existing: true });
      } catch (error) {
        const found = error as { type?: unknown; reason?: unknown };
        if (found.type === 'no-ledger')
          throw new UsageError(`there is no ledger in ${location.text}: ${String(found.reason)}`);
        throw error;
      }
    case 'esdb':
      if (role === 'target')
        throw new UsageError(
          '--to must be a SQLite or PostgreSQL ledger (EventStoreDB cannot keep the stored text)',
        );
      return esdbModule().openEsdbEventStore(location.url);
    case 'sqlite': {
      if (role === 'source' && !fs.existsSync(path.join(location.dataDir, 'ledger.sqlite')))
        throw new UsageError(`there is no ledger in ${location.dataDir}`);
      return sqliteModule().openSqliteEventStore(location.dataDir);
    }
  }
}

/** What a copy made for its embedded target, so that a failed copy can take exactly that away. */
interface MadeForTarget {
  readonly dataDir: string;
  /** The topmost directory the copy created (it created those below it too); undefined if it existed. */
  readonly created: string | undefined;
  /** The ledger's files (ledger.sqlite, -wal, …) that were not there before the copy. */
  readonly files: string[];
}

/**
 * Creates the data directory of an embedded target 0700, as every data directory is (README, "The
 * ledger"; the ledger's files are created 0600 by its store), and notes what was already there.
 */
function makeTargetDir(dataDir: string): MadeForTarget {
  try {
    const stat = fs.statSync(dataDir, { throwIfNoEntry: false });
    if (stat !== undefined && !stat.isDirectory())
      throw new UsageError(
        `--to ${dataDir} is a file, not a directory: name a new or empty directory for the copy`,
      );
    const { PRIVATE_DIR_MODE, sqliteFiles } = privateFiles();
    const files = sqliteFiles(path.join(dataDir, 'ledger.sqlite')).filter((f) => !fs.existsSync(f));
    return { dataDir, created: fs.mkdirSync(dataDir, { recursive: true, mode: PRIVATE_DIR_MODE }), files };
  } catch (error) {
    if (error instanceof UsageError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOTDIR' || code === 'EEXIST')
      throw new UsageError(`--to ${dataDir} cannot be created: a directory on its path is a file`);
    throw new UsageError(`--to ${dataDir} cannot be created: ${(error as Error).message}`);
  }
}

/** Removes the directories `makeTargetDir` created, deepest first, each only if it is empty. */
function removeCreatedDirs(made: MadeForTarget): void {
  if (made.created === undefined) return;
  for (let dir = made.dataDir; ; dir = path.dirname(dir)) {
    try {
      fs.rmdirSync(dir);
    } catch {
      return;
    }
    if (dir === made.created) return;
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
      const started = Date.now();
      const tty = process.stderr.isTTY === true && !options.json;
      const bar = tty
        ? new (progressBar().SingleBar)({
            stream: process.stderr,
            format: 'copying [{bar}] {value}/{total} events | eta {eta}s',
            hideCursor: true,
          })
        : undefined;
      let made: MadeForTarget | undefined;
      let lock: { release(): void } | undefined;
      let copied = false;
      try {
        // The source first: a missing or unreachable one leaves nothing behind at the target.
        const source = await open(from, 'source');
        try {
          if (to.kind === 'sqlite') {
            made = makeTargetDir(to.dataDir);
            // A copy into an embedded ledger holds its data directory, as a service would.
            lock = lockModule().lockDataDir(to.dataDir, (pid) =>
              pid === undefined
                ? `${to.dataDir} is in use`
                : `${to.dataDir} is in use by process ${pid} (a service?)`,
            );
          }
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
            copied = true;
          } finally {
            await target.close();
          }
        } finally {
          await source.close();
        }
      } finally {
        bar?.stop();
        // A failed copy takes away what it created: the ledger's files while it still holds the lock
        // (so no service can have made them), its directories once the lock file is gone.
        if (!copied && lock !== undefined)
          for (const file of made?.files ?? []) fs.rmSync(file, { force: true });
        lock?.release();
        if (!copied && made !== undefined) removeCreatedDirs(made);
      }
    });
}
