import {
  constants,
  createCipheriv,
  createDecipheriv,
  createPrivateKey,
  generateKeyPairSync,
  privateDecrypt,
  publicEncrypt,
  sign as nodeSign,
  verify as nodeVerify,
  type KeyObject,
} from 'node:crypto';
import * as asn1js from 'asn1js';
import { expectTypedFailureAtEveryTruncation, thrown, toHex } from '../../../test/support/bytes';
import { seededRng } from '../../../test/soft-hsm/crypto/support';
import { EC_CURVES, OID, type EcCurveName } from '../../lib/spki';
import {
  buildEncryptedPrivateKeyInfo,
  buildHashsigPrivateKeyInfo,
  parseEcPrivateKeyInfo,
  parseEncryptedPrivateKeyInfo,
} from '../../lib/pkcs8';
import { digest, digestByName } from './digest';
import { DerError } from '../../lib/errors';
import { KeywrapError } from './errors';
import { unwrapKey, wrapKey } from './keywrap';
import { encryptKek } from './rsa-kek';
import { ecdsaSign, generateEcKey, rsaDigestInfo, rsaPrivateKeyObject, rsaSign } from './signing';
import { WRAPPED_KEY_MAX, exportBlobs, importBlobs, type ExportBlobs } from './transit';

const AIV = Buffer.from('a65959a6', 'hex');
const message = new TextEncoder().encode('Cryptech Alpha encrypted key backup');
const { privateKey: kekek, publicKey: kekekPublic } = generateKeyPairSync('rsa', { modulusLength: 2048 });

/** Reads an EncryptedPrivateKeyInfo with asn1js: [algorithm OID, parameter count, data]. */
function readWithAsn1js(blob: Uint8Array): [string, number, Uint8Array] {
  const { result, offset } = asn1js.fromBER(blob);
  expect(offset).toBe(blob.length);
  const [alg, data] = (result as asn1js.Sequence).valueBlock.value as [asn1js.Sequence, asn1js.OctetString];
  const oid = (alg.valueBlock.value[0] as asn1js.ObjectIdentifier).valueBlock.toString();
  return [oid, alg.valueBlock.value.length - 1, new Uint8Array(data.valueBlock.valueHexView)];
}

/** RFC 8017 §7.2.2 step 3, written out for the test: EM = 00 02 PS(≥ 8 non-zero) 00 M. */
function pkcs1v15Decode(em: Uint8Array): Uint8Array {
  expect([em[0], em[1]]).toEqual([0, 2]);
  const sep = em.indexOf(0, 2);
  expect(sep).toBeGreaterThanOrEqual(10);
  return em.subarray(sep + 1);
}

/** What a destination with only node:crypto (and asn1js) does with the two blobs. */
function openWithNode(blobs: ExportBlobs, kekekPrivate: KeyObject): Uint8Array {
  const [kekOid, kekParams, kekCiphertext] = readWithAsn1js(blobs.kek);
  const [keyOid, keyParams, wrapped] = readWithAsn1js(blobs.pkcs8);
  expect([kekOid, kekParams, keyOid, keyParams]).toEqual([OID.rsaEncryption, 0, OID.aes256WrapPad, 0]);
  // Node 20 refuses RSA_PKCS1_PADDING for private decryption (CVE-2023-46809); the real padded path
  // runs in test/soft-hsm/crypto/rsa-kek.int.spec.ts with --security-revert.
  const em = new Uint8Array(
    privateDecrypt({ key: kekekPrivate, padding: constants.RSA_NO_PADDING }, kekCiphertext),
  );
  const kek = pkcs1v15Decode(em);
  expect(kek.length).toBe(32);
  const d = createDecipheriv('id-aes256-wrap-pad', kek, AIV);
  return new Uint8Array(Buffer.concat([d.update(wrapped), d.final()]));
}

/** What a source with only node:crypto (and asn1js) would send. */
function sealWithNode(pkcs8: Uint8Array, kek: Uint8Array, kekekPublicKey: KeyObject): ExportBlobs {
  const c = createCipheriv('id-aes256-wrap-pad', kek, AIV);
  const wrapped = Buffer.concat([c.update(pkcs8), c.final()]);
  const encryptedKek = publicEncrypt({ key: kekekPublicKey, padding: constants.RSA_PKCS1_PADDING }, kek);
  const epki = (oid: string, data: Uint8Array): Uint8Array =>
    new Uint8Array(
      new asn1js.Sequence({
        value: [
          new asn1js.Sequence({ value: [new asn1js.ObjectIdentifier({ value: oid })] }),
          new asn1js.OctetString({ valueHex: data }),
        ],
      }).toBER(false),
    );
  return { pkcs8: epki(OID.aes256WrapPad, wrapped), kek: epki(OID.rsaEncryption, encryptedKek) };
}

