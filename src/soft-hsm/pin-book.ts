/**
 * The PIN block (docs/libhal-rpc.md §6.4) of one soft HSM: PBKDF2 records per user, checked on LOGIN
 * and replaced (durably, before SET_PIN answers) on SET_PIN.
 */
import { User } from '../hsm-adapter/constants';
import { FACTORY_WHEEL_PIN, FACTORY_WHEEL_PIN_ITERATIONS, createPinRecord, verifyPin } from './crypto/pin';
import type { Rng } from './crypto/bytes';
import { writePins, type PinTable, type PinUser, type StoredPin } from './keystore/pin-store';
import type { LoggedInUser } from './login-table';

const KEY: Record<LoggedInUser, PinUser> = { [User.NORMAL]: 'user', [User.SO]: 'so', [User.WHEEL]: 'wheel' };

function stored(record: { iterations: number; salt: Uint8Array; hash: Uint8Array }): StoredPin {
  return { iterations: record.iterations, salt: Buffer.from(record.salt), hash: Buffer.from(record.hash) };
}

/**
 * The PIN table a new HSM starts with: with `pin`, wheel, SO and user all set to it; without, the
 * factory wheel PIN (1000 iterations) and SO/user unset, so their logins fail (§4.5).
 */
export function initialPins(pin: Uint8Array | undefined, rng: Rng): PinTable {
  if (pin === undefined)
    return {
      wheel: stored(
        createPinRecord(Buffer.from(FACTORY_WHEEL_PIN, 'utf8'), rng, FACTORY_WHEEL_PIN_ITERATIONS),
      ),
      so: null,
      user: null,
    };
  return {
    wheel: stored(createPinRecord(pin, rng)),
    so: stored(createPinRecord(pin, rng)),
    user: stored(createPinRecord(pin, rng)),
  };
}

export class PinBook {
  constructor(
    private readonly stateDir: string,
    private table: PinTable,
  ) {}

  /** True if `pin` is the user's PIN; an unset PIN matches nothing. */
  check(user: LoggedInUser, pin: Uint8Array): boolean {
    const record = this.table[KEY[user]];
    return record !== null && verifyPin(record, pin);
  }

  /** Sets a PIN (fresh salt, default iterations) and persists the table before returning. */
  set(user: LoggedInUser, pin: Uint8Array, rng: Rng): void {
    const next: PinTable = { ...this.table, [KEY[user]]: stored(createPinRecord(pin, rng)) };
    writePins(this.stateDir, next);
    this.table = next;
  }
}
