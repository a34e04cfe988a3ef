/**
 * Files only the service's user may read (issue 10 item 5, README "The ledger"): the data
 * directory is 0700 and every file keyledger keeps in it 0600. A file is created with that mode
 * (never created wider and narrowed later), and one this user owns that is wider loses its group
 * and other bits.
 */
import * as fs from 'node:fs';

export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

/** `0o755` → `"0755"`, as `ls -l` users and chmod read it. */
export function octalMode(mode: number): string {
  return `0${(mode & 0o7777).toString(8).padStart(3, '0')}`;
}

/** Whether this process's effective user owns what `stat` describes. */
export function ownedByUs(stat: fs.Stats): boolean {
  return stat.uid === process.geteuid?.();
}

/** Creates `file` empty with mode 0600 unless it exists (an existing file is not opened). True if it created it. */
export function createPrivateFile(file: string): boolean {
  try {
    fs.closeSync(fs.openSync(file, 'wx', PRIVATE_FILE_MODE));
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

/**
 * Takes the group and other bits off `target` (a file or directory; a symlink is left alone) when
 * this user owns it. Returns the mode it had if it changed it; undefined if absent, not ours or
 * already private.
 */
export function tightenIfOurs(target: string): number | undefined {
  const stat = fs.lstatSync(target, { throwIfNoEntry: false });
  if (stat === undefined || stat.isSymbolicLink() || !ownedByUs(stat) || (stat.mode & 0o077) === 0)
    return undefined;
  fs.chmodSync(target, stat.mode & 0o700);
  return stat.mode & 0o7777;
}

/** A SQLite database's files: the main file and what SQLite creates beside it. */
export function sqliteFiles(database: string): string[] {
  return [database, `${database}-wal`, `${database}-shm`, `${database}-journal`];
}

/**
 * Called right after a SQLite database is opened in WAL mode. The main file was created 0600 by
 * `createPrivateFile` (SQLite itself would create it 0644 less the umask); SQLite gives -wal and
 * -shm the main file's mode when it creates them (3.53 does, test/event-store/sqlite-file-modes.int.spec.ts
 * checks), which not every build guarantees, and a file from an older keyledger may be wider. So
 * every file of the database is tightened here, once the connection made them. A process umask of
 * 0o077 around the open would also do, but the umask is process-wide (the libuv thread pool's file
 * operations of the same instant would get it too) and Worker threads cannot set it; the data
 * directory is 0700, so nobody else can reach a file between its creation and this chmod.
 */
export function tightenSqliteFiles(database: string): void {
  for (const file of sqliteFiles(database)) tightenIfOurs(file);
}
