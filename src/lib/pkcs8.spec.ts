import { generateKeyPairSync } from 'node:crypto';
import * as asn1js from 'asn1js';
import fc from 'fast-check';
import {
  expectTypedFailureAtEveryTruncation,
  hex,
  isTypedError,
  thrown,
  toHex,
} from '../../test/support/bytes';
import {
  b64u,
  expectedHashsigInner,
  expectedHashsigPkcs8,
  hashsigKey,
  nodeEc,
  nodeRsa,
  seq,
} from '../../test/support/der-keys';
import { Tag, der, encodeDer, type DerNode } from './der';
import { DerError, UnsupportedKeyError } from './errors';
import {
  buildEcPrivateKeyInfo,
  buildEncryptedPrivateKeyInfo,
  buildHashsigPrivateKeyInfo,
  buildRsaPrivateKeyInfo,
  guessKeyKind,
  parseEcPrivateKeyInfo,
  parseEncryptedPrivateKeyInfo,
  parseHashsigPrivateKeyInfo,
  parseKey,
  parseRsaPrivateKeyInfo,
} from './pkcs8';
import {
  EC_CURVES,
  OID,
  buildEcSpki,
  buildHashsigSpki,
  buildRsaSpki,
  parseEcSpki,
  parseHashsigSpki,
  parseRsaSpki,
  type EcCurveName,
} from './spki';

const curves = Object.keys(EC_CURVES) as EcCurveName[];

/** PKCS#8 around an arbitrary inner structure, for malformed-input cases. */
function pkcs8Around(alg: DerNode, inner: Uint8Array): Uint8Array {
  return encodeDer(der.seq(der.u32(0), alg, der.octets(inner)));
}

describe('RSA PKCS#8 (RFC 8017 §A.1.2)', () => {
  const rsa = nodeRsa(1024);

  it('parses node:crypto’s PKCS#8 into the JWK components', () => {
    const k = parseRsaPrivateKeyInfo(rsa.pkcs8);
    const { jwk } = rsa;
    expect([k.n, k.e, k.d, k.p, k.q, k.dP, k.dQ, k.qInv].map(toHex)).toEqual(
      [jwk.n, jwk.e, jwk.d, jwk.p, jwk.q, jwk.dp, jwk.dq, jwk.qi].map(b64u),
    );
    expect(k.extras).toBe(0);
  });

  it('rebuilds node:crypto’s PKCS#8 and SPKI byte for byte (libhal’s form is the standard one)', () => {
    const k = parseRsaPrivateKeyInfo(rsa.pkcs8);
    expect(toHex(buildRsaPrivateKeyInfo(k))).toBe(toHex(rsa.pkcs8));
    expect(toHex(buildRsaSpki(k))).toBe(toHex(rsa.spki));
    expect(toHex(buildRsaSpki(parseRsaSpki(rsa.spki)))).toBe(toHex(rsa.spki));
  });

  describe('with libhal’s Montgomery factors appended (§5.3)', () => {
    const k = parseRsaPrivateKeyInfo(rsa.pkcs8);
    const fields = [k.n, k.e, k.d, k.p, k.q, k.dP, k.dQ, k.qInv].map(der.uint);
    const extra = (tag: number): DerNode => ({ tag, content: new Uint8Array(16).fill(tag) });
    const withExtras = (tags: number[]): Uint8Array =>
      pkcs8Around(
        der.seq(der.oid(OID.rsaEncryption), der.null()),
        encodeDer(der.seq(der.u32(0), ...fields, ...tags.map(extra))),
      );

    it.each([[[0xc0, 0xc1, 0xc2, 0xc3, 0xc4, 0xc5]], [[0xc0, 0xc1]], [[0xc2, 0xc3, 0xc4, 0xc5]]])(
      'strips %j and rebuilds the standard PKCS#8',
      (tags) => {
        const parsed = parseRsaPrivateKeyInfo(withExtras(tags));
        expect(parsed.extras).toBe(tags.length);
        expect(toHex(buildRsaPrivateKeyInfo(parsed))).toBe(toHex(rsa.pkcs8));
      },
    );

    it.each([
      ['out of order', [0xc1, 0xc0]],
      ['repeated', [0xc0, 0xc0]],
      ['an unknown private tag', [0xc6]],
    ])('rejects extras %s', (_label, tags) => {
      expect(thrown(() => parseRsaPrivateKeyInfo(withExtras(tags)))).toBeInstanceOf(DerError);
    });
  });

  it('rejects a multi-prime (version 1) RSAPrivateKey', () => {
    const k = parseRsaPrivateKeyInfo(rsa.pkcs8);
    const fields = [k.n, k.e, k.d, k.p, k.q, k.dP, k.dQ, k.qInv].map(der.uint);
    const v1 = pkcs8Around(
      der.seq(der.oid(OID.rsaEncryption), der.null()),
      encodeDer(der.seq(der.u32(1), ...fields)),
    );
    expect(thrown(() => parseRsaPrivateKeyInfo(v1))).toMatchObject({ halStatus: 15 });
  });

  it('returns fields as views into the input: wiping the input wipes them', () => {
    const input = rsa.pkcs8.slice();
    const k = parseRsaPrivateKeyInfo(input);
    input.fill(0);
    expect(k.d.every((b) => b === 0)).toBe(true);
    expect(k.d.buffer).toBe(input.buffer);
  });
});

