/**
 * PKEY_EXPORT / PKEY_IMPORT under a transit KEK (docs/libhal-rpc.md §5) between two soft HSMs and with
 * a KEKEK held in software, as cryptech_backup and TestPKeyBackup use them.
 */
import {
  constants,
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  privateDecrypt,
  privateEncrypt,
  publicEncrypt,
  randomBytes,
  sign as nodeSign,
} from 'node:crypto';
import { aeskwp } from '@noble/ciphers/aes.js';
import { KeyType } from '../../src/hsm-adapter/constants';
import { OID } from '../../src/lib/spki';
import { buildEncryptedPrivateKeyInfo, parseEncryptedPrivateKeyInfo } from '../../src/lib/pkcs8';
import { DS, EXPORTABLE, KE, KEK_B, TOKEN, freshHsm, login, statusOf, type Fresh } from './support';

const exportArgs = (pkey: number, kekek: number) => ({ pkey, kekek, pkcs8Max: 5480, kekMax: 512 });

describe('soft HSM transit export/import', () => {
  let src: Fresh;
  let dst: Fresh;
  beforeEach(async () => {
    src = await freshHsm({ seed: 'src' });
    dst = await freshHsm({ seed: 'dst', kek: KEK_B });
    await login(src.hsm, 1);
    await login(dst.hsm, 1);
  });
  afterEach(async () => {
    await src.cleanup();
    await dst.cleanup();
  });

  /** Destination makes an RSA KEKEK; the source loads its public key with KEYENCIPHERMENT. */
  function kekekPair() {
    const kekek = dst.hsm.pkeyGenerateRsa(1, {
      session: 0,
      keyBits: 2048,
      publicExponent: Buffer.from([1, 0, 1]),
      flags: KE | TOKEN,
    });
    const spki = dst.hsm.pkeyGetPublicKey(1, { pkey: kekek.pkey, derMax: 1000 }).der;
    const loaded = src.hsm.pkeyLoad(1, { session: 0, der: spki, flags: KE });
    return { dstKekek: kekek.pkey, srcKekek: loaded.pkey };
  }

  it('moves an EC key HSM to HSM: same public key, new name, caller-supplied flags', () => {
    const { dstKekek, srcKekek } = kekekPair();
    const key = src.hsm.pkeyGenerateEc(1, { session: 0, curve: 2, flags: DS | TOKEN | EXPORTABLE });
    const blobs = src.hsm.pkeyExport(1, exportArgs(key.pkey, srcKekek));
    expect(blobs.kek).toHaveLength(277); // 2048-bit KEKEK (§5.2)
    expect(parseEncryptedPrivateKeyInfo(blobs.pkcs8).algorithm).toBe(OID.aes256WrapPad);
    expect(parseEncryptedPrivateKeyInfo(blobs.kek).algorithm).toBe(OID.rsaEncryption);
    const imported = dst.hsm.pkeyImport(1, {
      session: 0,
      kekek: dstKekek,
      pkcs8: blobs.pkcs8,
      kek: blobs.kek,
      flags: DS | TOKEN,
    });
    expect(imported.name.equals(key.name)).toBe(false);
    expect(dst.hsm.pkeyGetKeyFlags(1, { pkey: imported.pkey }).flags).toBe(DS | TOKEN);
    expect(dst.hsm.pkeyGetKeyType(1, { pkey: imported.pkey }).type).toBe(KeyType.EC_PRIVATE);
    const a = src.hsm.pkeyGetPublicKey(1, { pkey: key.pkey, derMax: 500 }).der;
    const b = dst.hsm.pkeyGetPublicKey(1, { pkey: imported.pkey, derMax: 500 }).der;
    expect(b.equals(a)).toBe(true);
  });

  it('exports to a software KEKEK: the KEK is RSAES-PKCS1-v1_5 and the key RFC 5649-wrapped (TestPKeyBackup.test_export)', () => {
    const soft = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const kekek = src.hsm.pkeyLoad(1, {
      session: 0,
      der: soft.publicKey.export({ type: 'spki', format: 'der' }),
      flags: KE,
    }).pkey;
    const key = src.hsm.pkeyGenerateRsa(1, {
      session: 0,
      keyBits: 1024,
      publicExponent: Buffer.from([1, 0, 1]),
      flags: DS | EXPORTABLE,
    });
    const blobs = src.hsm.pkeyExport(1, exportArgs(key.pkey, kekek));
    const em = privateDecrypt(
      { key: soft.privateKey, padding: constants.RSA_NO_PADDING },
      parseEncryptedPrivateKeyInfo(blobs.kek).data,
    );
    expect(em.subarray(0, 2).toString('hex')).toBe('0002');
    const sep = em.indexOf(0, 2);
    expect(sep).toBe(em.length - 33);
    expect(em.subarray(2, sep).includes(0)).toBe(false);
    const pkcs8 = aeskwp(em.subarray(sep + 1)).decrypt(parseEncryptedPrivateKeyInfo(blobs.pkcs8).data);
    const priv = createPrivateKey({ key: Buffer.from(pkcs8), format: 'der', type: 'pkcs8' });
    const msg = Buffer.from('backup');
    const digestInfo = Buffer.concat([
      Buffer.from('3021300906052b0e03021a05000414', 'hex'),
      createHash('sha1').update(msg).digest(),
    ]);
    const hsmSig = src.hsm.pkeySign(1, { pkey: key.pkey, hash: 0, input: digestInfo, sigMax: 128 }).signature;
    expect(nodeSign('sha1', msg, priv).equals(hsmSig)).toBe(true);
  });

  it('imports a key wrapped in software under its KEKEK (TestPKeyBackup.test_import)', () => {
    const kekek = dst.hsm.pkeyGenerateRsa(1, {
      session: 0,
      keyBits: 1024,
      publicExponent: Buffer.from([1, 0, 1]),
      flags: KE,
    });
    const kekekPub = createPublicKey({
      key: dst.hsm.pkeyGetPublicKey(1, { pkey: kekek.pkey, derMax: 500 }).der,
      format: 'der',
      type: 'spki',
    });
    const known = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const kek = randomBytes(32);
    const pkcs8 = buildEncryptedPrivateKeyInfo(
      OID.aes256WrapPad,
      aeskwp(kek).encrypt(known.privateKey.export({ type: 'pkcs8', format: 'der' })),
    );
    const kekBlob = buildEncryptedPrivateKeyInfo(
      OID.rsaEncryption,
      publicEncrypt({ key: kekekPub, padding: constants.RSA_PKCS1_PADDING }, kek),
    );
    const imported = dst.hsm.pkeyImport(1, { session: 0, kekek: kekek.pkey, pkcs8, kek: kekBlob, flags: DS });
    const digestInfo = Buffer.concat([
      Buffer.from('3031300d060960864801650304020105000420', 'hex'),
      Buffer.alloc(32, 7),
    ]);
    const sig = dst.hsm.pkeySign(1, {
      pkey: imported.pkey,
      hash: 0,
      input: digestInfo,
      sigMax: 128,
    }).signature;
    const expected = privateEncrypt(
      { key: known.privateKey, padding: constants.RSA_PKCS1_PADDING },
      digestInfo,
    );
    expect(sig.equals(expected)).toBe(true);
  });

  it('applies the export checks of §5.2 in order', async () => {
    const { srcKekek } = kekekPair();
    const exportable = src.hsm.pkeyGenerateEc(1, { session: 0, curve: 1, flags: DS | EXPORTABLE }).pkey;
    const plain = src.hsm.pkeyGenerateEc(1, { session: 0, curve: 1, flags: DS }).pkey;
    const ecKekek = src.hsm.pkeyGenerateEc(1, { session: 0, curve: 1, flags: KE }).pkey;
    const noKe = src.hsm.pkeyGenerateRsa(1, {
      session: 0,
      keyBits: 1024,
      publicExponent: Buffer.from([1, 0, 1]),
      flags: DS,
    }).pkey;
    const exp = (a: Partial<ReturnType<typeof exportArgs>>) =>
      statusOf(() => src.hsm.pkeyExport(1, { ...exportArgs(exportable, srcKekek), ...a }));
    expect(await exp({ kekMax: 32 })).toBe('BAD_ARGUMENTS');
    expect(await exp({ pkey: 0x777 })).toBe('KEY_NOT_FOUND');
    expect(await exp({ kekek: 0x777 })).toBe('KEY_NOT_FOUND');
    expect(await exp({ pkey: plain })).toBe('FORBIDDEN');
    expect(await exp({ kekek: noKe })).toBe('FORBIDDEN');
    expect(await exp({ kekek: ecKekek })).toBe('UNSUPPORTED_KEY');
    expect(await exp({ pkcs8Max: 5479 })).toBe('RESULT_TOO_LONG');
    expect(await exp({ kekMax: 255 })).toBe('RESULT_TOO_LONG');
    expect(await exp({ kekMax: 270 })).toBe('RESULT_TOO_LONG'); // modulus fits, DER wrapper does not
    expect(await exp({})).toBe('OK');
  });

  it('applies the import checks of §5.4, and a bad KEK blob fails only at the unwrap (random-KEK defence)', async () => {
    const { dstKekek, srcKekek } = kekekPair();
    const key = src.hsm.pkeyGenerateEc(1, { session: 0, curve: 1, flags: DS | EXPORTABLE });
    const blobs = src.hsm.pkeyExport(1, exportArgs(key.pkey, srcKekek));
    const imp = (a: { kekek?: number; pkcs8?: Buffer; kek?: Buffer; flags?: number }) =>
      statusOf(() =>
        dst.hsm.pkeyImport(1, {
          session: 0,
          kekek: a.kekek ?? dstKekek,
          pkcs8: a.pkcs8 ?? blobs.pkcs8,
          kek: a.kek ?? blobs.kek,
          flags: a.flags ?? DS,
        }),
      );
    const pubKekek = dst.hsm.pkeyLoad(1, {
      session: 0,
      der: dst.hsm.pkeyGetPublicKey(1, { pkey: dstKekek, derMax: 999 }).der,
      flags: KE,
    }).pkey;
    const noKe = dst.hsm.pkeyGenerateRsa(1, {
      session: 0,
      keyBits: 1024,
      publicExponent: Buffer.from([1, 0, 1]),
      flags: DS,
    }).pkey;
    expect(await imp({ kekek: 0x999 })).toBe('KEY_NOT_FOUND');
    expect(await imp({ kekek: noKe })).toBe('FORBIDDEN');
    expect(await imp({ kekek: pubKekek })).toBe('UNSUPPORTED_KEY');
    expect(await imp({ kek: Buffer.from([0x30, 0x00]) })).toBe('BAD_ARGUMENTS');
    expect(await imp({ kek: blobs.pkcs8 })).toBe('ASN1_PARSE_FAILED');
    expect(await imp({ pkcs8: blobs.kek })).toBe('ASN1_PARSE_FAILED');
    const forged = Buffer.from(buildEncryptedPrivateKeyInfo(OID.rsaEncryption, Buffer.alloc(256, 0x42)));
    expect(['KEYWRAP_BAD_MAGIC', 'KEYWRAP_BAD_LENGTH', 'KEYWRAP_BAD_PADDING']).toContain(
      await imp({ kek: forged }),
    );
    expect(await imp({ flags: 0x100 })).toBe('BAD_ARGUMENTS');
    expect(await imp({})).toBe('OK');
  });
});
