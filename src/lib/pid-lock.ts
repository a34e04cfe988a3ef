/**
 * A directory lock held by one process: a file holding the owner's pid, created exclusively. A lock
 * left by a process that no longer runs (kill -9) is taken over. Used for the soft HSM's state
 * directory and for the service's data directory.
 */
import * as fs from 'node:fs';

const lockedHere = new Set<string>();

/** The pid in a lock file; NaN if it is gone or holds no number. */
function ownerOf(file: string): number {
  try {
    return Number.parseInt(fs.readFileSync(file, 'utf8'), 10);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return NaN;
    throw error;
  }
}

/** True if `pid` is a live process (EPERM still means it exists). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A held lock; `release()` is idempotent. */
export interface PidLock {
  release(): void;
}

/**
 * Takes the lock `file`. `inUse(pid)` builds the error thrown when another live process (or this
 * one, `pid` undefined) holds it.
 */
export function takePidLock(file: string, inUse: (pid: number | undefined) => Error): PidLock {
  if (lockedHere.has(file)) throw inUse(undefined);
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = fs.openSync(file, 'wx', 0o600);
      fs.writeSync(fd, `${process.pid}\n`);
      fs.fsyncSync(fd);
      fs.closeSync(fd);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw error;
      const pid = ownerOf(file);
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) throw inUse(pid);
      fs.rmSync(file, { force: true });
    }
  }
  lockedHere.add(file);
  let held = true;
  return {
    release: () => {
      if (!held) return;
      held = false;
      lockedHere.delete(file);
      fs.rmSync(file, { force: true });
    },
  };
}
