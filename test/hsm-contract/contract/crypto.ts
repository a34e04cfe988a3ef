/**
 * What the contract checks the HSM against, written with node:crypto and asn1js only (nothing from
 * src/soft-hsm), so a misreading shared by the soft HSM and its checks cannot pass.
 */
import * as asn1js from 'asn1js';
import {
  constants,
  createCipheriv,
  createDecipheriv,
  createHash,
  createPublicKey,
  privateDecrypt,
  publicEncrypt,
  type KeyObject,
} from 'node:crypto';

/** RFC 5649 §3 alternative initial value (first 32 bits); node's id-aes256-wrap-pad takes it as the IV. */
const AIV = Buffer.from('a65959a6', 'hex');
export const OID_AES256_WRAP_PAD = '2.16.840.1.101.3.4.1.48';
export const OID_RSA_ENCRYPTION = '1.2.840.113549.1.1.1';

/** RFC 8017 §9.2 note 1: the DigestInfo DER prefix for SHA-256. */
const SHA256_DIGEST_INFO_PREFIX = Buffer.from('3031300d060960864801650304020105000420', 'hex');

export function sha(alg: 'sha256' | 'sha384' | 'sha512', data: Uint8Array): Buffer {
  return createHash(alg).update(data).digest();
}

/** DigestInfo(SHA-256(message)): what an RSA PKCS#1 v1.5 signature is over (§3.3 "RSA"). */
export function sha256DigestInfo(message: Uint8Array): Buffer {
  return Buffer.concat([SHA256_DIGEST_INFO_PREFIX, sha('sha256', message)]);
}

export function spkiKey(spki: Uint8Array): KeyObject {
  return createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
}

/** DER `EncryptedPrivateKeyInfo { AlgorithmIdentifier { oid } (no parameters), OCTET STRING data }` (§5.3). */
export function encryptedPrivateKeyInfo(oid: string, data: Uint8Array): Buffer {
  const der = new asn1js.Sequence({
    value: [
      new asn1js.Sequence({ value: [new asn1js.ObjectIdentifier({ value: oid })] }),
      new asn1js.OctetString({ valueHex: Uint8Array.from(data).buffer }),
    ],
  }).toBER();
  return Buffer.from(der);
}

/** Parses an EncryptedPrivateKeyInfo, insisting on the whole input being one SEQUENCE. */
export function parseEncryptedPrivateKeyInfo(der: Uint8Array): { oid: string; params: number; data: Buffer } {
  const parsed = asn1js.fromBER(Uint8Array.from(der));
  if (parsed.offset !== der.length || !(parsed.result instanceof asn1js.Sequence))
    throw new Error('EncryptedPrivateKeyInfo: not one DER SEQUENCE');
  const [alg, data] = parsed.result.valueBlock.value;
  if (!(alg instanceof asn1js.Sequence) || !(data instanceof asn1js.OctetString))
    throw new Error('EncryptedPrivateKeyInfo: expected SEQUENCE { SEQUENCE, OCTET STRING }');
  const [oid, ...params] = alg.valueBlock.value;
  if (!(oid instanceof asn1js.ObjectIdentifier)) throw new Error('EncryptedPrivateKeyInfo: no algorithm OID');
  return {
    oid: oid.valueBlock.toString(),
    params: params.length,
    data: Buffer.from(data.valueBlock.valueHexView),
  };
}

/** RFC 5649 key wrap with padding under a 256-bit key (node's `id-aes256-wrap-pad`). */
export function aesKeyWrapPad(kek: Uint8Array, plaintext: Uint8Array): Buffer {
  const cipher = createCipheriv('id-aes256-wrap-pad', kek, AIV);
  return Buffer.concat([cipher.update(plaintext), cipher.final()]);
}

export function aesKeyUnwrapPad(kek: Uint8Array, wrapped: Uint8Array): Buffer {
  const decipher = createDecipheriv('id-aes256-wrap-pad', kek, AIV);
  return Buffer.concat([decipher.update(wrapped), decipher.final()]);
}

/** RSAES-PKCS1-v1_5 encryption (§5.3 step 6); node still does the public side. */
export function rsaPkcs1Encrypt(spki: Uint8Array, message: Uint8Array): Buffer {
  return publicEncrypt({ key: spkiKey(spki), padding: constants.RSA_PKCS1_PADDING }, message);
}

/**
 * RSAES-PKCS1-v1_5 decryption (RFC 8017 §7.2.2). Node 20 refuses PKCS#1 v1.5 private decryption
 * (CVE-2023-46809), so: the raw RSA operation, then the EM = 00 02 PS 00 M checks by hand.
 */
export function rsaPkcs1Decrypt(privateKey: KeyObject, ciphertext: Uint8Array): Buffer {
  const em = privateDecrypt({ key: privateKey, padding: constants.RSA_NO_PADDING }, ciphertext);
  if (em[0] !== 0x00 || em[1] !== 0x02) throw new Error('PKCS#1 v1.5: EM does not start 00 02');
  const separator = em.indexOf(0x00, 2);
  if (separator < 0) throw new Error('PKCS#1 v1.5: no zero separator');
  if (separator - 2 < 8) throw new Error(`PKCS#1 v1.5: PS is ${separator - 2} bytes, at least 8 required`);
  return em.subarray(separator + 1);
}

const OID_HASHSIG = '1.2.840.113549.1.9.16.3.17';

/**
 * libhal's hashsig SPKI (§7.4 "Public key") to the RFC 8554 §6.1 encoding
 * `u32str(L) ‖ u32str(lms_type) ‖ u32str(lmots_type) ‖ I ‖ T1`.
 */
export function hashsigRawPublicKey(spki: Uint8Array): Buffer {
  const outer = asn1js.fromBER(Uint8Array.from(spki));
  if (outer.offset !== spki.length || !(outer.result instanceof asn1js.Sequence))
    throw new Error('SPKI: not a SEQUENCE');
  const [alg, bits] = outer.result.valueBlock.value;
  if (!(alg instanceof asn1js.Sequence) || !(bits instanceof asn1js.BitString))
    throw new Error('SPKI: bad layout');
  const oid = alg.valueBlock.value[0];
  if (!(oid instanceof asn1js.ObjectIdentifier) || oid.valueBlock.toString() !== OID_HASHSIG)
    throw new Error('SPKI: not id-alg-mts-hashsig');
  const inner = asn1js.fromBER(bits.valueBlock.valueHexView);
  if (!(inner.result instanceof asn1js.Sequence)) throw new Error('hashsig public key: not a SEQUENCE');
  const [L, lms, lmots, I, T1] = inner.result.valueBlock.value;
  const int = (v: unknown) => {
    if (!(v instanceof asn1js.Integer)) throw new Error('hashsig public key: expected INTEGER');
    return v.valueBlock.valueDec;
  };
  const octets = (v: unknown, n: number) => {
    if (!(v instanceof asn1js.OctetString) || v.valueBlock.valueHexView.length !== n)
      throw new Error(`hashsig public key: expected OCTET STRING(${n})`);
    return Buffer.from(v.valueBlock.valueHexView);
  };
  const head = Buffer.alloc(12);
  head.writeUInt32BE(int(L), 0);
  head.writeUInt32BE(int(lms), 4);
  head.writeUInt32BE(int(lmots), 8);
  return Buffer.concat([head, octets(I, 16), octets(T1, 32)]);
}