describe('EC PKCS#8 (RFC 5915 §3)', () => {
  describe.each(curves)('%s', (curve) => {
    const node = nodeEc(curve);
    const info = EC_CURVES[curve];

    it('node:crypto’s PKCS#8 is libhal’s form (no [0] parameters) and rebuilds byte for byte', () => {
      const k = parseEcPrivateKeyInfo(node.pkcs8);
      expect(k.curve).toBe(curve);
      expect(toHex(k.d)).toBe(b64u(node.jwk.d).padStart(2 * info.scalarBytes, '0'));
      expect(toHex(k.point)).toBe('04' + b64u(node.jwk.x) + b64u(node.jwk.y));
      expect(toHex(buildEcPrivateKeyInfo(k))).toBe(toHex(node.pkcs8));
      expect(toHex(buildEcSpki(k))).toBe(toHex(node.spki));
      expect(parseEcSpki(node.spki)).toEqual({ curve, point: k.point });
    });

    it('rejects an ECPrivateKey carrying [0] parameters (SEC 1 form inside PKCS#8)', () => {
      const withParams = pkcs8Around(der.seq(der.oid(OID.ecPublicKey), der.oid(info.oid)), node.sec1);
      expect(thrown(() => parseEcPrivateKeyInfo(withParams))).toBeInstanceOf(DerError);
    });
  });

  it('parses 500 fresh P-256 keys (random bytes inside strings) and rebuilds each byte for byte', () => {
    for (let i = 0; i < 500; i++) {
      const node = nodeEc('P-256');
      expect(toHex(buildEcPrivateKeyInfo(parseEcPrivateKeyInfo(node.pkcs8)))).toBe(toHex(node.pkcs8));
    }
  });

  it('an unknown named curve is UNSUPPORTED_KEY, for parse and for guess', () => {
    const k1 = nodeEc('secp256k1').pkcs8;
    expect(thrown(() => parseEcPrivateKeyInfo(k1))).toBeInstanceOf(UnsupportedKeyError);
    expect(thrown(() => guessKeyKind(k1))).toMatchObject({ halStatus: 2 });
  });

  it('rejects a private scalar of the wrong length', () => {
    const k = parseEcPrivateKeyInfo(nodeEc('P-256').pkcs8);
    const short = pkcs8Around(
      der.seq(der.oid(OID.ecPublicKey), der.oid(EC_CURVES['P-256'].oid)),
      encodeDer(der.seq(der.u32(1), der.octets(k.d.subarray(1)), der.ctx1(der.bits(k.point)))),
    );
    expect((thrown(() => parseEcPrivateKeyInfo(short)) as Error).message).toMatch(
      /expected 32 octets, got 31/,
    );
  });
});

