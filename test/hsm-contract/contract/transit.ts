/**
 * PKEY_EXPORT / PKEY_IMPORT with a transit KEKEK (§5): the test plays the other HSM with
 * node:crypto, so the HSM's blobs are checked by an independent RFC 5649 / PKCS#1 v1.5 / PKCS#8
 * implementation and keys wrapped by the test must import.
 */
import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  randomBytes,
  sign as nodeSign,
  verify as nodeVerify,
  type KeyObject,
} from 'node:crypto';
import { Curve } from '../../../src/hsm-adapter/constants';
import type { Hsm, KeyRef } from '../../../src/hsm-adapter';
import { DS, EXPORTABLE, KE, statusOf, TOKEN, type ContractContext } from './context';
import {
  aesKeyUnwrapPad,
  aesKeyWrapPad,
  encryptedPrivateKeyInfo,
  OID_AES256_WRAP_PAD,
  OID_RSA_ENCRYPTION,
  parseEncryptedPrivateKeyInfo,
  rsaPkcs1Decrypt,
  rsaPkcs1Encrypt,
  sha,
  sha256DigestInfo,
  spkiKey,
} from './crypto';

const MESSAGE = Buffer.from('transit contract message');
const spkiOf = (key: KeyObject) => key.export({ format: 'der', type: 'spki' });

/** A KEKEK made by the test: its public half goes to the HSM, its private half stays here. */
function nodeKekek() {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { spki: spkiOf(publicKey), privateKey };
}

/** §5.3: unwraps an export the way a destination HSM would, returning the plaintext PKCS#8. */
function openExport(exported: { pkcs8: Buffer; kek: Buffer }, kekekPrivate: KeyObject): Buffer {
  const kekInfo = parseEncryptedPrivateKeyInfo(exported.kek);
  const pkcs8Info = parseEncryptedPrivateKeyInfo(exported.pkcs8);
  expect({ kek: [kekInfo.oid, kekInfo.params], pkcs8: [pkcs8Info.oid, pkcs8Info.params] }).toEqual({
    kek: [OID_RSA_ENCRYPTION, 0],
    pkcs8: [OID_AES256_WRAP_PAD, 0],
  });
  expect(kekInfo.data.length).toBe(256);
  const kek = rsaPkcs1Decrypt(kekekPrivate, kekInfo.data);
  expect(kek.length).toBe(32);
  return aesKeyUnwrapPad(kek, pkcs8Info.data);
}

/** §5.4 from the other side: wraps `pkcs8` for the HSM whose KEKEK has SubjectPublicKeyInfo `kekekSpki`. */
function wrapForImport(pkcs8: Buffer, kekekSpki: Buffer): { pkcs8: Buffer; kek: Buffer } {
  const kek = randomBytes(32);
  return {
    pkcs8: encryptedPrivateKeyInfo(OID_AES256_WRAP_PAD, aesKeyWrapPad(kek, pkcs8)),
    kek: encryptedPrivateKeyInfo(OID_RSA_ENCRYPTION, rsaPkcs1Encrypt(kekekSpki, kek)),
  };
}

/** Loads the test's KEKEK (volatile, KEYENCIPHERMENT) and exports `key` with it, on one connection. */
async function exportWithNodeKekek(hsm: Hsm, key: KeyRef, kekekSpki: Buffer) {
  const kekek = await hsm.load(kekekSpki, KE);
  try {
    return await hsm.export(key.handle, kekek.handle);
  } finally {
    await hsm.delete(kekek.handle);
  }
}

