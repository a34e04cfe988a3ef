/**
 * How the engine reports failures: always as the adapter's taxonomy (`HalStatusError`, one class
 * per libhal status, docs/libhal-rpc.md §4.1), so the dispatcher only reads `.code`. Errors from the
 * shared helpers (src/lib) and the crypto and hashsig layers carry the status they stand for in
 * `halStatus`; they are converted here by that field, never by class identity (docs/style.md §8).
 */
import { HalStatus, halError, type HalStatusError, type HalStatusName } from '../hsm-adapter/errors';

/** A status error for `rpc`: `fail('KEY_NOT_FOUND', 'PKEY_SIGN')`. */
export function fail(status: Exclude<HalStatusName, 'OK'>, rpc: string): HalStatusError {
  return halError(HalStatus[status], rpc);
}

function isStatusError(error: unknown): error is HalStatusError {
  return typeof error === 'object' && error !== null && (error as { kind?: unknown }).kind === 'status';
}

/** The libhal status an error stands for, if it declares one. */
function declaredStatus(error: unknown): number | undefined {
  const s =
    typeof error === 'object' && error !== null ? (error as { halStatus?: unknown }).halStatus : undefined;
  return typeof s === 'number' && Number.isInteger(s) && s > 0 ? s : undefined;
}

/** File-system errors while touching the keystore: the HSM "could not access its keystore". */
const IO_CODES = new Set([
  'EIO',
  'ENOSPC',
  'EROFS',
  'EACCES',
  'EPERM',
  'EDQUOT',
  'EMFILE',
  'ENFILE',
  'ENOENT',
  'EEXIST',
]);

/**
 * Converts anything thrown inside an engine call into a `HalStatusError`: status errors pass
 * through, layer errors map by `halStatus`, I/O errors become KEYSTORE_ACCESS, and anything else
 * (a bug) becomes IMPOSSIBLE. `unexpected` is true for the last two, which deserve a log line.
 */
export function toStatusError(error: unknown, rpc: string): { error: HalStatusError; unexpected: boolean } {
  if (isStatusError(error)) return { error, unexpected: false };
  const status = declaredStatus(error);
  if (status !== undefined) return { error: halError(status, rpc), unexpected: false };
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  if (typeof code === 'string' && IO_CODES.has(code))
    return { error: fail('KEYSTORE_ACCESS', rpc), unexpected: true };
  return { error: fail('IMPOSSIBLE', rpc), unexpected: true };
}
