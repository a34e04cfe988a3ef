/**
 * The soft HSM's state directory:
 *
 * | Entry | What |
 * |---|---|
 * | `hsm.json` | marker written last by `init`; its absence means "not initialised" |
 * | `mkm.bin` | the Master Key Memory (master KEK), see mkm.ts |
 * | `pins.json` | wheel / SO / user PIN records, see pin-store.ts |
 * | `keys/<uuid>.json` | token keystore, one record per key, see token-store.ts |
 * | `zeroize.pending` | journal: present while a zeroize is in progress; finished at next open |
 * | `lock` | pid of the process that has the directory open (server or CLI command) |
 *
 * Every write is atomic and durable (durable-fs.ts), so a kill -9 at any instant leaves a state
 * that opens cleanly.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SoftHsmStateError, corruptFile } from '../errors';
import { mkdirDurable, removeStaleTemporaries, unlinkDurable, writeFileDurable } from './durable-fs';
import { clearMasterKek, readMasterKek, writeMasterKek } from './mkm';
import { readPins, writePins, type PinTable } from './pin-store';
import { takePidLock, type PidLock } from '../../lib/pid-lock';
import { KEYS_DIR } from './token-store';

export const MARKER_FILE = 'hsm.json';
export const ZEROIZE_JOURNAL = 'zeroize.pending';
export const LOCK_FILE = 'lock';
const MARKER = { format: 'keyledger-soft-hsm', version: 1 };

/** A held state-directory lock; `release()` is idempotent. */
export type StateLock = PidLock;

/**
 * Takes the directory's lock: one process (and one open instance in it) at a time. A lock left by a
 * process that no longer runs (kill -9) is taken over.
 */
export function lockStateDir(stateDir: string): StateLock {
  const dir = path.resolve(stateDir);
  return takePidLock(path.join(dir, LOCK_FILE), (pid) =>
    pid === undefined
      ? new SoftHsmStateError('state-in-use', `soft HSM state ${dir} is already open in this process`, dir)
      : new SoftHsmStateError(
          'state-in-use',
          `soft HSM state ${dir} is in use by process ${pid} (a running "keyledger soft-hsm serve"?)`,
          dir,
        ),
  );
}

export function isInitialized(stateDir: string): boolean {
  return fs.existsSync(path.join(stateDir, MARKER_FILE));
}

/** Throws `not-initialized` (naming the directory) or `corrupt-file` unless `stateDir` holds a soft HSM. */
export function requireInitialized(stateDir: string): void {
  if (!isInitialized(stateDir))
    throw new SoftHsmStateError(
      'not-initialized',
      `${stateDir} is not a soft HSM state directory (run "keyledger soft-hsm init --state ${stateDir}" first)`,
      stateDir,
    );
  const file = path.join(stateDir, MARKER_FILE);
  let marker: unknown;
  try {
    marker = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    throw corruptFile(file, 'not valid JSON');
  }
  const m = marker as { format?: unknown; version?: unknown };
  if (m?.format !== MARKER.format || m.version !== MARKER.version)
    throw corruptFile(file, 'not a keyledger soft HSM marker (format/version)');
}

export interface InitOptions {
  readonly kek: Uint8Array;
  readonly pins: PinTable;
}

/** Creates a new HSM in `stateDir`. Refuses a directory that already holds one. */
export function initStateDir(stateDir: string, options: InitOptions): void {
  const keysDir = path.join(stateDir, KEYS_DIR);
  const hasKeys = fs.existsSync(keysDir) && fs.readdirSync(keysDir).some((e) => e.endsWith('.json'));
  if (isInitialized(stateDir) || hasKeys)
    throw new SoftHsmStateError(
      'already-initialized',
      `${stateDir} already holds a soft HSM keystore; refusing to overwrite it (use another directory, or "zeroize" to wipe keys)`,
      stateDir,
    );
  mkdirDurable(path.resolve(stateDir));
  const lock = lockStateDir(stateDir);
  try {
    writePins(stateDir, options.pins);
    writeMasterKek(stateDir, options.kek);
    mkdirDurable(keysDir);
    writeFileDurable(path.join(stateDir, MARKER_FILE), Buffer.from(JSON.stringify(MARKER) + '\n'));
  } finally {
    lock.release();
  }
}

/**
 * Checks an existing state directory and repairs what a crash may have left: stray temporaries and
 * an unfinished zeroize. Call with the lock held. Returns the PIN table.
 */
export function recoverStateDir(stateDir: string): PinTable {
  requireInitialized(stateDir);
  removeStaleTemporaries(stateDir);
  if (fs.existsSync(path.join(stateDir, ZEROIZE_JOURNAL))) finishZeroize(stateDir);
  const pins = readPins(stateDir);
  if (!pins) throw corruptFile(path.join(stateDir, 'pins.json'), 'missing');
  readMasterKek(stateDir); // validates mkm.bin
  return pins;
}

/**
 * Tamper response: the master KEK and every token key are destroyed; PIN records are kept, since
 * on the Alpha they live in the keystore flash's PIN block, not in the battery-backed MKM that a
 * tamper event clears (§6.2, §6.4). Journaled: a crash part-way is completed at the next open.
 */
export function zeroizeStateDir(stateDir: string): void {
  requireInitialized(stateDir);
  writeFileDurable(path.join(stateDir, ZEROIZE_JOURNAL), Buffer.from('zeroize in progress\n'));
  finishZeroize(stateDir);
}

function finishZeroize(stateDir: string): void {
  clearMasterKek(stateDir);
  const keysDir = path.join(stateDir, KEYS_DIR);
  mkdirDurable(keysDir);
  for (const entry of fs.readdirSync(keysDir)) unlinkDurable(path.join(keysDir, entry));
  unlinkDurable(path.join(stateDir, ZEROIZE_JOURNAL));
}

/** Enters the master KEK "from the console": only into an MKM that is not set (blank or zeroized). */
export function setMasterKek(stateDir: string, kek: Uint8Array): void {
  requireInitialized(stateDir);
  if (readMasterKek(stateDir) !== undefined)
    throw new SoftHsmStateError(
      'kek-already-set',
      `the master KEK of ${stateDir} is already set; zeroize the HSM first to enter another`,
      stateDir,
    );
  writeMasterKek(stateDir, kek);
}