export function transitContract(ctx: ContractContext): void {
  describe('PKEY_EXPORT to a KEKEK made by node:crypto', () => {
    it('gives an EC P-256 key that node unwraps to exactly the key the HSM signs with', async () => {
      const client = await ctx.client(ctx.a);
      const kekek = nodeKekek();
      await client.withConnection(async (hsm) => {
        const key = await hsm.generateEc(Curve.P256, DS | TOKEN | EXPORTABLE);
        const exported = await exportWithNodeKekek(hsm, key, kekek.spki);
        const privateKey = createPrivateKey({
          key: openExport(exported, kekek.privateKey),
          format: 'der',
          type: 'pkcs8',
        });
        const hsmSpki = await hsm.getPublicKey(key.handle);
        expect(spkiOf(createPublicKey(privateKey)).equals(hsmSpki)).toBe(true);

        const digest = sha('sha256', MESSAGE);
        const byNode = nodeSign('sha256', MESSAGE, { key: privateKey, dsaEncoding: 'ieee-p1363' });
        expect(await hsm.verify(key.handle, { data: digest }, byNode)).toBe(true);
        const byHsm = await hsm.sign(key.handle, { data: digest });
        expect(
          nodeVerify('sha256', MESSAGE, { key: spkiKey(hsmSpki), dsaEncoding: 'ieee-p1363' }, byHsm),
        ).toBe(true);
      });
    });

    it('gives an RSA-1024 key whose node signature equals the HSM signature byte for byte', async () => {
      const client = await ctx.client(ctx.a);
      const kekek = nodeKekek();
      await client.withConnection(async (hsm) => {
        const key = await hsm.generateRsa(1024, 65537, DS | EXPORTABLE);
        const pkcs8 = openExport(await exportWithNodeKekek(hsm, key, kekek.spki), kekek.privateKey);
        const privateKey = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' });
        const byHsm = await hsm.sign(key.handle, { data: sha256DigestInfo(MESSAGE) });
        expect(nodeSign('sha256', MESSAGE, privateKey).equals(byHsm)).toBe(true);
      });
    });

    it('refuses a key without EXPORTABLE, a KEKEK without KEYENCIPHERMENT and a non-RSA KEKEK (§5.2)', async () => {
      const client = await ctx.client(ctx.a);
      const kekek = nodeKekek();
      await client.withConnection(async (hsm) => {
        const fixed = await hsm.generateEc(Curve.P256, DS);
        const exportable = await hsm.generateEc(Curve.P256, DS | EXPORTABLE);
        const good = await hsm.load(kekek.spki, KE);
        const noKe = await hsm.load(kekek.spki, DS);
        const ecKekek = await hsm.generateEc(Curve.P256, KE);
        expect(await statusOf(() => hsm.export(fixed.handle, good.handle))).toEqual({
          status: 'FORBIDDEN',
          rpc: 'PKEY_EXPORT',
        });
        expect(await statusOf(() => hsm.export(exportable.handle, noKe.handle))).toEqual({
          status: 'FORBIDDEN',
          rpc: 'PKEY_EXPORT',
        });
        expect(await statusOf(() => hsm.export(exportable.handle, ecKekek.handle))).toEqual({
          status: 'UNSUPPORTED_KEY',
          rpc: 'PKEY_EXPORT',
        });
      });
    });
  });

  describe('PKEY_EXPORT result sizes (§5.2)', () => {
    it('refuses kek_max ≤ 32 with BAD_ARGUMENTS and too-small pkcs8_max or kek_max with RESULT_TOO_LONG', async () => {
      const client = await ctx.client(ctx.a);
      const kekek = nodeKekek();
      await client.withConnection(async (hsm) => {
        const key = await hsm.generateEc(Curve.P256, DS | EXPORTABLE);
        const loaded = await hsm.load(kekek.spki, KE);
        const exportWith = (pkcs8Max: number, kekMax: number) => () =>
          hsm.export(key.handle, loaded.handle, { pkcs8Max, kekMax });
        expect(await statusOf(exportWith(5480, 32))).toEqual({ status: 'BAD_ARGUMENTS', rpc: 'PKEY_EXPORT' });
        expect(await statusOf(exportWith(5479, 512))).toEqual({
          status: 'RESULT_TOO_LONG',
          rpc: 'PKEY_EXPORT',
        });
        // A 2048-bit KEKEK: 256 bytes of ciphertext plus the DER wrapper do not fit 256.
        expect(await statusOf(exportWith(5480, 256))).toEqual({
          status: 'RESULT_TOO_LONG',
          rpc: 'PKEY_EXPORT',
        });
        const fits = await hsm.export(key.handle, loaded.handle, { pkcs8Max: 5480, kekMax: 512 });
        expect(parseEncryptedPrivateKeyInfo(fits.kek).data.length).toBe(256);
      });
    });
  });

  describe('PKEY_IMPORT of a key wrapped by the test', () => {
    it('imports an EC P-256 and an RSA-1024 key that then sign as the original keys', async () => {
      const client = await ctx.client(ctx.a);
      await client.withConnection(async (hsm) => {
        const kekek = await hsm.generateRsa(1024, 65537, KE);
        const kekekSpki = await hsm.getPublicKey(kekek.handle);

        const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
        const ecBlobs = wrapForImport(ec.privateKey.export({ format: 'der', type: 'pkcs8' }), kekekSpki);
        const ecKey = await hsm.import(kekek.handle, ecBlobs.pkcs8, ecBlobs.kek, DS);
        expect(await hsm.getKeyFlags(ecKey.handle)).toBe(DS);
        expect((await hsm.getPublicKey(ecKey.handle)).equals(spkiOf(ec.publicKey))).toBe(true);
        const ecSig = await hsm.sign(ecKey.handle, { data: sha('sha256', MESSAGE) });
        expect(nodeVerify('sha256', MESSAGE, { key: ec.publicKey, dsaEncoding: 'ieee-p1363' }, ecSig)).toBe(
          true,
        );

        const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 });
        const rsaBlobs = wrapForImport(rsa.privateKey.export({ format: 'der', type: 'pkcs8' }), kekekSpki);
        const rsaKey = await hsm.import(kekek.handle, rsaBlobs.pkcs8, rsaBlobs.kek, DS | TOKEN);
        expect((await hsm.getPublicKey(rsaKey.handle)).equals(spkiOf(rsa.publicKey))).toBe(true);
        const rsaSig = await hsm.sign(rsaKey.handle, { data: sha256DigestInfo(MESSAGE) });
        expect(rsaSig.equals(nodeSign('sha256', MESSAGE, rsa.privateKey))).toBe(true);
      });
    });

    it('fails with a KEYWRAP status for blobs made for another KEKEK or damaged, and with UNSUPPORTED_KEY for a public KEKEK (§5.4)', async () => {
      const client = await ctx.client(ctx.a);
      await client.withConnection(async (hsm) => {
        const kekek = await hsm.generateRsa(1024, 65537, KE);
        const kekekSpki = await hsm.getPublicKey(kekek.handle);
        const pkcs8 = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({
          format: 'der',
          type: 'pkcs8',
        });

        const elsewhere = wrapForImport(pkcs8, nodeKekek().spki);
        const wrongKekek = await statusOf(() => hsm.import(kekek.handle, elsewhere.pkcs8, elsewhere.kek, DS));
        expect(wrongKekek.rpc).toBe('PKEY_IMPORT');
        expect(['KEYWRAP_BAD_MAGIC', 'KEYWRAP_BAD_LENGTH', 'KEYWRAP_BAD_PADDING']).toContain(
          wrongKekek.status,
        );

        const blobs = wrapForImport(pkcs8, kekekSpki);
        const damaged = Buffer.from(blobs.pkcs8);
        damaged[damaged.length - 3] ^= 0x40;
        const damagedStatus = await statusOf(() => hsm.import(kekek.handle, damaged, blobs.kek, DS));
        expect(['KEYWRAP_BAD_MAGIC', 'KEYWRAP_BAD_LENGTH', 'KEYWRAP_BAD_PADDING']).toContain(
          damagedStatus.status,
        );

        const publicOnly = await hsm.load(kekekSpki, KE);
        expect(await statusOf(() => hsm.import(publicOnly.handle, blobs.pkcs8, blobs.kek, DS))).toEqual({
          status: 'UNSUPPORTED_KEY',
          rpc: 'PKEY_IMPORT',
        });
      });
    });
  });
}
