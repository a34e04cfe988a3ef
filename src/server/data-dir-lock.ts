/**
 * The embedded ledger's data directory belongs to one process at a time: the service
 * (src/server/server.ts) or a command that rewrites the ledger (`keyledger audit migrate`). Kept
 * apart from server.ts so such a command does not load NestJS.
 */
import { mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { LedgerUnavailable } from '../event-store/errors';
import { takePidLock, type PidLock } from '../lib/pid-lock';

/** The lock file inside the data directory. */
export const DATA_DIR_LOCK = 'keyledger.lock';

/**
 * Takes the data directory's lock (creating the directory). `inUse(pid)` words the refusal when
 * another live process (`pid`) or this one (`undefined`) holds it.
 */
export function lockDataDir(dataDir: string, inUse: (pid: number | undefined) => string): PidLock {
  mkdirSync(dataDir, { recursive: true });
  return takePidLock(path.join(dataDir, DATA_DIR_LOCK), (pid) => new LedgerUnavailable(inUse(pid)));
}
