/**
 * ECDSA signing of a given digest (libhal PKEY_SIGN, docs/libhal-rpc.md §3.3) with OpenSSL doing the scalar
 * multiplication. node:crypto signs only messages it hashes itself, so the signature equation is
 * computed here (FIPS 186-5 §6.4.1) and only k·G is delegated to OpenSSL through ECDH, which is
 * about 20× faster than a pure-JS point multiplication. k is deterministic per RFC 6979 §3.2 with
 * HMAC over the curve's hash (as noble does), so signatures are reproducible and match its vectors.
 */
import { createCipheriv, createECDH, createHmac, type ECDH } from 'node:crypto';
import type { EcCurveName } from '../../lib/spki';

interface CurveParams {
  readonly openssl: string;
  readonly n: bigint;
  readonly qlen: number;
  /** Octets of a scalar (rlen / 8 in RFC 6979 §2.3.3). */
  readonly bytes: number;
  readonly hmac: 'sha256' | 'sha384' | 'sha512';
}

// Group orders: FIPS 186-5 / SP 800-186 §3.2.1.
const CURVES: Readonly<Record<EcCurveName, CurveParams>> = {
  'P-256': {
    openssl: 'prime256v1',
    n: 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n,
    qlen: 256,
    bytes: 32,
    hmac: 'sha256',
  },
  'P-384': {
    openssl: 'secp384r1',
    n: 0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973n,
    qlen: 384,
    bytes: 48,
    hmac: 'sha384',
  },
  'P-521': {
    openssl: 'secp521r1',
    n: 0x01fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffa51868783bf2f966b7fcc0148f709a5d03bb5c9b8899c47aebb6fb71e91386409n,
    qlen: 521,
    bytes: 66,
    hmac: 'sha512',
  },
};

const ecdhByCurve = new Map<EcCurveName, ECDH>();

function ecdhFor(curve: EcCurveName): ECDH {
  let ecdh = ecdhByCurve.get(curve);
  if (!ecdh) {
    ecdh = createECDH(CURVES[curve].openssl);
    ecdhByCurve.set(curve, ecdh);
  }
  return ecdh;
}

export function curveOrder(curve: EcCurveName): bigint {
  return CURVES[curve].n;
}

function toBigInt(bytes: Uint8Array): bigint {
  return bytes.length === 0
    ? 0n
    : BigInt('0x' + Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('hex'));
}

/** RFC 6979 §2.3.3 int2octets. */
function int2octets(x: bigint, bytes: number): Buffer {
  return Buffer.from(x.toString(16).padStart(bytes * 2, '0'), 'hex');
}

/** RFC 6979 §2.3.2 bits2int: the leftmost qlen bits. */
function bits2int(b: Uint8Array, qlen: number): bigint {
  const x = toBigInt(b);
  const blen = b.length * 8;
  return blen > qlen ? x >> BigInt(blen - qlen) : x;
}

function mod(a: bigint, n: bigint): bigint {
  const r = a % n;
  return r < 0n ? r + n : r;
}

/** Inverse modulo a prime n by the extended Euclidean algorithm (a ≠ 0 mod n). */
function invert(a: bigint, n: bigint): bigint {
  // Plain locals, no tuple destructuring: this loop is on the signing hot path.
  let r0 = mod(a, n);
  let r1 = n;
  let s0 = 1n;
  let s1 = 0n;
  while (r1 !== 0n) {
    const q = r0 / r1;
    const r2 = r0 - q * r1;
    r0 = r1;
    r1 = r2;
    const s2 = s0 - q * s1;
    s0 = s1;
    s1 = s2;
  }
  return mod(s0, n);
}

/** RFC 6979 §3.2 steps b–h: yields successive candidate nonces. */
function* rfc6979Nonces(c: CurveParams, x: bigint, digest: Uint8Array): Generator<bigint> {
  const hmac = (key: Buffer, ...parts: Uint8Array[]): Buffer => {
    const h = createHmac(c.hmac, key);
    for (const p of parts) h.update(p);
    return h.digest();
  };
  const hlen = c.hmac === 'sha256' ? 32 : c.hmac === 'sha384' ? 48 : 64;
  const xOctets = int2octets(x, c.bytes);
  const hOctets = int2octets(mod(bits2int(digest, c.qlen), c.n), c.bytes); // bits2octets
  let V: Buffer = Buffer.alloc(hlen, 0x01);
  let K: Buffer = Buffer.alloc(hlen, 0x00);
  K = hmac(K, V, Buffer.of(0x00), xOctets, hOctets);
  V = hmac(K, V);
  K = hmac(K, V, Buffer.of(0x01), xOctets, hOctets);
  V = hmac(K, V);
  xOctets.fill(0);
  for (;;) {
    const chunks: Buffer[] = [];
    for (let tlen = 0; tlen < c.qlen; tlen += hlen * 8) {
      V = hmac(K, V);
      chunks.push(V);
    }
    const k = bits2int(Buffer.concat(chunks), c.qlen);
    if (k >= 1n && k < c.n) yield k;
    K = hmac(K, V, Buffer.of(0x00));
    V = hmac(K, V);
  }
}

/**
 * ECDSA signature r ‖ s (each `bytes` long) of `digest` under private scalar `d` (FIPS 186-5
 * §6.4.1). The digest is truncated to the order's bit length, as OpenSSL and noble do. No low-S
 * normalisation: libhal does not normalise either.
 */
