/**
 * The key formats libhal stores, exports and loads (libhal-rpc.md §5.3, §5.4, §7.4), byte for byte:
 * PKCS#8 PrivateKeyInfo (RFC 5208 §5) and SubjectPublicKeyInfo (RFC 5280 §4.1) for RSA, EC and
 * hashsig, EncryptedPrivateKeyInfo (RFC 5208 §6) for PKEY_EXPORT/IMPORT, and the type guess that
 * PKEY_LOAD and PKEY_IMPORT make.
 *
 * Parsed fields are views into the input, not copies: wiping the input wipes them too.
 */
import { DerReader, Tag, der, encodeDer, type DerNode } from './asn1';
import { abytes, concatBytes, readU32be, u32be } from './bytes';
import { CryptoArgumentError, DerError, UnsupportedKeyError } from './errors';

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
  readonly oid: string;
  /** hal_curve_name_t (§4.2). */
  readonly halCurve: 1 | 2 | 3;
  /** Byte length of the group order: private scalar and each of r, s, X, Y. */
  readonly scalarBytes: 32 | 48 | 66;
}

export const EC_CURVES: Readonly<Record<EcCurveName, EcCurveInfo>> = {
  'P-256': { name: 'P-256', oid: '1.2.840.10045.3.1.7', halCurve: 1, scalarBytes: 32 },
  'P-384': { name: 'P-384', oid: '1.3.132.0.34', halCurve: 2, scalarBytes: 48 },
  'P-521': { name: 'P-521', oid: '1.3.132.0.35', halCurve: 3, scalarBytes: 66 },
};

function curveInfo(name: unknown): EcCurveInfo {
  if (typeof name !== 'string' || !(name in EC_CURVES)) {
    throw new CryptoArgumentError(
      'ec.curve',
      `"ec.curve" expected P-256, P-384 or P-521, got ${String(name)}`,
    );
  }
  return EC_CURVES[name as EcCurveName];
}

function curveByOid(oid: string): EcCurveInfo {
  const info = Object.values(EC_CURVES).find((c) => c.oid === oid);
  if (!info) throw new UnsupportedKeyError(`EC curve OID ${oid} is not one the HSM supports`);
  return info;
}

// --- key types ----------------------------------------------------------------------------------

/** Unsigned big-endian magnitudes. */
export interface RsaPublicKey {
  n: Uint8Array;
  e: Uint8Array;
}

/** RSAPrivateKey, RFC 8017 §A.1.2 (two primes, version 0). */
export interface RsaPrivateKey extends RsaPublicKey {
  d: Uint8Array;
  p: Uint8Array;
  q: Uint8Array;
  dP: Uint8Array;
  dQ: Uint8Array;
  qInv: Uint8Array;
}

export interface EcPublicKey {
  curve: EcCurveName;
  /** Uncompressed point 04 ‖ X ‖ Y, coordinates padded to the order length. */
  point: Uint8Array;
}

export interface EcPrivateKey extends EcPublicKey {
  /** Private scalar padded to the order length. */
  d: Uint8Array;
}

/** §7.4 public fields; the same five as the RFC 8554 HSS public key. */
export interface HashsigPublicKey {
  L: number;
  lmsType: number;
  lmotsType: number;
  I: Uint8Array;
  T1: Uint8Array;
}

/** §7.4 private key: the public fields plus SEED and the usable top-tree leaf range [qStart, qEnd). */
export interface HashsigPrivateKey extends HashsigPublicKey {
  seed: Uint8Array;
  qStart: number;
  qEnd: number;
}

// --- shared outer structures --------------------------------------------------------------------

interface AlgorithmIdentifier {
  /** Offset of the AlgorithmIdentifier in the input, for error messages. */
  at: number;
  oid: string;
  /** Named-curve OID parameter, if present. */
  curveOid?: string;
  /** True if the parameters field was an explicit NULL. */
  hasNull: boolean;
}