describe('hashsig private key (docs/libhal-rpc.md §7.4)', () => {
  it('PKCS#8 matches the field table assembled by hand', () => {
    expect(toHex(buildHashsigPrivateKeyInfo(hashsigKey))).toBe(expectedHashsigPkcs8);
    expect(parseHashsigPrivateKeyInfo(hex(expectedHashsigPkcs8))).toEqual(hashsigKey);
  });

  it('encodes q_end = 2^32−1 as a five-octet INTEGER and reads it back', () => {
    const key = { ...hashsigKey, qStart: 0x80, qEnd: 0xffffffff };
    const out = buildHashsigPrivateKeyInfo(key);
    expect(toHex(out)).toContain('02020080' + '020500ffffffff');
    expect(parseHashsigPrivateKeyInfo(out)).toEqual(key);
  });

  it('accepts the AlgorithmIdentifier without NULL, as libhal does', () => {
    const noNull = pkcs8Around(der.seq(der.oid(OID.mtsHashsig)), hex(expectedHashsigInner));
    expect(parseHashsigPrivateKeyInfo(noNull)).toEqual(hashsigKey);
  });
});

describe('EncryptedPrivateKeyInfo (RFC 5958 §3; docs/libhal-rpc.md §5.3, §5.4)', () => {
  const data = new Uint8Array(40).fill(0xab);

  it('has an AlgorithmIdentifier with no parameters at all', () => {
    expect(toHex(buildEncryptedPrivateKeyInfo(OID.aes256WrapPad, data))).toBe(
      seq(seq('0609608648016503040130') + '0428' + toHex(data)),
    );
    expect(toHex(buildEncryptedPrivateKeyInfo(OID.rsaEncryption, data))).toBe(
      seq(seq('06092a864886f70d010101') + '0428' + toHex(data)),
    );
  });

  it('parses with the parameters absent or NULL', () => {
    const withNull = encodeDer(der.seq(der.seq(der.oid(OID.rsaEncryption), der.null()), der.octets(data)));
    for (const blob of [buildEncryptedPrivateKeyInfo(OID.rsaEncryption, data), withNull]) {
      const parsed = parseEncryptedPrivateKeyInfo(blob);
      expect([parsed.algorithm, toHex(parsed.data)]).toEqual([OID.rsaEncryption, toHex(data)]);
    }
  });

  it('rejects an OID parameter and trailing data', () => {
    const withOid = encodeDer(
      der.seq(der.seq(der.oid(OID.rsaEncryption), der.oid('1.2.3')), der.octets(data)),
    );
    expect(thrown(() => parseEncryptedPrivateKeyInfo(withOid))).toBeInstanceOf(DerError);
    const trailing = encodeDer(der.seq(der.seq(der.oid(OID.rsaEncryption)), der.octets(data), der.null()));
    expect(thrown(() => parseEncryptedPrivateKeyInfo(trailing))).toBeInstanceOf(DerError);
  });

  it('asn1js reads what we write', () => {
    const blob = buildEncryptedPrivateKeyInfo(OID.aes256WrapPad, data);
    const { result, offset } = asn1js.fromBER(blob);
    expect(offset).toBe(blob.length);
    const [alg, octets] = (result as asn1js.Sequence).valueBlock.value as [
      asn1js.Sequence,
      asn1js.OctetString,
    ];
    expect((alg.valueBlock.value[0] as asn1js.ObjectIdentifier).valueBlock.toString()).toBe(
      OID.aes256WrapPad,
    );
    expect(alg.valueBlock.value.length).toBe(1);
    expect(toHex(new Uint8Array(octets.valueBlock.valueHexView))).toBe(toHex(data));
  });
});

