/** Shared test helpers for the soft HSM crypto specs. */
import { createHash, createPrivateKey, generatePrimeSync, type KeyObject } from 'node:crypto';
import type { Rng } from '../../../src/soft-hsm/crypto/bytes';
import { hex, toHex } from '../../support/bytes';

/** A deterministic RNG: SHA-256 in counter mode over a label. Not for production. */
export function seededRng(label: string): Rng & { calls: number[] } {
  let counter = 0;
  const calls: number[] = [];
  const rng = (n: number): Uint8Array => {
    calls.push(n);
    const out = new Uint8Array(n);
    for (let pos = 0; pos < n; pos += 32) {
      const block = createHash('sha256').update(`${label}/${counter++}`).digest();
      out.set(block.subarray(0, Math.min(32, n - pos)), pos);
    }
    return out;
  };
  return Object.assign(rng, { calls });
}

const bigOf = (b: Uint8Array): bigint => BigInt('0x' + (toHex(b) || '0'));
const bytesOf = (n: bigint, len: number): Uint8Array => hex(n.toString(16).padStart(2 * len, '0'));

function modPow(base: bigint, exp: bigint, mod: bigint): bigint {
  let result = 1n;
  base %= mod;
  for (; exp > 0n; exp >>= 1n, base = (base * base) % mod) if (exp & 1n) result = (result * base) % mod;
  return result;
}

function modInverse(a: bigint, m: bigint): bigint {
  let [r0, r1, s0, s1] = [m, a % m, 0n, 1n];
  while (r1 !== 0n) {
    const q = r0 / r1;
    [r0, r1, s0, s1] = [r1, r0 - q * r1, s1, s0 - q * s1];
  }
  return ((s0 % m) + m) % m;
}

/** Textbook RSA with BigInt from a JWK: an implementation independent of OpenSSL. */
export function rawRsa(
  jwk: { n?: string; d?: string; e?: string },
  input: Uint8Array,
  exponent: 'd' | 'e',
): Uint8Array {
  const n = bigOf(Buffer.from(jwk.n ?? '', 'base64url'));
  const x = bigOf(Buffer.from(jwk[exponent] ?? '', 'base64url'));
  const k = Buffer.from(jwk.n ?? '', 'base64url').length;
  return bytesOf(modPow(bigOf(input), x, n), k);
}

/**
 * An RSA key below OpenSSL's 512-bit generation floor, built from two primes, for the PKCS#1
 * boundary cases that only exist when the modulus is 43 or 44 bytes long.
 */
export function smallRsaKey(bits: number): KeyObject {
  const b64 = (n: bigint): string =>
    Buffer.from(bytesOf(n, Math.ceil(n.toString(16).length / 2))).toString('base64url');
  for (;;) {
    const p = generatePrimeSync(bits / 2, { bigint: true });
    const q = generatePrimeSync(bits / 2, { bigint: true });
    const n = p * q;
    const e = 65537n;
    const phi = (p - 1n) * (q - 1n);
    if (p === q || n.toString(2).length !== bits || phi % e === 0n) continue;
    const d = modInverse(e, phi);
    const jwk = {
      kty: 'RSA',
      n: b64(n),
      e: b64(e),
      d: b64(d),
      p: b64(p),
      q: b64(q),
      dp: b64(d % (p - 1n)),
      dq: b64(d % (q - 1n)),
      qi: b64(modInverse(q, p)),
    };
    return createPrivateKey({ key: jwk, format: 'jwk' });
  }
}
