/**
 * PIN records (docs/libhal-rpc.md §6.4): one per user (wheel, SO, user), each the PBKDF2 iteration
 * count, 16-byte salt and 64-byte PBKDF2-HMAC-SHA256 output; `null` = never set (login fails).
 * Stored in `pins.json` as a sealed (checksummed) JSON file, replaced atomically.
 */
import * as path from 'node:path';
import { corruptFile } from '../errors';
import { readFileIfExists, writeFileDurable } from './durable-fs';
import { FieldReader, openSealedJson, sealJson } from './sealed-json';

export const PINS_FILE = 'pins.json';
export const PIN_SALT_LENGTH = 16;
export const PIN_HASH_LENGTH = 64;

export interface StoredPin {
  readonly iterations: number;
  readonly salt: Buffer;
  readonly hash: Buffer;
}

export type PinUser = 'wheel' | 'so' | 'user';
export const PIN_USERS: readonly PinUser[] = ['wheel', 'so', 'user'];

export type PinTable = Readonly<Record<PinUser, StoredPin | null>>;

export function readPins(stateDir: string): PinTable | undefined {
  const file = path.join(stateDir, PINS_FILE);
  const bytes = readFileIfExists(file);
  if (bytes === undefined) return undefined;
  const body = FieldReader.of(openSealedJson(bytes, file), file, 'pins');
  const table = {} as Record<PinUser, StoredPin | null>;
  for (const user of PIN_USERS) {
    if (!body.has(user)) {
      table[user] = null;
      continue;
    }
    const r = FieldReader.of(body.raw(user), file, user);
    const iterations = r.u32('iterations');
    if (iterations === 0) throw corruptFile(file, `${user}.iterations is 0`);
    table[user] = {
      iterations,
      salt: r.bytes('salt', PIN_SALT_LENGTH),
      hash: r.bytes('hash', PIN_HASH_LENGTH),
    };
  }
  return table;
}

export function writePins(stateDir: string, table: PinTable): void {
  const body: Record<string, unknown> = { format: 'keyledger-soft-hsm-pins/1' };
  for (const user of PIN_USERS) {
    const pin = table[user];
    body[user] = pin && {
      iterations: pin.iterations,
      salt: pin.salt.toString('base64'),
      hash: pin.hash.toString('base64'),
    };
  }
  writeFileDurable(path.join(stateDir, PINS_FILE), sealJson(body));
}
