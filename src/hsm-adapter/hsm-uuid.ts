/**
 * Key names: canonical UUID strings at the `Hsm` API, 16 bytes in RFC 4122 order on the wire (§2).
 */
import { HAL_UUID_SIZE } from './constants';

const CANONICAL = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** `"00112233-4455-6677-8899-aabbccddeeff"` -> its 16 bytes. Refuses anything but the canonical form. */
export function uuidToBytes(uuid: string, field = 'uuid'): Buffer {
  if (typeof uuid !== 'string' || !CANONICAL.test(uuid))
    throw new RangeError(
      `"${field}" expected a canonical UUID (8-4-4-4-12 hex digits), got ${JSON.stringify(uuid)}`,
    );
  return Buffer.from(uuid.replace(/-/g, ''), 'hex');
}

/** 16 bytes -> the lower-case canonical string. */
export function uuidFromBytes(bytes: Uint8Array, field = 'uuid'): string {
  if (!(bytes instanceof Uint8Array) || bytes.length !== HAL_UUID_SIZE)
    throw new RangeError(`"${field}" expected ${HAL_UUID_SIZE} bytes`);
  const hex = Buffer.from(bytes).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The all-zero name: PKEY_MATCH's "no previous" and the PIN block's reserved name (§3.3, §6.1). */
export const NIL_UUID = '00000000-0000-0000-0000-000000000000';
