/**
 * The private key formats libhal stores, exports and loads (docs/libhal-rpc.md §5.3, §5.4, §7.4), byte
 * for byte: PKCS#8 PrivateKeyInfo (RFC 5208 §5, RFC 5958 §2 version 0) of RSA (RFC 8017 §A.1.2),
 * EC (RFC 5915 §3) and hashsig keys, EncryptedPrivateKeyInfo (RFC 5208 §6, RFC 5958 §3) for
 * PKEY_EXPORT/IMPORT, and the key-type guess of PKEY_LOAD and PKEY_IMPORT.
 *
 * Parsed fields are views into the input, not copies: wiping the input wipes them too.
 */
import { abytes } from './bytes';
import { DerReader, Tag, der, encodeDer, type DerNode } from './der';
import { DerError, UnsupportedKeyError } from './errors';
import {
  OID,
  algorithm,
  checkEcKey,
  ecCurveOf,
  expectAlgorithm,
  hashsigPublicNodes,
  parseEcSpki,
  parseHashsigSpki,
  parseRsaSpki,
  readAlgorithm,
  readEcPoint,
  readHashsigPublic,
  readSpki,
  type AlgorithmIdentifier,
  type EcCurveName,
  type EcPublicKey,
  type HashsigPublicKey,
  type RsaPublicKey,
} from './spki';

/** RSAPrivateKey, RFC 8017 §A.1.2 (two primes, version 0). */
export interface RsaPrivateKey extends RsaPublicKey {
  d: Uint8Array;
  p: Uint8Array;
  q: Uint8Array;
  dP: Uint8Array;
  dQ: Uint8Array;
  qInv: Uint8Array;
}

export interface EcPrivateKey extends EcPublicKey {
  /** Private scalar padded to the order length. */
  d: Uint8Array;
}

/** §7.4 private key: the public fields plus SEED and the usable top-tree leaf range [qStart, qEnd). */
export interface HashsigPrivateKey extends HashsigPublicKey {
  seed: Uint8Array;
  qStart: number;
  qEnd: number;
}

/** PrivateKeyInfo without attributes, as libhal writes and reads it. */
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

// --- EC -------------------------------------------------------------------------------------------

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

// --- hashsig (LMS/HSS) ----------------------------------------------------------------------------

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

// --- EncryptedPrivateKeyInfo ----------------------------------------------------------------------

/**
 * EncryptedPrivateKeyInfo as libhal writes it (§5.3): AlgorithmIdentifier with no parameters at
 * all, then the OCTET STRING.
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

export interface KeyKind {
  type: KeyType;
  /** Present for EC keys only. */
  curve?: EcCurveName;
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
    case OID.mtsHashsig:
      expectAlgorithm(alg, alg.oid, 'key');
      return { type: ((alg.oid === OID.rsaEncryption ? 'rsa' : 'hashsig') + suffix) as KeyType };
    case OID.ecPublicKey:
      return { type: ('ec' + suffix) as KeyType, curve: ecCurveOf(alg, 'EC key').name };
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
