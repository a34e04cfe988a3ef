/**
 * Argument checks and encodings for the `Hsm` client: each refuses a bad value before anything is
 * sent, with a message naming the field and the expectation (docs/style.md §9).
 */
import { HAL_HANDLE_NONE, HAL_PIN_MAX_LENGTH, HAL_PIN_MIN_LENGTH, User } from './constants';
import { MAX_RESULT_BYTES, type HalUser, type SignInput } from './hsm-types';

export function checkUser(user: number): HalUser {
  if (user !== User.NORMAL && user !== User.SO && user !== User.WHEEL)
    throw new RangeError(`"user" expected 1 (NORMAL), 2 (SO) or 3 (WHEEL), got ${user}`);
  return user;
}

/** A private copy of the PIN as bytes; the message never includes the PIN. */
export function pinBytes(pin: string | Uint8Array): Buffer {
  const bytes =
    typeof pin === 'string'
      ? Buffer.from(pin, 'utf8')
      : pin instanceof Uint8Array
        ? Buffer.from(pin)
        : undefined;
  if (bytes === undefined) throw new TypeError('"pin" expected a string or bytes');
  if (bytes.length < HAL_PIN_MIN_LENGTH || bytes.length > HAL_PIN_MAX_LENGTH) {
    const length = bytes.length;
    bytes.fill(0);
    throw new RangeError(`"pin" expected ${HAL_PIN_MIN_LENGTH}..${HAL_PIN_MAX_LENGTH} bytes, got ${length}`);
  }
  return bytes;
}

export function checkBytes(field: string, value: Uint8Array, min = 0, max = MAX_RESULT_BYTES): Uint8Array {
  if (!(value instanceof Uint8Array)) throw new TypeError(`"${field}" expected bytes (Uint8Array)`);
  if (value.length < min || value.length > max)
    throw new RangeError(`"${field}" expected ${min}..${max} bytes, got ${value.length}`);
  return value;
}

export function checkCount(field: string, n: number, min: number, max: number): number {
  if (!(Number.isInteger(n) && n >= min && n <= max))
    throw new RangeError(`"${field}" expected an integer in ${min}..${max}, got ${n}`);
  return n;
}

/** A public exponent as the big-endian bytes PKEY_GENERATE_RSA takes (§3.3). */
export function exponentBytes(exponent: number | Uint8Array): Uint8Array {
  if (exponent instanceof Uint8Array) return checkBytes('exponent', exponent, 1, 512);
  if (!(Number.isSafeInteger(exponent) && exponent > 0))
    throw new RangeError(`"exponent" expected a positive integer or big-endian bytes, got ${exponent}`);
  const hex = exponent.toString(16);
  return Buffer.from(hex.length % 2 ? `0${hex}` : hex, 'hex');
}

export function signArgs(input: SignInput): { hash: number; input: Uint8Array } {
  if ('data' in input && 'hash' in input) throw new RangeError('sign input: give "data" or "hash", not both');
  if ('hash' in input) {
    if (!(Number.isInteger(input.hash) && input.hash > 0 && input.hash <= 0xffffffff))
      throw new RangeError(`"hash" expected a non-zero hash handle, got ${input.hash}`);
    return { hash: input.hash, input: Buffer.alloc(0) };
  }
  // §3.3: exactly one of hash handle and non-empty input.
  return { hash: HAL_HANDLE_NONE, input: checkBytes('data', input.data, 1) };
}
