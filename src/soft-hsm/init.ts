/**
 * Creating a soft HSM state directory (what `keyledger soft-hsm init` does), for the CLI and for
 * tests that need a fresh HSM.
 */
import { randomBytes } from 'node:crypto';
import { MASTER_KEK_LENGTH } from './keystore/mkm';
import {
  initStateDir,
  lockStateDir,
  requireInitialized,
  setMasterKek,
  zeroizeStateDir,
} from './keystore/state-dir';
import type { RandomSource } from './options';
import { initialPins } from './pin-book';

export interface CreateSoftHsmOptions {
  /** The 32-byte master KEK; generated from `rng` when absent. */
  readonly kek?: Uint8Array;
  /** Sets the wheel, SO and user PINs; absent: factory wheel PIN, SO and user unset (§4.5). */
  readonly pin?: string;
  readonly rng?: RandomSource;
}

/** Initialises `stateDir` as a new HSM; refuses a directory that already holds one. */
export function createSoftHsmState(stateDir: string, options: CreateSoftHsmOptions = {}): void {
  const rng = options.rng ?? ((n: number) => randomBytes(n));
  const kek = options.kek ?? rng(MASTER_KEK_LENGTH);
  initStateDir(stateDir, {
    kek,
    pins: initialPins(options.pin === undefined ? undefined : Buffer.from(options.pin, 'utf8'), rng),
  });
}

/** `keyledger soft-hsm zeroize`: with the state directory locked, see `zeroizeStateDir`. */
export function zeroizeSoftHsm(stateDir: string): void {
  requireInitialized(stateDir);
  const lock = lockStateDir(stateDir);
  try {
    zeroizeStateDir(stateDir);
  } finally {
    lock.release();
  }
}

/** `keyledger soft-hsm kek set`: with the state directory locked, see `setMasterKek`. */
export function enterMasterKek(stateDir: string, kek: Uint8Array): void {
  requireInitialized(stateDir);
  const lock = lockStateDir(stateDir);
  try {
    setMasterKek(stateDir, kek);
  } finally {
    lock.release();
  }
}
