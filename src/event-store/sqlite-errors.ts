import { EventStoreError, LedgerUnavailable } from './errors';

/** What each SQLite/OS failure means for an operator looking at the ledger file. */
function explain(code: string): string {
  if (code === 'SQLITE_NOTADB') return 'is not a SQLite database (overwritten, encrypted or corrupt)';
  if (code.startsWith('SQLITE_CORRUPT')) return 'is corrupt';
  if (code.startsWith('SQLITE_CANTOPEN'))
    return 'cannot be opened (missing directory, not a file, or permissions)';
  if (code === 'EACCES' || code === 'EPERM' || code === 'SQLITE_PERM')
    return 'cannot be accessed: permission denied';
  if (code.startsWith('SQLITE_READONLY') || code === 'EROFS')
    return 'is read-only (permissions or read-only file system)';
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'))
    return 'is locked by another process';
  if (code === 'SQLITE_FULL' || code === 'ENOSPC') return 'cannot grow: the disk is full';
  if (code.startsWith('SQLITE_IOERR') || code === 'EIO') return 'had an I/O error';
  if (code === 'ENOTDIR' || code === 'EEXIST') return 'has a parent path that is not a directory';
  if (code === 'ENOENT') return 'is in a directory that does not exist';
  return 'cannot be used';
}

/**
 * The one place SQLite and file-system errors become ours: store errors pass through unchanged,
 * everything else becomes `LedgerUnavailable` naming the file, the code and what was being done.
 */
export function toLedgerError(err: unknown, path: string, doing: string): EventStoreError {
  if (err instanceof EventStoreError) return err;
  const code = (err as { code?: unknown } | null)?.code;
  const codeText = typeof code === 'string' ? code : 'unknown';
  const detail = err instanceof Error ? err.message : String(err);
  return new LedgerUnavailable(
    `ledger ${path} ${explain(codeText)} (${codeText} while ${doing}: ${detail})`,
    {
      cause: err,
    },
  );
}
