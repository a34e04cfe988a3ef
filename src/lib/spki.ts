/**
 * SubjectPublicKeyInfo (RFC 5280 §4.1.2.7) of RSA (RFC 8017 §A.1.1), EC (RFC 5480 §2) and hashsig
 * keys (docs/libhal-rpc.md §7.4), byte for byte as libhal writes them; the hashsig SPKI converted to
 * and from the RFC 8554 §6.1 HSS public key; and the AlgorithmIdentifier (RFC 5280 §4.1.1.2)
 * that ./pkcs8.ts shares.
 *
 * Parsed fields are views into the input, not copies.
 */
import { abytes, concatBytes, readU32, u32str } from './bytes';
import { DerReader, Tag, der, encodeDer, type DerNode } from './der';
import { ArgumentError, DerError, UnsupportedKeyError } from './errors';

export const OID = {
  rsaEncryption: '1.2.840.113549.1.1.1',
  ecPublicKey: '1.2.840.10045.2.1',
  /** id-alg-mts-hashsig (RFC 8708 §3; libhal uses the draft's arc). */
  mtsHashsig: '1.2.840.113549.1.9.16.3.17',
  /** id-aes256-wrap-pad, RFC 5649 §6 ASN.1 module. */
  aes256WrapPad: '2.16.840.1.101.3.4.1.48',
} as const;

export type EcCurveName = 'P-256' | 'P-384' | 'P-521';

export interface EcCurveInfo {
  readonly name: EcCurveName;
  /** Named-curve OID (RFC 5480 §2.1.1.1). */
  readonly oid: string;
  /** Byte length of the group order: private scalar and each of r, s, X, Y. */
  readonly scalarBytes: 32 | 48 | 66;
}

export const EC_CURVES: Readonly<Record<EcCurveName, EcCurveInfo>> = {
  'P-256': { name: 'P-256', oid: '1.2.840.10045.3.1.7', scalarBytes: 32 },
  'P-384': { name: 'P-384', oid: '1.3.132.0.34', scalarBytes: 48 },
  'P-521': { name: 'P-521', oid: '1.3.132.0.35', scalarBytes: 66 },
};

/** Unsigned big-endian magnitudes. */
export interface RsaPublicKey {
  n: Uint8Array;
  e: Uint8Array;
}

export interface EcPublicKey {
  curve: EcCurveName;
  /** Uncompressed point 04 ‖ X ‖ Y (SEC 1 §2.3.3), coordinates padded to the order length. */
  point: Uint8Array;
}

/** §7.4 public fields; the same five as the RFC 8554 HSS public key. */
export interface HashsigPublicKey {
  L: number;
  lmsType: number;
  lmotsType: number;
  I: Uint8Array;
  T1: Uint8Array;
}

// --- AlgorithmIdentifier --------------------------------------------------------------------------

export interface AlgorithmIdentifier {
  /** Offset of the AlgorithmIdentifier in the input, for error messages. */
  at: number;
  oid: string;
  /** Named-curve OID parameter, if present. */
  curveOid?: string;
  /** True if the parameters field was an explicit NULL. */
  hasNull: boolean;
}

export function readAlgorithm(r: DerReader, what: string): AlgorithmIdentifier {
  const at = r.offset;
  const a = r.sequence(`${what} AlgorithmIdentifier`);
  const oid = a.oid(`${what} algorithm`);
  let curveOid: string | undefined;
  let hasNull = false;
  if (a.peekTag() === Tag.NULL) {
    a.null(`${what} parameters`);
    hasNull = true;
  } else if (a.peekTag() === Tag.OID) {
    curveOid = a.oid(`${what} named curve`);
  }
  a.finish(`${what} AlgorithmIdentifier`);
  return { at, oid, curveOid, hasNull };
}

export function algorithm(oid: string, param: 'null' | { curve: string }): DerNode {
  return der.seq(der.oid(oid), param === 'null' ? der.null() : der.oid(param.curve));
}

/** RSA and hashsig: the algorithm OID, parameters NULL or absent (libhal accepts both). */
export function expectAlgorithm(alg: AlgorithmIdentifier, oid: string, what: string): void {
  if (alg.oid !== oid) throw new DerError(alg.at, `${what}: algorithm ${alg.oid} is not ${oid}`);
  if (alg.curveOid !== undefined) throw new DerError(alg.at, `${what}: unexpected OID parameter`);
}

/** EC: id-ecPublicKey with a named curve we support (RFC 5480 §2.1.1). */
export function ecCurveOf(alg: AlgorithmIdentifier, what: string): EcCurveInfo {
  if (alg.oid !== OID.ecPublicKey)
    throw new DerError(alg.at, `${what}: algorithm ${alg.oid} is not id-ecPublicKey`);
  if (alg.curveOid === undefined) throw new DerError(alg.at, `${what}: named curve missing`);
  const info = Object.values(EC_CURVES).find((c) => c.oid === alg.curveOid);
  if (!info) throw new UnsupportedKeyError(`EC curve OID ${alg.curveOid} is not one we support`);
  return info;
}

/** RFC 5280 §4.1.2.7: the algorithm and a reader over the subjectPublicKey bits. */
export function readSpki(input: Uint8Array): { alg: AlgorithmIdentifier; publicKey: DerReader } {
  const top = DerReader.of(input);
  const r = top.sequence('SubjectPublicKeyInfo');
  top.finish('SubjectPublicKeyInfo');
  const alg = readAlgorithm(r, 'SubjectPublicKeyInfo');
  const publicKey = r.enterBitString('SubjectPublicKeyInfo subjectPublicKey');
  r.finish('SubjectPublicKeyInfo');
  return { alg, publicKey };
}