const curves = Object.keys(EC_CURVES) as EcCurveName[];

describe('transit export (PKEY_EXPORT, §5.3) read back by node:crypto', () => {
  describe.each(curves)('an exportable %s key', (curve) => {
    const source = generateEcKey(curve, seededRng(`transit ${curve}`));
    const rng = seededRng(`export ${curve}`);
    const blobs = exportBlobs(source.pkcs8, kekekPublic, rng);

    it('is exactly our primitives composed: KEK from the RNG, wrap, EPKI; KEK under the KEKEK, EPKI', () => {
      const replay = seededRng(`export ${curve}`);
      const kek = replay(32);
      expect(toHex(blobs.pkcs8)).toBe(
        toHex(buildEncryptedPrivateKeyInfo(OID.aes256WrapPad, wrapKey(kek, source.pkcs8))),
      );
      expect(toHex(blobs.kek)).toBe(
        toHex(buildEncryptedPrivateKeyInfo(OID.rsaEncryption, encryptKek(kekekPublic, kek, replay))),
      );
    });

    it('node:crypto recovers the exact PKCS#8, and the recovered key signs identically', () => {
      const recovered = openWithNode(blobs, kekek);
      expect(toHex(recovered)).toBe(toHex(source.pkcs8));
      const h = digest(digestByName('sha256'), message);
      expect(toHex(ecdsaSign(parseEcPrivateKeyInfo(recovered), h))).toBe(toHex(ecdsaSign(source.key, h)));
      const nodeKey = createPrivateKey({ key: Buffer.from(recovered), format: 'der', type: 'pkcs8' });
      const nodeSig = nodeSign('sha256', message, { key: nodeKey, dsaEncoding: 'ieee-p1363' });
      const spki = {
        key: Buffer.from(source.spki),
        format: 'der' as const,
        type: 'spki' as const,
        dsaEncoding: 'ieee-p1363' as const,
      };
      expect(nodeVerify('sha256', message, spki, nodeSig)).toBe(true);
    });

    it('imports back (PKEY_IMPORT, §5.4) to the exact PKCS#8', () => {
      expect(toHex(importBlobs(blobs, kekek, seededRng('import')))).toBe(toHex(source.pkcs8));
    });
  });

  it('an RSA key survives the round trip and node:crypto’s signature equals ours', () => {
    const pkcs8 = new Uint8Array(
      generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'der' }),
    );
    const recovered = openWithNode(exportBlobs(pkcs8, kekekPublic, seededRng('rsa export')), kekek);
    expect(toHex(recovered)).toBe(toHex(pkcs8));
    const h = digest(digestByName('sha256'), message);
    const ours = rsaSign(rsaPrivateKeyObject(pkcs8), rsaDigestInfo(digestByName('sha256'), h));
    const theirs = nodeSign(
      'sha256',
      message,
      createPrivateKey({ key: Buffer.from(recovered), format: 'der', type: 'pkcs8' }),
    );
    expect(toHex(ours)).toBe(toHex(theirs));
  });

  it('a hashsig private key travels the same way', () => {
    const rng = seededRng('hashsig transit');
    const pkcs8 = buildHashsigPrivateKeyInfo({
      L: 1,
      lmsType: 5,
      lmotsType: 3,
      I: rng(16),
      T1: rng(32),
      seed: rng(32),
      qStart: 16,
      qEnd: 32,
    });
    expect(toHex(openWithNode(exportBlobs(pkcs8, kekekPublic, rng), kekek))).toBe(toHex(pkcs8));
  });
});

