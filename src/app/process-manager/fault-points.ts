/**
 * Fault injection for the crash tests (issue 4 "Crash at every step"): with
 * `KEYLEDGER_FAULT=<point>` the process SIGKILLs itself when it reaches that point, the worst
 * moment for a crash: after one side (HSM or ledger) changed and before the other learned of it.
 * Every point is listed here; `faultPoint` refuses a name that is not.
 */
/** Points inside the custody operations (raw export, raw import, transfer). */
export const CUSTODY_FAULT_POINTS = [
  // Raw export (docs/architecture.md §4): intent → EXPORT_RAW → BlobStored → KeyRawExported → PKEY_DELETE → KeyDeletedFromHsm
  'raw-export:after-intent',
  'raw-export:after-hsm-call',
  'raw-export:after-blob-stored',
  'raw-export:after-completed',
  'raw-export:after-delete',
  // Raw import: intent → IMPORT_RAW → SET_ATTRIBUTES → KeyRawImported
  'raw-import:after-intent',
  'raw-import:after-hsm-call',
  'raw-import:after-set-attributes',
  // Transfer: KEKEK generated → intent → LOAD+EXPORT → BlobStored → KeyTransitExported → IMPORT → KeyTransitImported
  'transfer:after-kekek',
  'transfer:after-intent',
  'transfer:after-export',
  'transfer:after-blob-stored',
  'transfer:after-export-recorded',
  'transfer:after-import',
  'transfer:after-completed',
] as const;

/** Points of an approved action (docs/architecture.md §5): quorum reached → the action → its outcome recorded. */
export const APPROVAL_FAULT_POINTS = ['approval:after-approved', 'approval:after-action'] as const;

export const FAULT_POINTS = [...CUSTODY_FAULT_POINTS, ...APPROVAL_FAULT_POINTS] as const;

export type FaultPoint = (typeof FAULT_POINTS)[number];

export const FAULT_ENV = 'KEYLEDGER_FAULT';

/** Dies here, by SIGKILL (no cleanup, no flush), when the environment names this point. */
export function faultPoint(point: FaultPoint, env: NodeJS.ProcessEnv = process.env): void {
  if (env[FAULT_ENV] === point) process.kill(process.pid, 'SIGKILL');
}

/** Start-up check, so a typo in `KEYLEDGER_FAULT` does not silently test nothing. */
export function checkFaultEnv(env: NodeJS.ProcessEnv = process.env): void {
  const value = env[FAULT_ENV];
  if (value !== undefined && value !== '' && !(FAULT_POINTS as readonly string[]).includes(value)) {
    throw new Error(`${FAULT_ENV} must be one of ${FAULT_POINTS.join(', ')}; got "${value}"`);
  }
}
