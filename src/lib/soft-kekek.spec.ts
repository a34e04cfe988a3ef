import { pbkdf2 } from '@noble/hashes/pbkdf2.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import vectors from '../../test/vectors/rfc5649.json';
import { BackupFileError } from './cryptech-backup';
import { buildEncryptedPrivateKeyInfo, parseEncryptedPrivateKeyInfo } from './pkcs8';
import {
  SOFT_KEKEK_ITERATIONS,
  WrongPassphrase,
  aesKeyUnwrapPad,
  aesKeyWrapPad,
  generateSoftKekek,
  passphraseKey,
  recoverSoftKekek,
} from './soft-kekek';
import { OID } from './spki';

const hex = (s: string) => Buffer.from(s, 'hex');

describe('RFC 5649 key wrap with padding', () => {
  it.each(vectors.cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    expect(aesKeyWrapPad(hex(c.kek), hex(c.key)).toString('hex')).toBe(c.wrapped);
    expect(aesKeyUnwrapPad(hex(c.kek), hex(c.wrapped))?.toString('hex')).toBe(c.key);
  });

  it('answers undefined for a wrong key, an altered ciphertext and a length no wrap has', () => {
    const kek = randomBytes(32);
    const wrapped = aesKeyWrapPad(kek, randomBytes(100));
    expect(aesKeyUnwrapPad(randomBytes(32), wrapped)).toBeUndefined();
    const altered = Buffer.from(wrapped);
    altered[20] ^= 1;
    expect(aesKeyUnwrapPad(kek, altered)).toBeUndefined();
    expect(aesKeyUnwrapPad(kek, wrapped.subarray(0, 100))).toBeUndefined();
    expect(aesKeyUnwrapPad(kek, wrapped.subarray(0, 8))).toBeUndefined();
  });
});

describe('the software KEKEK of cryptech_backup setup -s', () => {
  const passphrase = 'correct horse battery staple';
  const soft = generateSoftKekek(passphrase);

  it('derives the wrapping key with PBKDF2-HMAC-SHA256, 8000 iterations, 32 bytes (checked against noble)', () => {
    expect(SOFT_KEKEK_ITERATIONS).toBe(8000);
    const salt = randomBytes(16);
    expect(passphraseKey('pässwörd', salt)).toEqual(
      Buffer.from(pbkdf2(sha256, Buffer.from('pässwörd', 'utf8'), salt, { c: 8000, dkLen: 32 })),
    );
  });

  it('writes an RSA-2048 public key, a 16-byte salt and the private key wrapped under the passphrase', () => {
    expect(createPublicKey({ key: soft.pubkey, format: 'der', type: 'spki' }).asymmetricKeyDetails).toEqual(
      expect.objectContaining({ modulusLength: 2048 }),
    );
    expect(soft.salt).toHaveLength(16);
    const info = parseEncryptedPrivateKeyInfo(soft.pkcs8);
    expect(info.algorithm).toBe(OID.aes256WrapPad);
    // Independently: the PBKDF2 key of noble unwraps it to a PKCS#8 of the same public key.
    const key = pbkdf2(sha256, Buffer.from(passphrase), soft.salt, { c: 8000, dkLen: 32 });
    const plain = aesKeyUnwrapPad(key, info.data)!;
    expect(
      createPublicKey(createPrivateKey({ key: plain, format: 'der', type: 'pkcs8' })).export({
        type: 'spki',
        format: 'der',
      }),
    ).toEqual(soft.pubkey);
  });

  it('recovers the private key with the passphrase', () => {
    const plain = recoverSoftKekek(soft, passphrase);
    expect(
      createPublicKey(createPrivateKey({ key: plain, format: 'der', type: 'pkcs8' })).export({
        type: 'spki',
        format: 'der',
      }),
    ).toEqual(soft.pubkey);
  });

  it('refuses a wrong passphrase without naming it', () => {
    expect(() => recoverSoftKekek(soft, 'wrong horse')).toThrow(WrongPassphrase);
    expect(() => recoverSoftKekek(soft, 'wrong horse')).toThrow(
      /^the passphrase does not unwrap the software KEKEK/,
    );
  });

  it("refuses a private key that is not the public key's, and a blob of another algorithm", () => {
    const other = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({
      type: 'spki',
      format: 'der',
    });
    expect(() => recoverSoftKekek({ ...soft, pubkey: other }, passphrase)).toThrow(
      new BackupFileError('kekek_pkcs8', 'is not the private half of "kekek_pubkey"'),
    );
    const foreign = buildEncryptedPrivateKeyInfo(
      OID.rsaEncryption,
      parseEncryptedPrivateKeyInfo(soft.pkcs8).data,
    );
    expect(() => recoverSoftKekek({ ...soft, pkcs8: foreign }, passphrase)).toThrow(BackupFileError);
  });
});
