/**
 * PIN records (docs/libhal-rpc.md §4.5, §6.4): PBKDF2-HMAC-SHA256 (RFC 8018 §5.2) with a 16-byte salt
 * and a 64-byte output, the iteration count stored in each record. Compared in constant time.
 */
import { pbkdf2Sync, timingSafeEqual } from 'node:crypto';
import { abytes, aint, readU32 } from '../../lib/bytes';
import { ArgumentError } from '../../lib/errors';
import { randomFrom, viewOf, type Rng } from './bytes';

export const PIN_SALT_LENGTH = 16;
export const PIN_HASH_LENGTH = 64;
/** libhal HAL_PIN_DEFAULT_ITERATIONS; a record with iterations 0 is checked with this too. */
export const PIN_DEFAULT_ITERATIONS = 2000;
export const PIN_MIN_LENGTH = 4;
export const PIN_MAX_LENGTH = 4096;

/** The factory ("last-gasp") WHEEL PIN and its iteration count (§4.5). */
export const FACTORY_WHEEL_PIN = 'YouReallyNeedToChangeThisPINRightNowWeAreNotKidding';
export const FACTORY_WHEEL_PIN_ITERATIONS = 1000;

export interface PinRecord {
  iterations: number;
  salt: Uint8Array;
  hash: Uint8Array;
}

function derive(pin: Uint8Array, salt: Uint8Array, iterations: number): Uint8Array {
  return viewOf(pbkdf2Sync(pin, salt, iterations, PIN_HASH_LENGTH, 'sha256'));
}

/** SET_PIN: a fresh salt from `rng`, PIN of 4 … 4096 bytes (else BAD_ARGUMENTS). */
export function createPinRecord(pin: Uint8Array, rng: Rng, iterations = PIN_DEFAULT_ITERATIONS): PinRecord {
  abytes(pin, 'pin');
  if (pin.length < PIN_MIN_LENGTH || pin.length > PIN_MAX_LENGTH) {
    throw new ArgumentError(
      'pin',
      `"pin" expected ${PIN_MIN_LENGTH}..${PIN_MAX_LENGTH} bytes, got ${pin.length}`,
    );
  }
  aint(iterations, 'iterations', 1, 0xffffffff);
  const salt = randomFrom(rng, PIN_SALT_LENGTH);
  return { iterations, salt, hash: derive(pin, salt, iterations) };
}

/** LOGIN's check. A wrong PIN is `false`, never an error; the 5 s delay is the caller's. */
export function verifyPin(record: PinRecord, pin: Uint8Array): boolean {
  abytes(pin, 'pin');
  abytes(record.salt, 'pin record salt', PIN_SALT_LENGTH);
  abytes(record.hash, 'pin record hash', PIN_HASH_LENGTH);
  aint(record.iterations, 'pin record iterations', 0, 0xffffffff);
  if (pin.length === 0) return false;
  const iterations = record.iterations === 0 ? PIN_DEFAULT_ITERATIONS : record.iterations;
  const candidate = derive(pin, record.salt, iterations);
  const ok = timingSafeEqual(candidate, record.hash);
  candidate.fill(0);
  return ok;
}

/** §6.4 layout of one record in the PIN block: u32 iterations ‖ 64-byte hash ‖ 16-byte salt (84 bytes, big-endian). */
export function encodePinRecord(record: PinRecord): Uint8Array {
  aint(record.iterations, 'pin record iterations', 0, 0xffffffff);
  abytes(record.hash, 'pin record hash', PIN_HASH_LENGTH);
  abytes(record.salt, 'pin record salt', PIN_SALT_LENGTH);
  const out = new Uint8Array(4 + PIN_HASH_LENGTH + PIN_SALT_LENGTH);
  new DataView(out.buffer).setUint32(0, record.iterations);
  out.set(record.hash, 4);
  out.set(record.salt, 4 + PIN_HASH_LENGTH);
  return out;
}

export function decodePinRecord(bytes: Uint8Array): PinRecord {
  abytes(bytes, 'pin record', 4 + PIN_HASH_LENGTH + PIN_SALT_LENGTH);
  return {
    iterations: readU32(bytes, 0),
    hash: bytes.slice(4, 4 + PIN_HASH_LENGTH),
    salt: bytes.slice(4 + PIN_HASH_LENGTH),
  };
}
