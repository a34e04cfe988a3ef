import hssVectors from '../../test/vectors/rfc8554-hss-public-keys.json';
import { hex, thrown, toHex } from '../../test/support/bytes';
import { b64u, expectedHashsigSpki, hashsigKey, nodeEc, nodeRsa } from '../../test/support/der-keys';
import { der, encodeDer } from './der';
import { DerError, UnsupportedKeyError } from './errors';
import { guessKeyKind } from './pkcs8';
import {
  EC_CURVES,
  OID,
  buildEcSpki,
  buildHashsigSpki,
  buildRsaSpki,
  hashsigSpkiToRfc8554,
  parseEcSpki,
  parseHashsigSpki,
  parseRsaSpki,
  rfc8554ToHashsigSpki,
  type EcCurveName,
} from './spki';

const curves = Object.keys(EC_CURVES) as EcCurveName[];

describe('RSA SubjectPublicKeyInfo (RFC 8017 §A.1.1)', () => {
  const rsa = nodeRsa(1024);

  it('parses node:crypto’s SPKI into the JWK components and rebuilds it byte for byte', () => {
    const k = parseRsaSpki(rsa.spki);
    expect([k.n, k.e].map(toHex)).toEqual([rsa.jwk.n, rsa.jwk.e].map(b64u));
    expect(toHex(buildRsaSpki(k))).toBe(toHex(rsa.spki));
  });

  it('refuses an EC SPKI and an OID parameter', () => {
    expect(thrown(() => parseRsaSpki(nodeEc('P-256').spki))).toBeInstanceOf(DerError);
    const withOid = encodeDer(
      der.seq(
        der.seq(der.oid(OID.rsaEncryption), der.oid('1.2.3')),
        der.bitsOf(der.seq(der.u32(3), der.u32(3))),
      ),
    );
    expect((thrown(() => parseRsaSpki(withOid)) as Error).message).toMatch(/unexpected OID parameter/);
  });
});

describe('EC SubjectPublicKeyInfo (RFC 5480 §2)', () => {
  describe.each(curves)('%s', (curve) => {
    const node = nodeEc(curve);

    it('parses node:crypto’s SPKI into the JWK point and rebuilds it byte for byte', () => {
      const k = parseEcSpki(node.spki);
      expect(k.curve).toBe(curve);
      expect(toHex(k.point)).toBe('04' + b64u(node.jwk.x) + b64u(node.jwk.y));
      expect(toHex(buildEcSpki(k))).toBe(toHex(node.spki));
    });
  });

  it('an unknown named curve is UNSUPPORTED_KEY', () => {
    expect(thrown(() => parseEcSpki(nodeEc('secp256k1').spki))).toBeInstanceOf(UnsupportedKeyError);
  });

  it('rejects a compressed point, and refuses to write one', () => {
    const spki = encodeDer(
      der.seq(
        der.seq(der.oid(OID.ecPublicKey), der.oid(EC_CURVES['P-256'].oid)),
        der.bits(new Uint8Array(33).fill(2)),
      ),
    );
    expect(thrown(() => parseEcSpki(spki))).toBeInstanceOf(DerError);
    expect(thrown(() => buildEcSpki({ curve: 'P-256', point: new Uint8Array(65).fill(2) }))).toMatchObject({
      type: 'bad-arguments',
      field: 'ec.point',
    });
  });
});

describe('hashsig SubjectPublicKeyInfo (docs/libhal-rpc.md §7.4)', () => {
  it('matches the field table and is 85 bytes for small values', () => {
    const spki = buildHashsigSpki(hashsigKey);
    expect(toHex(spki)).toBe(expectedHashsigSpki);
    expect(spki.length).toBe(85);
    expect(parseHashsigSpki(spki)).toEqual({
      L: 2,
      lmsType: 5,
      lmotsType: 2,
      I: hashsigKey.I,
      T1: hashsigKey.T1,
    });
  });

  describe.each(hssVectors.cases)('RFC 8554 App. F $name public key', ({ publicKey }) => {
    it('converts to the libhal SPKI and back', () => {
      const spki = rfc8554ToHashsigSpki(hex(publicKey));
      expect(spki.length).toBe(85);
      expect(toHex(hashsigSpkiToRfc8554(spki))).toBe(publicKey);
      const k = parseHashsigSpki(spki);
      expect([k.L, k.lmsType, k.lmotsType]).toEqual(
        [0, 4, 8].map((o) => parseInt(publicKey.slice(2 * o, 2 * o + 8), 16)),
      );
      expect(guessKeyKind(spki)).toEqual({ type: 'hashsig-public' });
    });
  });

  it('refuses an RFC 8554 public key of the wrong length', () => {
    expect(thrown(() => rfc8554ToHashsigSpki(new Uint8Array(59)))).toMatchObject({
      message: '"hss public key" expected 60 bytes, got 59',
    });
  });
});
