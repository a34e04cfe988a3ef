import { pbkdf2Sync } from 'node:crypto';
import { pbkdf2 } from '@noble/hashes/pbkdf2.js';
import { sha256 } from '@noble/hashes/sha2.js';
import vectors from '../../../test/vectors/rfc7914-pbkdf2-sha256.json';
import { thrown, toHex } from '../../../test/support/bytes';
import { seededRng } from '../../../test/soft-hsm/crypto/support';
import { ArgumentError } from '../../lib/errors';
import {
  FACTORY_WHEEL_PIN,
  FACTORY_WHEEL_PIN_ITERATIONS,
  PIN_DEFAULT_ITERATIONS,
  createPinRecord,
  decodePinRecord,
  encodePinRecord,
  verifyPin,
} from './pin';

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('PIN records (§4.5, §6.4)', () => {
  describe.each(vectors.cases)('PBKDF2-HMAC-SHA256 $name', ({ password, salt, iterations, dk }) => {
    it('node:crypto (which pin.ts uses) and noble both give the RFC 7914 output', () => {
      expect(pbkdf2Sync(password, salt, iterations, 64, 'sha256').toString('hex')).toBe(dk);
      expect(toHex(pbkdf2(sha256, password, salt, { c: iterations, dkLen: 64 }))).toBe(dk);
    });
  });

  describe('given a PIN set with the default iteration count', () => {
    const rng = seededRng('pin');
    const record = createPinRecord(utf8('fnord'), rng);

    it('stores 2000 iterations, a 16-byte salt from the RNG and a 64-byte PBKDF2-HMAC-SHA256 output', () => {
      expect(record.iterations).toBe(PIN_DEFAULT_ITERATIONS);
      expect(rng.calls).toEqual([16]);
      expect(toHex(record.salt)).toBe(toHex(seededRng('pin')(16)));
      expect(toHex(record.hash)).toBe(
        toHex(pbkdf2(sha256, utf8('fnord'), record.salt, { c: 2000, dkLen: 64 })),
      );
    });

    it('accepts the PIN', () => {
      expect(verifyPin(record, utf8('fnord'))).toBe(true);
    });

    it.each(['fnorD', 'fnor', 'fnordd', '', 'FNORD'])('refuses %j', (pin) => {
      expect(verifyPin(record, utf8(pin))).toBe(false);
    });

    it('uses the stored iteration count, and 2000 when the record says 0', () => {
      expect(verifyPin({ ...record, iterations: 1999 }, utf8('fnord'))).toBe(false);
      expect(verifyPin({ ...record, iterations: 0 }, utf8('fnord'))).toBe(true);
    });

    it('survives the 84-byte PIN block encoding', () => {
      const bytes = encodePinRecord(record);
      expect(bytes.length).toBe(84);
      expect(toHex(bytes.subarray(0, 4))).toBe('000007d0');
      expect(toHex(bytes.subarray(68))).toBe(toHex(record.salt));
      expect(decodePinRecord(bytes)).toEqual(record);
    });
  });

  it('the factory WHEEL PIN record uses 1000 iterations and verifies', () => {
    const record = createPinRecord(utf8(FACTORY_WHEEL_PIN), seededRng('wheel'), FACTORY_WHEEL_PIN_ITERATIONS);
    expect(record.iterations).toBe(1000);
    expect(verifyPin(record, utf8(FACTORY_WHEEL_PIN))).toBe(true);
    expect(verifyPin(record, utf8('fnord'))).toBe(false);
  });

  it.each([4, 4096])('SET_PIN accepts a %i-byte PIN', (len) => {
    const pin = new Uint8Array(len).fill(0x41);
    expect(verifyPin(createPinRecord(pin, seededRng('len'), 1), pin)).toBe(true);
  });

  it.each([0, 3, 4097])('SET_PIN refuses a %i-byte PIN with BAD_ARGUMENTS', (len) => {
    expect(thrown(() => createPinRecord(new Uint8Array(len), seededRng('len'), 1))).toBeInstanceOf(
      ArgumentError,
    );
  });

  it('an RNG that returns the wrong length is caught', () => {
    expect(thrown(() => createPinRecord(utf8('fnord'), () => new Uint8Array(8)))).toMatchObject({
      field: 'rng output',
    });
  });
});