function readAlgorithm(r: DerReader, what: string): AlgorithmIdentifier {
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

function algorithm(oid: string, param: 'null' | { curve: string }): DerNode {
  return der.seq(der.oid(oid), param === 'null' ? der.null() : der.oid(param.curve));
}

/** RFC 5208 §5 PrivateKeyInfo without attributes, as libhal writes and reads it. */
function readPrivateKeyInfo(input: Uint8Array): { alg: AlgorithmIdentifier; privateKey: DerReader } {
  const top = DerReader.of(input);
  const r = top.sequence('PrivateKeyInfo');
  top.finish('PrivateKeyInfo');
  const at = r.offset;
  if (r.u32('PrivateKeyInfo version') !== 0) r.fail('PrivateKeyInfo version must be 0', at);
  const alg = readAlgorithm(r, 'PrivateKeyInfo');
  const privateKey = r.enter(Tag.OCTET_STRING, 'PrivateKeyInfo privateKey');
  r.finish('PrivateKeyInfo');
  return { alg, privateKey };
}

function privateKeyInfo(alg: DerNode, privateKey: DerNode): Uint8Array {
  return encodeDer(der.seq(der.u32(0), alg, der.octetsOf(privateKey)));
}

/** RFC 5280 §4.1.2.7 SubjectPublicKeyInfo. */
function readSpki(input: Uint8Array): { alg: AlgorithmIdentifier; publicKey: DerReader } {
  const top = DerReader.of(input);
  const r = top.sequence('SubjectPublicKeyInfo');
  top.finish('SubjectPublicKeyInfo');
  const alg = readAlgorithm(r, 'SubjectPublicKeyInfo');
  const publicKey = r.enterBitString('SubjectPublicKeyInfo subjectPublicKey');
  r.finish('SubjectPublicKeyInfo');
  return { alg, publicKey };
}

/** RSA and hashsig: the algorithm OID, parameters NULL or absent (libhal accepts both). */
function expectAlgorithm(alg: AlgorithmIdentifier, oid: string, what: string): void {
  if (alg.oid !== oid) throw new DerError(alg.at, `${what}: algorithm ${alg.oid} is not ${oid}`);
  if (alg.curveOid !== undefined) throw new DerError(alg.at, `${what}: unexpected OID parameter`);
}

// --- RSA ------------------------------------------------------------------------------------------

const RSA_FIELDS = ['n', 'e', 'd', 'p', 'q', 'dP', 'dQ', 'qInv'] as const;

/** libhal's Montgomery factors (nC, nF, pC, pF, qC, qF): private-class primitive tags, in this order. */
const RSA_EXTRA_TAGS = [0xc0, 0xc1, 0xc2, 0xc3, 0xc4, 0xc5];

/** PKCS#8 of an RSA key: rsaEncryption + NULL, RSAPrivateKey {0, n, e, d, p, q, dP, dQ, qInv}. */
export function buildRsaPrivateKeyInfo(key: RsaPrivateKey): Uint8Array {
  const fields = RSA_FIELDS.map((f) => {
    abytes(key[f], `rsa.${f}`);
    return der.uint(key[f]);
  });
  return privateKeyInfo(algorithm(OID.rsaEncryption, 'null'), der.seq(der.u32(0), ...fields));
}

/**
 * Parses an RSA PKCS#8. libhal may have appended up to six 0xC0…0xC5 fields inside RSAPrivateKey
 * after the key's first use (§5.3): they are skipped, and counted in `extras`. Rebuild with
 * {@link buildRsaPrivateKeyInfo} to get the standard form other software reads.
 */
export function parseRsaPrivateKeyInfo(input: Uint8Array): RsaPrivateKey & { extras: number } {
  const { alg, privateKey } = readPrivateKeyInfo(input);
  expectAlgorithm(alg, OID.rsaEncryption, 'RSA PrivateKeyInfo');
  const r = privateKey.sequence('RSAPrivateKey');
  privateKey.finish('RSAPrivateKey');
  const at = r.offset;
  if (r.u32('RSAPrivateKey version') !== 0) r.fail('RSAPrivateKey version must be 0 (two primes)', at);
  const key = {} as RsaPrivateKey;
  for (const f of RSA_FIELDS) key[f] = r.uint(`RSAPrivateKey ${f}`);
  let extras = 0;
  for (const tag of RSA_EXTRA_TAGS) {
    if (r.peekTag() === tag) {
      r.read(tag, `RSAPrivateKey extra field ${tag.toString(16)}`);
      extras++;
    }
  }
  r.finish('RSAPrivateKey');
  return { ...key, extras };
}

/** SPKI of an RSA key: rsaEncryption + NULL, BIT STRING RSAPublicKey {n, e}. */
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

function checkEcKey(key: EcPublicKey): EcCurveInfo {
  const info = curveInfo(key.curve);
  abytes(key.point, 'ec.point', 1 + 2 * info.scalarBytes);
  if (key.point[0] !== 0x04)
    throw new CryptoArgumentError('ec.point', '"ec.point" must be uncompressed (04 ‖ X ‖ Y)');
  return info;
}

/**
 * PKCS#8 of an EC key as libhal writes it: id-ecPublicKey + named curve, ECPrivateKey (RFC 5915 §3)
 * {1, privateKey padded to the order length, [1] publicKey} with no [0] parameters.
 */
export function buildEcPrivateKeyInfo(key: EcPrivateKey): Uint8Array {
  const info = checkEcKey(key);
  abytes(key.d, 'ec.d', info.scalarBytes);
  return privateKeyInfo(
    algorithm(OID.ecPublicKey, { curve: info.oid }),
    der.seq(der.u32(1), der.octets(key.d), der.ctx1(der.bits(key.point))),
  );
}

/** Reads the rest of `r` as an uncompressed point of the curve. */
function readEcPoint(r: DerReader, info: EcCurveInfo): Uint8Array {
  const at = r.offset;
  const len = 1 + 2 * info.scalarBytes;
  const point = r.rest();
  if (point.length !== len || point[0] !== 0x04) {
    r.fail(`EC public key must be an uncompressed ${info.name} point of ${len} bytes`, at);
  }
  return point;
}

function ecCurveOf(alg: AlgorithmIdentifier, what: string): EcCurveInfo {
  if (alg.oid !== OID.ecPublicKey)
    throw new DerError(alg.at, `${what}: algorithm ${alg.oid} is not id-ecPublicKey`);
  if (alg.curveOid === undefined) throw new DerError(alg.at, `${what}: named curve missing`);
  return curveByOid(alg.curveOid);
}

export function parseEcPrivateKeyInfo(input: Uint8Array): EcPrivateKey {
  const { alg, privateKey } = readPrivateKeyInfo(input);
  const info = ecCurveOf(alg, 'EC PrivateKeyInfo');
  const r = privateKey.sequence('ECPrivateKey');
  privateKey.finish('ECPrivateKey');
  const at = r.offset;
  if (r.u32('ECPrivateKey version') !== 1) r.fail('ECPrivateKey version must be 1', at);
  const d = r.octetString('ECPrivateKey privateKey', info.scalarBytes);
  const tagged = r.enter(Tag.CONTEXT_1, 'ECPrivateKey [1] publicKey');
  r.finish('ECPrivateKey');
  const bits = tagged.enterBitString('ECPrivateKey publicKey');
  tagged.finish('ECPrivateKey [1] publicKey');
  return { curve: info.name, d, point: readEcPoint(bits, info) };
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

function hashsigPublicNodes(key: HashsigPublicKey): DerNode[] {
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

function readHashsigPublic(r: DerReader): HashsigPublicKey {
  return {
    L: r.u32('hashsig L'),
    lmsType: r.u32('hashsig lms_type'),
    lmotsType: r.u32('hashsig lmots_type'),
    I: r.octetString('hashsig I', 16),
    T1: r.octetString('hashsig T1', 32),
  };
}

/** §7.4: PKCS#8 with id-alg-mts-hashsig + NULL around SEQUENCE {L, lms, lmots, I, T1, seed, q_start, q_end}. */
export function buildHashsigPrivateKeyInfo(key: HashsigPrivateKey): Uint8Array {
  abytes(key.seed, 'hashsig.seed', 32);
  return privateKeyInfo(
    algorithm(OID.mtsHashsig, 'null'),
    der.seq(
      ...hashsigPublicNodes(key),
      der.octets(key.seed),
      der.u32(key.qStart, 'hashsig.qStart'),
      der.u32(key.qEnd, 'hashsig.qEnd'),
    ),
  );
}

export function parseHashsigPrivateKeyInfo(input: Uint8Array): HashsigPrivateKey {
  const { alg, privateKey } = readPrivateKeyInfo(input);
  expectAlgorithm(alg, OID.mtsHashsig, 'hashsig PrivateKeyInfo');
  const r = privateKey.sequence('hashsig private key');
  privateKey.finish('hashsig private key');
  const key: HashsigPrivateKey = {
    ...readHashsigPublic(r),
    seed: r.octetString('hashsig seed', 32),
    qStart: r.u32('hashsig q_start'),
    qEnd: r.u32('hashsig q_end'),
  };
  r.finish('hashsig private key');
  return key;
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
  return concatBytes(u32be(k.L), u32be(k.lmsType), u32be(k.lmotsType), k.I, k.T1);
}

export function rfc8554ToHashsigSpki(raw: Uint8Array): Uint8Array {
  abytes(raw, 'hss public key', 60);
  return buildHashsigSpki({
    L: readU32be(raw, 0),
    lmsType: readU32be(raw, 4),
    lmotsType: readU32be(raw, 8),
    I: raw.subarray(12, 28),
    T1: raw.subarray(28, 60),
  });
}

// --- EncryptedPrivateKeyInfo ----------------------------------------------------------------------

/**
 * RFC 5208 §6 EncryptedPrivateKeyInfo as libhal writes it (§5.3): AlgorithmIdentifier with no
 * parameters at all, then the OCTET STRING.
 */
export function buildEncryptedPrivateKeyInfo(algorithmOid: string, data: Uint8Array): Uint8Array {
  abytes(data, 'encryptedData');
  if (data.length === 0) throw new DerError(0, 'encryptedData must not be empty');
  return encodeDer(der.seq(der.seq(der.oid(algorithmOid)), der.octets(data)));
}

/** Accepts the parameters absent or NULL (libhal `hal_asn1_decode_pkcs8_encryptedprivatekeyinfo`). */
export function parseEncryptedPrivateKeyInfo(input: Uint8Array): { algorithm: string; data: Uint8Array } {
  const top = DerReader.of(input);
  const r = top.sequence('EncryptedPrivateKeyInfo');
  top.finish('EncryptedPrivateKeyInfo');
  const alg = readAlgorithm(r, 'EncryptedPrivateKeyInfo');
  if (alg.curveOid !== undefined)
    throw new DerError(alg.at, 'EncryptedPrivateKeyInfo: unexpected OID parameter');
  const data = r.octetString('EncryptedPrivateKeyInfo encryptedData');
  r.finish('EncryptedPrivateKeyInfo');
  return { algorithm: alg.oid, data };
}

// --- what kind of key is this? ------------------------------------------------------------------

export type KeyType =
  'rsa-private' | 'rsa-public' | 'ec-private' | 'ec-public' | 'hashsig-private' | 'hashsig-public';

/** hal_key_type_t (§4.2). */
export const HAL_KEY_TYPE: Readonly<Record<KeyType, number>> = {
  'rsa-private': 1,
  'rsa-public': 2,
  'ec-private': 3,
  'ec-public': 4,
  'hashsig-private': 5,
  'hashsig-public': 6,
};

export interface KeyKind {
  type: KeyType;
  halKeyType: number;
  /** Present for EC keys only. */
  curve?: EcCurveName;
  /** hal_curve_name_t: 0 (NONE) for RSA and hashsig. */
  halCurve: number;
}

/**
 * libhal `hal_asn1_guess_key_type`: PKCS#8 PrivateKeyInfo → private key, SPKI → public key, the
 * algorithm OID → the family. Reads the outer structure only; the parse* functions check the rest.
 * Unknown algorithm or curve → UnsupportedKeyError; anything else malformed → DerError.
 */
export function guessKeyKind(input: Uint8Array): KeyKind {
  const top = DerReader.of(input);
  const first = top.sequence('key').peekTag();
  const isPrivate = first === Tag.INTEGER;
  if (!isPrivate && first !== Tag.SEQUENCE) {
    top.fail('key: neither a PKCS#8 PrivateKeyInfo nor a SubjectPublicKeyInfo', 2);
  }
  const { alg } = isPrivate ? readPrivateKeyInfo(input) : readSpki(input);
  const suffix = isPrivate ? '-private' : '-public';
  switch (alg.oid) {
    case OID.rsaEncryption:
    case OID.mtsHashsig: {
      expectAlgorithm(alg, alg.oid, 'key');
      const type = ((alg.oid === OID.rsaEncryption ? 'rsa' : 'hashsig') + suffix) as KeyType;
      return { type, halKeyType: HAL_KEY_TYPE[type], halCurve: 0 };
    }
    case OID.ecPublicKey: {
      const info = ecCurveOf(alg, 'EC key');
      const type = ('ec' + suffix) as KeyType;
      return { type, halKeyType: HAL_KEY_TYPE[type], curve: info.name, halCurve: info.halCurve };
    }
    default:
      throw new UnsupportedKeyError(`key algorithm ${alg.oid} is not RSA, EC or hashsig`);
  }
}

export type ParsedKey =
  | { type: 'rsa-private'; key: RsaPrivateKey & { extras: number } }
  | { type: 'rsa-public'; key: RsaPublicKey }
  | { type: 'ec-private'; key: EcPrivateKey }
  | { type: 'ec-public'; key: EcPublicKey }
  | { type: 'hashsig-private'; key: HashsigPrivateKey }
  | { type: 'hashsig-public'; key: HashsigPublicKey };

/** guessKeyKind, then the full parse of that kind. */
export function parseKey(input: Uint8Array): ParsedKey {
  const { type } = guessKeyKind(input);
  switch (type) {
    case 'rsa-private':
      return { type, key: parseRsaPrivateKeyInfo(input) };
    case 'rsa-public':
      return { type, key: parseRsaSpki(input) };
    case 'ec-private':
      return { type, key: parseEcPrivateKeyInfo(input) };
    case 'ec-public':
      return { type, key: parseEcSpki(input) };
    case 'hashsig-private':
      return { type, key: parseHashsigPrivateKeyInfo(input) };
    case 'hashsig-public':
      return { type, key: parseHashsigSpki(input) };
    default: {
      const unreachable: never = type;
      throw new Error(`unreachable key type ${String(unreachable)}`);
    }
  }
}