describe('transit import (PKEY_IMPORT, §5.4) of blobs sealed by node:crypto', () => {
  const source = generateEcKey('P-384', seededRng('import source'));
  const kek = seededRng('node kek')(32);
  const blobs = sealWithNode(source.pkcs8, kek, kekekPublic);

  it('recovers the exact PKCS#8', () => {
    expect(toHex(importBlobs(blobs, kekek, seededRng('fallback')))).toBe(toHex(source.pkcs8));
  });

  it('accepts a NULL parameter in both AlgorithmIdentifiers', () => {
    const withNull = (blob: Uint8Array): Uint8Array => {
      const { algorithm, data } = parseEncryptedPrivateKeyInfo(blob);
      return new Uint8Array(
        new asn1js.Sequence({
          value: [
            new asn1js.Sequence({
              value: [new asn1js.ObjectIdentifier({ value: algorithm }), new asn1js.Null()],
            }),
            new asn1js.OctetString({ valueHex: data }),
          ],
        }).toBER(false),
      );
    };
    const nulls = { pkcs8: withNull(blobs.pkcs8), kek: withNull(blobs.kek) };
    expect(toHex(importBlobs(nulls, kekek, seededRng('fallback')))).toBe(toHex(source.pkcs8));
  });

  describe('tampered blobs fail the way libhal fails', () => {
    const kind = (b: ExportBlobs, key: KeyObject = kekek): unknown => {
      const e = thrown(() => importBlobs(b, key, seededRng('fallback')));
      return e instanceof KeywrapError ? e.kind : e instanceof DerError ? 'asn1-parse-failed' : String(e);
    };
    const reEncrypt = (f: (data: Uint8Array) => Uint8Array, blob: Uint8Array): Uint8Array => {
      const { algorithm, data } = parseEncryptedPrivateKeyInfo(blob);
      return buildEncryptedPrivateKeyInfo(algorithm, f(data));
    };
    const flip = (i: number) => (d: Uint8Array) => Uint8Array.from(d, (b, j) => (j === i ? b ^ 0x10 : b));
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;

    it.each([
      [
        'a corrupted KEK ciphertext → random KEK → KEYWRAP_BAD_MAGIC',
        () => kind({ ...blobs, kek: reEncrypt(flip(7), blobs.kek) }),
        'bad-magic',
      ],
      ['the wrong KEKEK → random KEK → KEYWRAP_BAD_MAGIC', () => kind(blobs, other), 'bad-magic'],
      [
        'a corrupted wrapped key → KEYWRAP_BAD_MAGIC',
        () => kind({ ...blobs, pkcs8: reEncrypt(flip(20), blobs.pkcs8) }),
        'bad-magic',
      ],
      [
        'a wrapped key cut by 3 bytes → KEYWRAP_BAD_LENGTH',
        () => kind({ ...blobs, pkcs8: reEncrypt((d) => d.subarray(0, d.length - 3), blobs.pkcs8) }),
        'bad-length',
      ],
      [
        'a wrapped key cut by 8 bytes → KEYWRAP_BAD_MAGIC',
        () => kind({ ...blobs, pkcs8: reEncrypt((d) => d.subarray(8), blobs.pkcs8) }),
        'bad-magic',
      ],
      [
        'the blobs swapped → ASN1_PARSE_FAILED',
        () => kind({ pkcs8: blobs.kek, kek: blobs.pkcs8 }),
        'asn1-parse-failed',
      ],
      [
        'a KEK ciphertext of 1 byte → ASN1_PARSE_FAILED',
        () => kind({ ...blobs, kek: reEncrypt((d) => d.subarray(0, 1), blobs.kek) }),
        'asn1-parse-failed',
      ],
      [
        'a wrapped key over 5480 bytes → ASN1_PARSE_FAILED',
        () => kind({ ...blobs, pkcs8: reEncrypt(() => new Uint8Array(WRAPPED_KEY_MAX + 8), blobs.pkcs8) }),
        'asn1-parse-failed',
      ],
    ])('%s', (_label, outcome, expected) => {
      expect(outcome()).toBe(expected);
    });

    it('a wrapped key with non-zero padding under the right KEK → KEYWRAP_BAD_PADDING', () => {
      // RFC 3394 wrap with a hand-made AIV: MLI 17 over 24 bytes whose last pad byte is 1.
      const aiv = Buffer.from('a65959a600000011', 'hex');
      const body = Buffer.alloc(24, 0x33);
      body[23] = 1;
      const c = createCipheriv('id-aes256-wrap', kek, aiv);
      const wrapped = new Uint8Array(Buffer.concat([c.update(body), c.final()]));
      expect(kind({ ...blobs, pkcs8: buildEncryptedPrivateKeyInfo(OID.aes256WrapPad, wrapped) })).toBe(
        'bad-padding',
      );
    });

    it('every truncation of either blob is a typed error', () => {
      expectTypedFailureAtEveryTruncation(blobs.kek, (b) =>
        importBlobs({ ...blobs, kek: b }, kekek, seededRng('t')),
      );
      expectTypedFailureAtEveryTruncation(blobs.pkcs8, (b) =>
        importBlobs({ ...blobs, pkcs8: b }, kekek, seededRng('t')),
      );
    });
  });
});

describe('raw export (§9.2): the keystore blob under the MKM KEK', () => {
  it('round-trips under the same KEK and fails KEYWRAP_BAD_MAGIC under another', () => {
    const rng = seededRng('mkm');
    const pkcs8 = generateEcKey('P-256', rng).pkcs8;
    const mkmKek = rng(32);
    const blob = wrapKey(mkmKek, pkcs8);
    expect(toHex(unwrapKey(mkmKek, blob))).toBe(toHex(pkcs8));
    expect(thrown(() => unwrapKey(rng(32), blob))).toMatchObject({ kind: 'bad-magic', halStatus: 9 });
  });
});
