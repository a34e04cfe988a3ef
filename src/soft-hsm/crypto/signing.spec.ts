import { createPrivateKey, generateKeyPairSync, sign as nodeSign, verify as nodeVerify } from 'node:crypto';
import rfc6979 from '../../../test/vectors/rfc6979-ecdsa.json';
import { hex, thrown, toHex } from '../../../test/support/bytes';
import { rawRsa, seededRng } from '../../../test/soft-hsm/crypto/support';
import { der, encodeDer } from '../../lib/der';
import { ArgumentError } from '../../lib/errors';
import { parseRsaPrivateKeyInfo } from '../../lib/pkcs8';
import { EC_CURVES, OID, parseRsaSpki, type EcCurveName } from '../../lib/spki';
import { DIGESTS, digest, digestByName, type DigestName } from './digest';
import { CryptoSelfCheckError, ResultTooLongError } from './errors';
import {
  ecdsaSign,
  ecdsaVerify,
  generateEcKey,
  generateRsaKey,
  publicKeyObject,
  rsaDigestInfo,
  rsaPrivateKeyObject,
  rsaSign,
  rsaVerify,
} from './signing';

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
const message = utf8('The powers not delegated to the United States by the Constitution');

describe('RSA sign/verify (§3.3)', () => {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = privateKey.export({ format: 'jwk' });
  const k = 256;

  it.each(DIGESTS.map((d) => [d.name, d] as const))(
    'over DigestInfo(%s(m)) equals node:crypto sign() and verifies both ways',
    (name, alg) => {
      const sig = rsaSign(privateKey, rsaDigestInfo(alg, digest(alg, message)));
      expect(toHex(sig)).toBe(toHex(nodeSign(name, message, privateKey)));
      expect(nodeVerify(name, message, publicKey, sig)).toBe(true);
      expect(rsaVerify(publicKey, rsaDigestInfo(alg, digest(alg, message)), sig)).toBe(true);
    },
  );

  it('uses the input as-is: a bare digest gets EMSA-PKCS1-v1_5 type 01 (checked with BigInt RSA)', () => {
    const input = digest(digestByName('sha256'), message);
    const sig = rsaSign(privateKey, input);
    const em = rawRsa(jwk, sig, 'e');
    expect(toHex(em)).toBe('0001' + 'ff'.repeat(k - 3 - 32) + '00' + toHex(input));
    expect(rsaVerify(publicKey, input, sig)).toBe(true);
  });

  it('accepts up to k − 11 bytes and refuses one more with RESULT_TOO_LONG', () => {
    const rng = seededRng('rsa long');
    const longest = rng(k - 11);
    expect(rsaVerify(publicKey, longest, rsaSign(privateKey, longest))).toBe(true);
    const e = thrown(() => rsaSign(privateKey, rng(k - 10)));
    expect(e).toBeInstanceOf(ResultTooLongError);
    expect(e).toMatchObject({ halStatus: 14 });
  });

  describe('verification fails for', () => {
    const digestInfo = rsaDigestInfo(digestByName('sha256'), digest(digestByName('sha256'), message));
    const sig = rsaSign(privateKey, digestInfo);
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 });
    it.each([
      ['a flipped bit', () => Uint8Array.from(sig, (b, i) => (i === 100 ? b ^ 4 : b)), digestInfo, publicKey],
      [
        'a different DigestInfo',
        () => sig,
        rsaDigestInfo(digestByName('sha256'), new Uint8Array(32)),
        publicKey,
      ],
      ['a truncated signature', () => sig.subarray(1), digestInfo, publicKey],
      ['an empty signature', () => new Uint8Array(0), digestInfo, publicKey],
      ['a signature ≥ n', () => new Uint8Array(k).fill(0xff), digestInfo, publicKey],
      ['another key', () => sig, digestInfo, other.publicKey],
    ])('%s', (_label, signature, input, key) => {
      expect(rsaVerify(key, input, signature())).toBe(false);
    });
  });

  it('signs identically from a PKCS#8 carrying libhal’s 0xC0…0xC5 extras', () => {
    const pkcs8 = new Uint8Array(privateKey.export({ type: 'pkcs8', format: 'der' }));
    const f = parseRsaPrivateKeyInfo(pkcs8);
    const extras = [0xc0, 0xc1, 0xc2, 0xc3, 0xc4, 0xc5].map((tag) => ({
      tag,
      content: new Uint8Array(257).fill(1),
    }));
    const rsaKey = der.seq(
      der.u32(0),
      ...[f.n, f.e, f.d, f.p, f.q, f.dP, f.dQ, f.qInv].map(der.uint),
      ...extras,
    );
    const withExtras = encodeDer(
      der.seq(der.u32(0), der.seq(der.oid(OID.rsaEncryption), der.null()), der.octetsOf(rsaKey)),
    );
    const input = utf8('any DigestInfo at all');
    expect(toHex(rsaSign(rsaPrivateKeyObject(withExtras), input))).toBe(toHex(rsaSign(privateKey, input)));
  });

  describe('key generation (PKEY_GENERATE_RSA)', () => {
    it('makes a key of the requested size and exponent, usable through our DER', () => {
      const { pkcs8, spki } = generateRsaKey(1024, hex('010001'));
      expect(toHex(parseRsaSpki(spki).e)).toBe('010001');
      expect(parseRsaPrivateKeyInfo(pkcs8).n.length).toBe(128);
      const sig = rsaSign(rsaPrivateKeyObject(pkcs8), utf8('hello'));
      expect(rsaVerify(publicKeyObject(spki), utf8('hello'), sig)).toBe(true);
    });

    it('honours exponent 3', () => {
      expect(toHex(parseRsaSpki(generateRsaKey(512, hex('03')).spki).e)).toBe('03');
    });

    it.each([
      ['1028 bits (not a multiple of 8)', 1028, '010001'],
      ['0 bits', 0, '010001'],
      ['504 bits', 504, '010001'],
      ['an empty exponent', 1024, ''],
      ['an even exponent', 1024, '010000'],
      ['exponent 1', 1024, '01'],
      ['a 33-bit exponent', 1024, '0100000001'],
    ])('refuses %s with BAD_ARGUMENTS', (_label, bits, e) => {
      expect(thrown(() => generateRsaKey(bits, hex(e)))).toBeInstanceOf(ArgumentError);
    });
  });
});

