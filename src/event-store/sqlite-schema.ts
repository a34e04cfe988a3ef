import { accessSync, constants, statSync, type Stats } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { createPrivateFile, tightenSqliteFiles } from '../lib/private-files';
import { LedgerUnavailable } from './errors';
import { toLedgerError } from './sqlite-errors';

/** `PRAGMA application_id` of a keyledger ledger: ASCII "KLDG". */
export const LEDGER_APPLICATION_ID = 0x4b4c4447;
/** `PRAGMA user_version`: bumped on every schema change. */
export const LEDGER_SCHEMA_VERSION = 1;
const LEDGER_FORMAT = 'keyledger-ledger';
/** Below this size open runs the full integrity_check (it also checks indexes); above, quick_check. */
const FULL_CHECK_MAX_BYTES = 64 * 1024 * 1024;

const SCHEMA = `
  CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT, WITHOUT ROWID;
  CREATE TABLE streams (
    name TEXT PRIMARY KEY,
    revision INTEGER NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0
  ) STRICT, WITHOUT ROWID;
  CREATE TABLE events (
    position INTEGER PRIMARY KEY,
    stream TEXT NOT NULL,
    revision INTEGER NOT NULL,
    id TEXT NOT NULL,
    type TEXT NOT NULL,
    data TEXT NOT NULL,
    metadata TEXT NOT NULL,
    recorded_at TEXT NOT NULL
  ) STRICT;
  CREATE UNIQUE INDEX events_stream_revision ON events (stream, revision);
`;

function refuse(path: string, what: string): LedgerUnavailable {
  return new LedgerUnavailable(`ledger ${path} ${what}`);
}

function statOrUndefined(path: string): Stats | undefined {
  try {
    return statSync(path, { throwIfNoEntry: false });
  } catch (err) {
    throw toLedgerError(err, path, 'inspecting the file');
  }
}

/** SQLite would quietly open an unwritable ledger read-only; we fail at open instead. */
function assertAccess(path: string, mode: number, ledger: string): void {
  try {
    accessSync(path, mode);
  } catch (err) {
    throw toLedgerError(err, ledger, `checking access to ${path}`);
  }
}

/**
 * Decides from the file system alone whether `path` may start as a new ledger. SQLite writes the
 * header to the main file when it switches to WAL, before any commit, so committed events can
 * never live only in a WAL beside an empty or missing main file: that state means the main file
 * was truncated, replaced or deleted, and we refuse it rather than start an empty ledger over it.
 * A zero-length file with no WAL is what a crash between creating the file and the first commit
 * leaves (and what `touch` makes); nothing was ever committed, so it is initialised as new.
 */
function inspect(path: string): { exists: boolean; size: number } {
  const main = statOrUndefined(path);
  const wal = statOrUndefined(`${path}-wal`);
  if (main === undefined) {
    const parent = statOrUndefined(dirname(path));
    if (parent === undefined)
      throw refuse(path, `cannot be created: directory ${dirname(path)} does not exist`);
    if (!parent.isDirectory()) throw refuse(path, `cannot be created: ${dirname(path)} is not a directory`);
  } else if (!main.isFile()) {
    throw refuse(path, 'is not a regular file');
  } else {
    assertAccess(path, constants.R_OK | constants.W_OK, path);
  }
  // The directory must take the -wal and -shm files.
  assertAccess(dirname(path), constants.W_OK | constants.X_OK, path);
  if ((main?.size ?? 0) === 0 && wal !== undefined && wal.size > 0) {
    throw refuse(
      path,
      `is ${main ? 'empty' : 'missing'} but its write-ahead log ${path}-wal holds ${wal.size} bytes: ` +
        'the main file was truncated, replaced or deleted; restore it from a backup',
    );
  }
  return { exists: main !== undefined, size: main?.size ?? 0 };
}

function initialise(db: Database.Database): void {
  db.pragma('journal_mode = WAL');
  db.transaction(() => {
    db.pragma(`application_id = ${LEDGER_APPLICATION_ID}`);
    db.pragma(`user_version = ${LEDGER_SCHEMA_VERSION}`);
    db.exec(SCHEMA);
    const insert = db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)');
    insert.run('format', LEDGER_FORMAT);
    insert.run('created_at', new Date().toISOString());
  }).immediate();
}

/** Refuses anything that is not an intact keyledger ledger this build can read. */
function verify(db: Database.Database, path: string, size: number): void {
  const applicationId = db.pragma('application_id', { simple: true }) as number;
  if (applicationId !== LEDGER_APPLICATION_ID) {
    const hex = (n: number) => `0x${(n >>> 0).toString(16).padStart(8, '0')}`;
    throw refuse(
      path,
      `is a SQLite database but not a keyledger ledger (application_id ${hex(applicationId)}, ` +
        `expected ${hex(LEDGER_APPLICATION_ID)}); refusing to use it`,
    );
  }
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version !== LEDGER_SCHEMA_VERSION) {
    throw refuse(
      path,
      `has schema version ${version}; this keyledger reads version ${LEDGER_SCHEMA_VERSION}`,
    );
  }
  const check = size <= FULL_CHECK_MAX_BYTES ? 'integrity_check' : 'quick_check';
  const problems = (db.pragma(`${check}(10)`) as Array<Record<string, string>>)
    .map((row) => Object.values(row)[0])
    .filter((message) => message !== 'ok');
  if (problems.length > 0) throw refuse(path, `is corrupt (${check}: ${problems.join('; ')})`);
  const hasMeta = db
    .prepare("SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'meta'")
    .pluck()
    .get();
  const marker =
    hasMeta === 1 ? db.prepare("SELECT value FROM meta WHERE key = 'format'").pluck().get() : undefined;
  if (marker !== LEDGER_FORMAT) throw refuse(path, `has no "${LEDGER_FORMAT}" marker in its meta table`);
}

/**
 * Opens (or creates) the ledger file in WAL mode with `synchronous=FULL`, so a resolved append has
 * been fsynced. Every failure is a `LedgerUnavailable` that names the file and what is wrong. The
 * ledger's files are 0600 (`tightenSqliteFiles`): a new one is created so, an existing one of ours
 * is tightened once it has proved to be a ledger (a file we refuse keeps its mode).
 */
export function openLedgerDatabase(path: string): Database.Database {
  const { exists, size } = inspect(path);
  let db: Database.Database;
  try {
    if (!exists) createPrivateFile(path);
  } catch (err) {
    throw toLedgerError(err, path, 'creating');
  }
  try {
    db = new Database(path);
  } catch (err) {
    throw toLedgerError(err, path, 'opening');
  }
  try {
    // Reading the header first means a foreign database is refused before we write to it. A blank
    // database (new file, or a crash before `initialise` committed) holds nothing: it becomes a ledger.
    const isBlank =
      db.pragma('application_id', { simple: true }) === 0 &&
      db.prepare('SELECT count(*) FROM sqlite_schema').pluck().get() === 0;
    if (isBlank) initialise(db);
    verify(db, path, size);
    const mode = db.pragma('journal_mode = WAL', { simple: true });
    if (mode !== 'wal')
      throw refuse(path, `cannot use write-ahead logging (journal_mode is ${String(mode)})`);
    db.pragma('synchronous = FULL');
    tightenSqliteFiles(path);
    return db;
  } catch (err) {
    db.close();
    throw toLedgerError(err, path, 'checking the ledger');
  }
}