// --- RSA ------------------------------------------------------------------------------------------

/** SPKI of an RSA key: rsaEncryption + NULL, BIT STRING RSAPublicKey {n, e} (RFC 8017 §A.1.1). */
export function buildRsaSpki(key: RsaPublicKey): Uint8Array {
  abytes(key.n, 'rsa.n');
  abytes(key.e, 'rsa.e');
  return encodeDer(
    der.seq(algorithm(OID.rsaEncryption, 'null'), der.bitsOf(der.seq(der.uint(key.n), der.uint(key.e)))),
  );
}

export function parseRsaSpki(input: Uint8Array): RsaPublicKey {
  const { alg, publicKey } = readSpki(input);
  expectAlgorithm(alg, OID.rsaEncryption, 'RSA SubjectPublicKeyInfo');
  const r = publicKey.sequence('RSAPublicKey');
  publicKey.finish('RSAPublicKey');
  const key = { n: r.uint('RSAPublicKey n'), e: r.uint('RSAPublicKey e') };
  r.finish('RSAPublicKey');
  return key;
}

// --- EC -------------------------------------------------------------------------------------------

/** Checks a key to write: a supported curve and an uncompressed point of its size. */
export function checkEcKey(key: EcPublicKey): EcCurveInfo {
  if (typeof key.curve !== 'string' || !(key.curve in EC_CURVES)) {
    throw new ArgumentError(
      'ec.curve',
      `"ec.curve" expected P-256, P-384 or P-521, got ${String(key.curve)}`,
    );
  }
  const info = EC_CURVES[key.curve];
  abytes(key.point, 'ec.point', 1 + 2 * info.scalarBytes);
  if (key.point[0] !== 0x04)
    throw new ArgumentError('ec.point', '"ec.point" must be uncompressed (04 ‖ X ‖ Y)');
  return info;
}

/** Reads the rest of `r` as an uncompressed point of the curve. */
export function readEcPoint(r: DerReader, info: EcCurveInfo): Uint8Array {
  const at = r.offset;
  const len = 1 + 2 * info.scalarBytes;
  const point = r.rest();
  if (point.length !== len || point[0] !== 0x04) {
    r.fail(`EC public key must be an uncompressed ${info.name} point of ${len} bytes`, at);
  }
  return point;
}

/** SPKI of an EC key: id-ecPublicKey + named curve, BIT STRING 04 ‖ X ‖ Y (RFC 5480 §2). */
export function buildEcSpki(key: EcPublicKey): Uint8Array {
  const info = checkEcKey(key);
  return encodeDer(der.seq(algorithm(OID.ecPublicKey, { curve: info.oid }), der.bits(key.point)));
}

export function parseEcSpki(input: Uint8Array): EcPublicKey {
  const { alg, publicKey } = readSpki(input);
  const info = ecCurveOf(alg, 'EC SubjectPublicKeyInfo');
  return { curve: info.name, point: readEcPoint(publicKey, info) };
}

// --- hashsig (LMS/HSS) ----------------------------------------------------------------------------

/** §7.4: INTEGER L, lms_type, lmots_type, OCTET STRING I, T1 (the start of both hashsig keys). */
export function hashsigPublicNodes(key: HashsigPublicKey): DerNode[] {
  abytes(key.I, 'hashsig.I', 16);
  abytes(key.T1, 'hashsig.T1', 32);
  return [
    der.u32(key.L, 'hashsig.L'),
    der.u32(key.lmsType, 'hashsig.lmsType'),
    der.u32(key.lmotsType, 'hashsig.lmotsType'),
    der.octets(key.I),
    der.octets(key.T1),
  ];
}

export function readHashsigPublic(r: DerReader): HashsigPublicKey {
  return {
    L: r.u32('hashsig L'),
    lmsType: r.u32('hashsig lms_type'),
    lmotsType: r.u32('hashsig lmots_type'),
    I: r.octetString('hashsig I', 16),
    T1: r.octetString('hashsig T1', 32),
  };
}

/** §7.4: SPKI with id-alg-mts-hashsig + NULL, BIT STRING holding DER SEQUENCE {L, lms, lmots, I, T1}. */
export function buildHashsigSpki(key: HashsigPublicKey): Uint8Array {
  return encodeDer(
    der.seq(algorithm(OID.mtsHashsig, 'null'), der.bitsOf(der.seq(...hashsigPublicNodes(key)))),
  );
}

export function parseHashsigSpki(input: Uint8Array): HashsigPublicKey {
  const { alg, publicKey } = readSpki(input);
  expectAlgorithm(alg, OID.mtsHashsig, 'hashsig SubjectPublicKeyInfo');
  const r = publicKey.sequence('hashsig public key');
  publicKey.finish('hashsig public key');
  const key = readHashsigPublic(r);
  r.finish('hashsig public key');
  return key;
}

/** RFC 8554 §6.1 HSS public key: u32str(L) ‖ u32str(lms_type) ‖ u32str(lmots_type) ‖ I ‖ T[1]. */
export function hashsigSpkiToRfc8554(spki: Uint8Array): Uint8Array {
  const k = parseHashsigSpki(spki);
  return concatBytes(u32str(k.L), u32str(k.lmsType), u32str(k.lmotsType), k.I, k.T1);
}

export function rfc8554ToHashsigSpki(raw: Uint8Array): Uint8Array {
  abytes(raw, 'hss public key', 60);
  return buildHashsigSpki({
    L: readU32(raw, 0),
    lmsType: readU32(raw, 4),
    lmotsType: readU32(raw, 8),
    I: raw.subarray(12, 28),
    T1: raw.subarray(28, 60),
  });
}