describe('ECDSA sign/verify (§3.3)', () => {
  describe.each(rfc6979.cases)('$name', ({ curve, digest: hash, d, point, message: m, signature }) => {
    const key = { curve: curve as EcCurveName, d: hex(d), point: hex(point) };
    it('gives the RFC 6979 deterministic signature', () => {
      const h = digest(digestByName(hash as DigestName), utf8(m));
      expect(toHex(ecdsaSign(key, h))).toBe(signature);
      expect(ecdsaVerify(key, h, hex(signature))).toBe(true);
    });
  });

  const cases: [EcCurveName, DigestName, number][] = [
    ['P-256', 'sha256', 64],
    ['P-384', 'sha384', 96],
    ['P-521', 'sha512', 132],
    ['P-384', 'sha256', 96],
    ['P-521', 'sha256', 132],
  ];

  describe.each(cases)('%s over %s(m)', (curve, hash, sigLength) => {
    const { key, spki } = generateEcKey(curve, seededRng(`ecdsa ${curve}`));
    const h = digest(digestByName(hash), message);
    const nodeKey = {
      key: Buffer.from(spki),
      format: 'der' as const,
      type: 'spki' as const,
      dsaEncoding: 'ieee-p1363' as const,
    };

    it(`is raw r ‖ s of ${sigLength} bytes that node:crypto verifies (ieee-p1363)`, () => {
      const sig = ecdsaSign(key, h);
      expect(sig.length).toBe(sigLength);
      expect(nodeVerify(hash, message, nodeKey, sig)).toBe(true);
    });

    it('is deterministic', () => {
      expect(toHex(ecdsaSign(key, h))).toBe(toHex(ecdsaSign(key, h)));
    });

    it('verifies a node:crypto signature', () => {
      const { privateKey } = generateKeyPairSync('ec', { namedCurve: curve });
      const jwk = privateKey.export({ format: 'jwk' });
      const pub = {
        curve,
        point: Uint8Array.from([
          4,
          ...Buffer.from(jwk.x ?? '', 'base64url'),
          ...Buffer.from(jwk.y ?? '', 'base64url'),
        ]),
      };
      const sig = new Uint8Array(nodeSign(hash, message, { key: privateKey, dsaEncoding: 'ieee-p1363' }));
      expect(ecdsaVerify(pub, h, sig)).toBe(true);
    });

    it.each([
      ['a flipped bit', (s: Uint8Array) => Uint8Array.from(s, (b, i) => (i === 5 ? b ^ 1 : b))],
      ['r = s = 0', (s: Uint8Array) => new Uint8Array(s.length)],
      ['r, s ≥ n', (s: Uint8Array) => new Uint8Array(s.length).fill(0xff)],
      [
        'DER instead of raw',
        (s: Uint8Array) =>
          encodeDer(der.seq(der.uint(s.subarray(0, s.length / 2)), der.uint(s.subarray(s.length / 2)))),
      ],
      ['one byte short', (s: Uint8Array) => s.subarray(1)],
    ])('does not verify with %s', (_label, mangle) => {
      expect(ecdsaVerify(key, h, mangle(ecdsaSign(key, h)))).toBe(false);
    });

    it('does not verify over another digest', () => {
      expect(ecdsaVerify(key, digest(digestByName(hash), utf8('other')), ecdsaSign(key, h))).toBe(false);
    });
  });

  it('refuses to release a signature from a key whose stored point is not d·G', () => {
    const a = generateEcKey('P-256', seededRng('a')).key;
    const b = generateEcKey('P-256', seededRng('b')).key;
    const e = thrown(() => ecdsaSign({ ...a, point: b.point }, new Uint8Array(32).fill(1)));
    expect(e).toBeInstanceOf(CryptoSelfCheckError);
  });

  it('generates the same key from the same RNG stream, a different one from another', () => {
    const one = generateEcKey('P-384', seededRng('same'));
    expect(toHex(generateEcKey('P-384', seededRng('same')).pkcs8)).toBe(toHex(one.pkcs8));
    expect(toHex(generateEcKey('P-384', seededRng('other')).pkcs8)).not.toBe(toHex(one.pkcs8));
    expect(one.key.d.length).toBe(EC_CURVES['P-384'].scalarBytes);
  });

  it.each(Object.keys(EC_CURVES) as EcCurveName[])(
    '%s: a generated key is what node:crypto would export for it (PKCS#8 in libhal’s form)',
    (curve) => {
      const ours = generateEcKey(curve, seededRng(`der ${curve}`));
      const reexported = createPrivateKey({ key: Buffer.from(ours.pkcs8), format: 'der', type: 'pkcs8' });
      expect(toHex(new Uint8Array(reexported.export({ type: 'pkcs8', format: 'der' })))).toBe(
        toHex(ours.pkcs8),
      );
      const d = Buffer.from(reexported.export({ format: 'jwk' }).d ?? '', 'base64url').toString('hex');
      expect(d.padStart(2 * EC_CURVES[curve].scalarBytes, '0')).toBe(toHex(ours.key.d));
    },
  );

  it('refuses an empty digest', () => {
    const { key } = generateEcKey('P-256', seededRng('empty'));
    expect(thrown(() => ecdsaSign(key, new Uint8Array(0)))).toBeInstanceOf(ArgumentError);
    expect(ecdsaVerify(key, new Uint8Array(0), new Uint8Array(64))).toBe(false);
  });
});
