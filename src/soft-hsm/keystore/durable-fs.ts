/**
 * Crash-safe file primitives for the soft HSM's state directory.
 *
 * A real HSM's keystore survives a power cut mid-write (libhal keeps a tombstone of the old block
 * until the new one is live, docs/libhal-rpc.md §6.3). The file-system equivalent: write a temporary
 * file in the same directory, fsync it, rename it over the target, fsync the directory. After a
 * crash at any instant the target is either the complete old file or the complete new one; stray
 * temporaries are removed at start-up by `removeStaleTemporaries`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Prefix of temporaries; never a valid record name, so a scan can tell them apart. */
export const TEMP_PREFIX = '.tmp-';

let tempCounter = 0;

/** Flushes a directory's entries (new names, renames, unlinks) to stable storage. */
export function fsyncDir(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Atomically replaces `file` with `data` (mode 0600): temp → fsync → rename → fsync(dir).
 * The temporary is zero-filled and removed if any step fails before the rename.
 */
export function writeFileDurable(file: string, data: Uint8Array): void {
  const dir = path.dirname(file);
  const tmp = path.join(dir, `${TEMP_PREFIX}${process.pid}-${++tempCounter}-${path.basename(file)}`);
  const fd = fs.openSync(tmp, 'wx', 0o600);
  let renamed = false;
  try {
    let off = 0;
    while (off < data.length) off += fs.writeSync(fd, data, off, data.length - off);
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fs.renameSync(tmp, file);
    renamed = true;
  } finally {
    if (!renamed) {
      try {
        fs.closeSync(fd);
      } catch {
        // already closed
      }
      fs.rmSync(tmp, { force: true });
    }
  }
  fsyncDir(dir);
}

/** Removes `file` if present and makes the removal durable. Returns whether it existed. */
export function unlinkDurable(file: string): boolean {
  try {
    fs.unlinkSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
  fsyncDir(path.dirname(file));
  return true;
}

/** Creates `dir` (mode 0700) if missing and makes its entry durable in the parent. */
export function mkdirDurable(dir: string): void {
  if (fs.existsSync(dir)) return;
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  fsyncDir(path.dirname(dir));
}

/** Deletes temporaries left by a crash between "write temp" and "rename". */
export function removeStaleTemporaries(dir: string): number {
  let removed = 0;
  for (const name of fs.readdirSync(dir)) {
    if (!name.startsWith(TEMP_PREFIX)) continue;
    fs.rmSync(path.join(dir, name), { force: true });
    removed++;
  }
  if (removed > 0) fsyncDir(dir);
  return removed;
}

/** Reads a file, or undefined if it does not exist. */
export function readFileIfExists(file: string): Buffer | undefined {
  try {
    return fs.readFileSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
