import { constants, generateKeyPairSync, publicEncrypt, type KeyObject } from 'node:crypto';
import { thrown, toHex } from '../../../test/support/bytes';
import { rawRsa, seededRng, smallRsaKey } from '../../../test/soft-hsm/crypto/support';
import { ArgumentError, UnsupportedKeyError } from '../../lib/errors';
import { decryptKek, encryptKek, rsaModulusBytes } from './rsa-kek';

const { privateKey: kekek, publicKey: kekekPublic } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const jwk = kekek.export({ format: 'jwk' });
const k = 256;

/** Raw-RSA-encrypts a hand-made encoded message, to feed decryptKek what a forger would. */
const rawEncrypt = (key: KeyObject, em: Uint8Array): Uint8Array =>
  new Uint8Array(publicEncrypt({ key, padding: constants.RSA_NO_PADDING }, em));

/** EM = 00 02 PS 00 M with PS of `psLength` bytes of 0x5a. */
function em(modulusBytes: number, psLength: number, message: Uint8Array, type = 0x02): Uint8Array {
  const out = new Uint8Array(modulusBytes);
  out[1] = type;
  out.fill(0x5a, 2, 2 + psLength);
  out.set(message, 3 + psLength);
  return out;
}

describe('KEK under the RSA KEKEK (RSAES-PKCS1-v1_5, §5.3 step 6)', () => {
  const kek = seededRng('the kek')(32);

  it('encrypts to an EM of 00 02, non-zero PS from the RNG, 00, KEK (checked with BigInt RSA, not OpenSSL)', () => {
    const rng = seededRng('encrypt');
    const c = encryptKek(kekekPublic, kek, rng);
    expect(c.length).toBe(k);
    const m = rawRsa(jwk, c, 'd');
    expect(toHex(m.subarray(0, 2))).toBe('0002');
    expect(m.subarray(2, k - 33).every((b) => b !== 0)).toBe(true);
    expect(m[k - 33]).toBe(0);
    expect(toHex(m.subarray(k - 32))).toBe(toHex(kek));
  });

  it('keeps PS non-zero when the RNG is full of zeros', () => {
    let i = 0;
    const zeroHeavy = (n: number): Uint8Array =>
      Uint8Array.from({ length: n }, () => (i++ % 3 === 0 ? 7 : 0));
    const m = rawRsa(jwk, encryptKek(kekek, kek, zeroHeavy), 'd');
    expect(m.subarray(2, k - 33).every((b) => b === 7)).toBe(true);
  });

  it('decrypts what node:crypto encrypts with RSA_PKCS1_PADDING', () => {
    const c = new Uint8Array(publicEncrypt({ key: kekekPublic, padding: constants.RSA_PKCS1_PADDING }, kek));
    expect(toHex(decryptKek(kekek, c, seededRng('unused')))).toBe(toHex(kek));
  });

  it('decrypts what it encrypts, and a zero byte inside the KEK is fine', () => {
    const withZeros = kek.slice();
    withZeros.fill(0, 0, 5);
    const c = encryptKek(kekekPublic, withZeros, seededRng('zeros'));
    expect(toHex(decryptKek(kekek, c, seededRng('unused')))).toBe(toHex(withZeros));
  });

  describe('when the padding check fails, it silently returns a random KEK (§5.4)', () => {
    const cases: [string, () => Uint8Array][] = [
      ['block type 01', () => rawEncrypt(kekekPublic, em(k, k - 35, kek, 0x01))],
      [
        'first byte not zero',
        () => rawEncrypt(kekekPublic, Uint8Array.of(0x01, ...em(k, k - 35, kek).subarray(1))),
      ],
      ['no zero separator', () => rawEncrypt(kekekPublic, em(k, k - 3, new Uint8Array(0)).fill(0x5a, k - 1))],
      [
        '33 bytes after the separator',
        () => rawEncrypt(kekekPublic, em(k, k - 36, new Uint8Array(33).fill(1))),
      ],
      [
        '31 bytes after the separator',
        () => rawEncrypt(kekekPublic, em(k, k - 34, new Uint8Array(31).fill(1))),
      ],
      ['separator at index 2', () => rawEncrypt(kekekPublic, em(k, 0, new Uint8Array(k - 3).fill(1)))],
      ['a ciphertext one byte short', () => encryptKek(kekekPublic, kek, seededRng('short')).subarray(1)],
      [
        'a ciphertext one byte long',
        () => Uint8Array.of(0, ...encryptKek(kekekPublic, kek, seededRng('long'))),
      ],
      ['a ciphertext not below the modulus', () => new Uint8Array(k).fill(0xff)],
      ['an empty ciphertext', () => new Uint8Array(0)],
    ];

    it.each(cases)('%s', (_label, ciphertext) => {
      const rng = seededRng('fallback');
      const out = decryptKek(kekek, ciphertext(), rng);
      expect(toHex(out)).toBe(toHex(seededRng('fallback')(32)));
      expect(toHex(out)).not.toBe(toHex(kek));
    });

    it('draws exactly one 32-byte value from the RNG whether the check passes or fails', () => {
      const good = seededRng('shape good');
      const bad = seededRng('shape bad');
      decryptKek(kekek, encryptKek(kekekPublic, kek, seededRng('x')), good);
      decryptKek(kekek, rawEncrypt(kekekPublic, em(k, k - 35, kek, 0x01)), bad);
      expect(good.calls).toEqual([32]);
      expect(bad.calls).toEqual([32]);
    });
  });

  describe('at the smallest moduli, libhal wants the separator at index ≥ 11 (≥ 9 PS bytes)', () => {
    const rsa352 = smallRsaKey(352);
    const rsa344 = smallRsaKey(344);

    it('a 44-byte modulus (9 PS bytes) round-trips', () => {
      expect(rsaModulusBytes(rsa352)).toBe(44);
      const c = encryptKek(rsa352, kek, seededRng('352'));
      expect(toHex(decryptKek(rsa352, c, seededRng('unused')))).toBe(toHex(kek));
    });

    it('a 43-byte modulus (8 PS bytes, RFC 8017-valid) is refused on import, as libhal does', () => {
      expect(rsaModulusBytes(rsa344)).toBe(43);
      const c = rawEncrypt(rsa344, em(43, 8, kek));
      expect(toHex(decryptKek(rsa344, c, seededRng('fallback 344')))).toBe(
        toHex(seededRng('fallback 344')(32)),
      );
    });

    it('a 42-byte modulus cannot carry the KEK at all', () => {
      expect(thrown(() => encryptKek(smallRsaKey(336), kek, seededRng('336')))).toMatchObject({
        halStatus: 14,
      });
    });
  });

  describe('input checks', () => {
    it('decryption needs the RSA private key', () => {
      expect(thrown(() => decryptKek(kekekPublic, new Uint8Array(k), seededRng('p')))).toBeInstanceOf(
        UnsupportedKeyError,
      );
      const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
      expect(thrown(() => decryptKek(ec, new Uint8Array(k), seededRng('p')))).toBeInstanceOf(
        UnsupportedKeyError,
      );
      expect(thrown(() => encryptKek(ec, kek, seededRng('p')))).toBeInstanceOf(UnsupportedKeyError);
    });

    it('the KEK must be 32 bytes', () => {
      expect(thrown(() => encryptKek(kekekPublic, new Uint8Array(16), seededRng('p')))).toBeInstanceOf(
        ArgumentError,
      );
    });
  });
});