describe('guessKeyKind and parseKey', () => {
  const rsa = nodeRsa(1024);
  const ecs = curves.map((curve) => ({ curve, ...nodeEc(curve) }));
  const samples: [string, Uint8Array, object][] = [
    ['RSA PKCS#8', rsa.pkcs8, { type: 'rsa-private' }],
    ['RSA SPKI', rsa.spki, { type: 'rsa-public' }],
    ...ecs.flatMap(({ curve, pkcs8, spki }): [string, Uint8Array, object][] => [
      [`${curve} PKCS#8`, pkcs8, { type: 'ec-private', curve }],
      [`${curve} SPKI`, spki, { type: 'ec-public', curve }],
    ]),
    ['hashsig PKCS#8', buildHashsigPrivateKeyInfo(hashsigKey), { type: 'hashsig-private' }],
    ['hashsig SPKI', buildHashsigSpki(hashsigKey), { type: 'hashsig-public' }],
  ];

  it.each(samples)('%s', (_label, input, kind) => {
    expect(guessKeyKind(input)).toEqual(kind);
    expect(parseKey(input).type).toBe((kind as { type: string }).type);
  });

  it('an Ed25519 key is UNSUPPORTED_KEY; an EncryptedPrivateKeyInfo and junk are ASN1_PARSE_FAILED', () => {
    const ed = new Uint8Array(
      generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'der' }),
    );
    expect(thrown(() => guessKeyKind(ed))).toBeInstanceOf(UnsupportedKeyError);
    expect(
      thrown(() => guessKeyKind(buildEncryptedPrivateKeyInfo(OID.rsaEncryption, hex('00ff')))),
    ).toBeInstanceOf(DerError);
    expect(thrown(() => guessKeyKind(hex('0500')))).toBeInstanceOf(DerError);
  });

  describe('every truncation is a typed parse error', () => {
    const parsers: Record<string, (b: Uint8Array) => unknown> = {
      'RSA PKCS#8': parseRsaPrivateKeyInfo,
      'RSA SPKI': parseRsaSpki,
      'P-256 PKCS#8': parseEcPrivateKeyInfo,
      'P-384 PKCS#8': parseEcPrivateKeyInfo,
      'P-521 PKCS#8': parseEcPrivateKeyInfo,
      'P-256 SPKI': parseEcSpki,
      'P-384 SPKI': parseEcSpki,
      'P-521 SPKI': parseEcSpki,
      'hashsig PKCS#8': parseHashsigPrivateKeyInfo,
      'hashsig SPKI': parseHashsigSpki,
    };
    it.each(samples)('%s', (label, input) => {
      expectTypedFailureAtEveryTruncation(input, parsers[label]);
      expectTypedFailureAtEveryTruncation(input, guessKeyKind);
      expectTypedFailureAtEveryTruncation(input, parseKey);
    });
    it('EncryptedPrivateKeyInfo', () => {
      expectTypedFailureAtEveryTruncation(
        buildEncryptedPrivateKeyInfo(OID.aes256WrapPad, new Uint8Array(300)),
        parseEncryptedPrivateKeyInfo,
      );
    });
  });

  // Typed here means a DerError or an UnsupportedKeyError: nothing else may escape a parser.
  const parseFailure = (e: unknown): boolean =>
    (e instanceof DerError || e instanceof UnsupportedKeyError) && isTypedError(e);

  it('any single corrupted byte either parses or fails with a typed error', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: samples.length - 1 }),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        (which, position, xor) => {
          const input = samples[which][1].slice();
          input[position % input.length] ^= xor;
          try {
            parseKey(input);
          } catch (e) {
            return parseFailure(e);
          }
          return true;
        },
      ),
      { numRuns: 3000, seed: 5649 },
    );
  });

  it('arbitrary bytes never escape as anything but a typed error', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        for (const parse of [parseKey, parseEncryptedPrivateKeyInfo]) {
          try {
            parse(bytes);
          } catch (e) {
            if (!parseFailure(e)) return false;
          }
        }
        return true;
      }),
      { numRuns: 2000, seed: 8554 },
    );
  });

  it('a DER SEQUENCE of the right shape with random contents never escapes either', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 6 }),
        fc.constantFrom(...Object.values(Tag)),
        (parts, tag) => {
          const input = encodeDer(der.seq(...parts.map((content) => ({ tag, content }))));
          try {
            parseKey(input);
          } catch (e) {
            return parseFailure(e);
          }
          return true;
        },
      ),
      { numRuns: 1000, seed: 5208 },
    );
  });
});
