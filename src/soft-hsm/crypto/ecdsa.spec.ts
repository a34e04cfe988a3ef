import { createHash, generateKeyPairSync, randomBytes, verify } from 'node:crypto';
import { p256, p384, p521 } from '@noble/curves/nist.js';
import type { EcCurveName } from '../../lib/spki';
import { curveOrder, ecPublicPoint, ecdsaSignDigest } from './ecdsa';

const NOBLE = { 'P-256': p256, 'P-384': p384, 'P-521': p521 } as const;
const OPENSSL = { 'P-256': 'prime256v1', 'P-384': 'secp384r1', 'P-521': 'secp521r1' } as const;

describe.each(['P-256', 'P-384', 'P-521'] as EcCurveName[])(
  'ECDSA over a digest on %s (OpenSSL k·G)',
  (curve) => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: OPENSSL[curve] });
    const d = Buffer.from(privateKey.export({ format: 'jwk' }).d as string, 'base64url');

    it('gives the same deterministic signature as noble (RFC 6979, no low-S) for 20 random digests', () => {
      for (let i = 0; i < 20; i++) {
        const digest = randomBytes(i % 2 === 0 ? 32 : 64);
        const ours = ecdsaSignDigest(curve, d, digest);
        const noble = NOBLE[curve].sign(digest, d, { prehash: false, lowS: false, extraEntropy: false });
        expect(Buffer.from(ours).toString('hex')).toBe(Buffer.from(noble).toString('hex'));
      }
    });

    it('signs SHA-256(m) so that node:crypto verifies it against the key (ieee-p1363)', () => {
      const message = randomBytes(100);
      const digest = createHash('sha256').update(message).digest();
      const signature = ecdsaSignDigest(curve, d, digest);
      expect(verify('sha256', message, { key: publicKey, dsaEncoding: 'ieee-p1363' }, signature)).toBe(true);
    });

    it('derives the public point OpenSSL exports for the key', () => {
      const jwk = publicKey.export({ format: 'jwk' });
      const expected = Buffer.concat([
        Buffer.of(4),
        Buffer.from(jwk.x as string, 'base64url'),
        Buffer.from(jwk.y as string, 'base64url'),
      ]);
      expect(Buffer.from(ecPublicPoint(curve, d)).equals(expected)).toBe(true);
    });

    it('refuses a scalar of zero or not below the group order', () => {
      const n = curveOrder(curve);
      const bytes = d.length;
      expect(() => ecdsaSignDigest(curve, Buffer.alloc(bytes), randomBytes(32))).toThrow(RangeError);
      expect(() =>
        ecdsaSignDigest(curve, Buffer.from(n.toString(16).padStart(bytes * 2, '0'), 'hex'), randomBytes(32)),
      ).toThrow(RangeError);
    });
  },
);