export function ecdsaSignDigest(curve: EcCurveName, d: Uint8Array, digest: Uint8Array): Uint8Array {
  const c = CURVES[curve];
  const x = toBigInt(d);
  if (x <= 0n || x >= c.n) throw new RangeError(`EC private scalar out of range for ${curve}`);
  const e = bits2int(digest, c.qlen);
  const ecdh = ecdhFor(curve);
  for (const k of rfc6979Nonces(c, x, digest)) {
    ecdh.setPrivateKey(int2octets(k, c.bytes));
    const R = ecdh.getPublicKey(); // 04 ‖ X ‖ Y, coordinates `bytes` long
    const r = mod(toBigInt(R.subarray(1, 1 + c.bytes)), c.n);
    if (r === 0n) continue;
    const s = mod(invert(k, c.n) * (e + r * x), c.n);
    if (s === 0n) continue;
    return Buffer.concat([int2octets(r, c.bytes), int2octets(s, c.bytes)]);
  }
  throw new Error('unreachable: the RFC 6979 nonce generator is infinite');
}

/** The public point 04 ‖ X ‖ Y of private scalar `d`, computed by OpenSSL. */
export function ecPublicPoint(curve: EcCurveName, d: Uint8Array): Uint8Array {
  const ecdh = ecdhFor(curve);
  ecdh.setPrivateKey(Buffer.from(d));
  return ecdh.getPublicKey();
}

// --- Precomputed nonces (the engine's signing path) -------------------------------------------------

/**
 * One precomputed ECDSA nonce: r = x(k·G) mod n and k⁻¹ mod n. k itself is not kept (k⁻¹ is just
 * as secret: hand each tuple out once and drop it).
 */
export interface EcdsaNonce {
  readonly r: bigint;
  readonly kinv: bigint;
}

/**
 * ECDSA r ‖ s of `digest` under `d` with nonces from `next` (FIPS 186-5 §6.4.1 steps 5–11 with
 * k, R and k⁻¹ computed in advance): s = k⁻¹(e + r·d) mod n, a few BigInt multiplications. A
 * nonce giving s = 0 is discarded and the next one is taken. Not deterministic: libhal's own
 * `hal_ecdsa_sign` draws k from the TRNG too.
 */
export function ecdsaSignWithNonces(
  curve: EcCurveName,
  d: Uint8Array,
  digest: Uint8Array,
  next: () => EcdsaNonce,
): Uint8Array {
  const c = CURVES[curve];
  const x = toBigInt(d);
  if (x <= 0n || x >= c.n) throw new RangeError(`EC private scalar out of range for ${curve}`);
  const e = bits2int(digest, c.qlen);
  for (;;) {
    const { r, kinv } = next();
    const s = (kinv * ((e + r * x) % c.n)) % c.n;
    if (s !== 0n) return Buffer.concat([int2octets(r, c.bytes), int2octets(s, c.bytes)]);
  }
}

/** Bytes of a pool key (an AES-256 key). */
export const NONCE_KEY_BYTES = 32;

/** RNG bytes one precomputed nonce of `curve` consumes: the scalar's octets and 64 extra bits. */
export function nonceSeedBytes(curve: EcCurveName): number {
  const c = CURVES[curve] as CurveParams | undefined;
  if (!c) throw new RangeError(`no ECDSA parameters for curve ${String(curve)}`);
  return c.bytes + 8;
}

/**
 * Precomputes ECDSA nonces for `curve`, one per `nonceSeedBytes(curve)` of `seeds`. Each k is its
 * slice of `seeds` XORed with an AES-256-CTR keystream under `key` whose counter block starts at
 * `batch` (a number the caller never repeats under one key), reduced into [1, n−1] with 64 extra
 * bits (FIPS 186-5 A.3.1): so k never repeats even if the RNG behind `seeds` did. k·G is
 * OpenSSL's (ECDH), and the k are inverted together (Montgomery's trick: one inversion and
 * 3(m−1) multiplications for m nonces). A k whose R has x ≡ 0 mod n is skipped. Pure: the same
 * inputs give the same tuples, so it runs on any thread. `seeds` is not wiped here.
 */
export function precomputeNonces(
  curve: EcCurveName,
  key: Uint8Array,
  batch: number,
  seeds: Uint8Array,
): EcdsaNonce[] {
  const c = CURVES[curve];
  const want = c.bytes + 8;
  if (seeds.length % want !== 0) throw new RangeError(`nonce seeds for ${curve} come in ${want}-byte slices`);
  const ecdh = ecdhFor(curve);
  const iv = Buffer.alloc(16);
  iv.writeUIntBE(batch, 0, 6);
  const stream = createCipheriv('aes-256-ctr', key, iv).update(seeds);
  const ks: bigint[] = [];
  const rs: bigint[] = [];
  for (let at = 0; at < stream.length; at += want) {
    const k = (toBigInt(stream.subarray(at, at + want)) % (c.n - 1n)) + 1n;
    const kOctets = int2octets(k, c.bytes);
    ecdh.setPrivateKey(kOctets);
    kOctets.fill(0);
    const R = ecdh.getPublicKey();
    const r = toBigInt(R.subarray(1, 1 + c.bytes)) % c.n;
    if (r === 0n) continue;
    ks.push(k);
    rs.push(r);
  }
  stream.fill(0);
  // Batch inversion: prefix[i] = k0·…·ki; one inversion of the whole product, then walk back.
  const count = ks.length;
  const out = new Array<EcdsaNonce>(count);
  if (count === 0) return out;
  const prefix = new Array<bigint>(count);
  let acc = 1n;
  for (let i = 0; i < count; i++) prefix[i] = acc = (acc * ks[i]) % c.n;
  let inv = invert(acc, c.n);
  for (let i = count - 1; i >= 0; i--) {
    out[i] = { r: rs[i], kinv: i === 0 ? inv : (inv * prefix[i - 1]) % c.n };
    inv = (inv * ks[i]) % c.n;
  }
  ks.length = 0;
  return out;
}
