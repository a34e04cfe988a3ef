/** Key creation, access rules, hashing, signing and verification (docs/libhal-rpc.md §3.3, §4.3). */
import {
  createHash,
  createHmac,
  createPublicKey,
  generateKeyPairSync,
  sign as nodeSign,
  verify as nodeVerify,
} from 'node:crypto';
import { DigestAlg, KeyType } from '../../src/hsm-adapter/constants';
import { DS, EXPORTABLE, KE, PUBLIC, TOKEN, freshHsm, login, statusOf, User, type Fresh } from './support';

const SESSION = 0;

describe('soft HSM keys', () => {
  let f: Fresh;
  beforeEach(async () => (f = await freshHsm()));
  afterEach(() => f.cleanup());

  describe('given a client logged in as NORMAL', () => {
    beforeEach(() => login(f.hsm, 1));

    it('generates an EC P-256 token key whose ECDSA raw r‖s signature verifies with node:crypto', async () => {
      const { pkey, name } = f.hsm.pkeyGenerateEc(1, { session: SESSION, curve: 1, flags: DS | TOKEN });
      expect(pkey >>> 31).toBe(1); // token bit
      expect(name).toHaveLength(16);
      expect(name[6] >> 4).toBe(4); // RFC 4122 version 4
      expect(f.hsm.pkeyGetKeyType(1, { pkey }).type).toBe(KeyType.EC_PRIVATE);
      expect(f.hsm.pkeyGetKeyCurve(1, { pkey }).curve).toBe(1);
      expect(f.hsm.pkeyGetKeyFlags(1, { pkey }).flags).toBe(DS | TOKEN);
      const digest = createHash('sha256').update('abc').digest();
      const { signature } = f.hsm.pkeySign(1, { pkey, hash: 0, input: digest, sigMax: 64 });
      expect(signature).toHaveLength(64);
      const spki = f.hsm.pkeyGetPublicKey(1, { pkey, derMax: 200 }).der;
      expect(f.hsm.pkeyGetPublicKeyLen(1, { pkey }).length).toBe(spki.length);
      const pub = createPublicKey({ key: spki, format: 'der', type: 'spki' });
      expect(nodeVerify(null, Buffer.from('abc'), { key: pub, dsaEncoding: 'ieee-p1363' }, signature)).toBe(
        true,
      );
      f.hsm.pkeyVerify(1, { pkey, hash: 0, input: digest, signature });
      signature[10] ^= 1;
      expect(await statusOf(() => f.hsm.pkeyVerify(1, { pkey, hash: 0, input: digest, signature }))).toBe(
        'INVALID_SIGNATURE',
      );
    });

    it('signs RSA DigestInfo byte-identically to node:crypto PKCS#1 v1.5, from input or from a hash handle', () => {
      const { pkey } = f.hsm.pkeyGenerateRsa(1, {
        session: SESSION,
        keyBits: 1024,
        publicExponent: Buffer.from([1, 0, 1]),
        flags: DS,
      });
      expect(pkey >>> 31).toBe(0); // volatile
      const spki = f.hsm.pkeyGetPublicKey(1, { pkey, derMax: 1000 }).der;
      const pub = createPublicKey({ key: spki, format: 'der', type: 'spki' });
      const { hash } = f.hsm.hashInitialize(1, {
        session: SESSION,
        alg: DigestAlg.SHA256,
        key: Buffer.alloc(0),
      });
      f.hsm.hashUpdate(1, { hash, data: Buffer.from('hello ') });
      f.hsm.hashUpdate(1, { hash, data: Buffer.from('world') });
      const viaHandle = f.hsm.pkeySign(1, { pkey, hash, input: Buffer.alloc(0), sigMax: 128 }).signature;
      expect(nodeVerify('sha256', Buffer.from('hello world'), pub, viaHandle)).toBe(true);
      // The handle was consumed by the signature.
      expect(() => f.hsm.hashGetAlgorithm(1, { hash })).toThrow(/BAD_ARGUMENTS/);
      const digestInfo = Buffer.concat([
        Buffer.from('3031300d060960864801650304020105000420', 'hex'),
        createHash('sha256').update('hello world').digest(),
      ]);
      const viaInput = f.hsm.pkeySign(1, { pkey, hash: 0, input: digestInfo, sigMax: 128 }).signature;
      expect(viaInput.equals(viaHandle)).toBe(true);
      f.hsm.pkeyVerify(1, { pkey, hash: 0, input: digestInfo, signature: viaInput });
    });

    it('applies the API checks of key generation', async () => {
      const rsa = (keyBits: number, e: number[], flags: number = DS) =>
        statusOf(() =>
          f.hsm.pkeyGenerateRsa(1, { session: SESSION, keyBits, publicExponent: Buffer.from(e), flags }),
        );
      expect(await rsa(1028, [1, 0, 1])).toBe('BAD_ARGUMENTS');
      expect(await rsa(0, [1, 0, 1])).toBe('BAD_ARGUMENTS');
      expect(await rsa(1024, [])).toBe('BAD_ARGUMENTS');
      expect(await rsa(1024, [1, 0, 1], 0x40)).toBe('BAD_ARGUMENTS');
      const ec = (curve: number, flags: number = DS) =>
        statusOf(() => f.hsm.pkeyGenerateEc(1, { session: SESSION, curve, flags }));
      expect(await ec(0)).toBe('BAD_ARGUMENTS');
      expect(await ec(4)).toBe('BAD_ARGUMENTS');
      expect(await ec(2, 0x80)).toBe('BAD_ARGUMENTS');
    });

    it('enforces the sign/verify input rule and sig_max', async () => {
      const { pkey } = f.hsm.pkeyGenerateEc(1, { session: SESSION, curve: 2, flags: DS });
      const { hash } = f.hsm.hashInitialize(1, {
        session: SESSION,
        alg: DigestAlg.SHA384,
        key: Buffer.alloc(0),
      });
      const sign = (h: number, input: Buffer, sigMax: number) =>
        statusOf(() => f.hsm.pkeySign(1, { pkey, hash: h, input, sigMax }));
      expect(await sign(0, Buffer.alloc(0), 96)).toBe('BAD_ARGUMENTS');
      expect(await sign(hash, Buffer.alloc(48, 1), 96)).toBe('BAD_ARGUMENTS');
      expect(await sign(0, Buffer.alloc(48, 1), 0)).toBe('BAD_ARGUMENTS');
      expect(await sign(0, Buffer.alloc(48, 1), 95)).toBe('RESULT_TOO_LONG');
      expect(await sign(hash, Buffer.alloc(0), 96)).toBe('OK');
    });

    it('needs DIGITALSIGNATURE to sign and to verify', async () => {
      const { pkey } = f.hsm.pkeyGenerateEc(1, { session: SESSION, curve: 1, flags: KE });
      expect(
        await statusOf(() => f.hsm.pkeySign(1, { pkey, hash: 0, input: Buffer.alloc(32), sigMax: 64 })),
      ).toBe('FORBIDDEN');
      expect(
        await statusOf(() =>
          f.hsm.pkeyVerify(1, { pkey, hash: 0, input: Buffer.alloc(32), signature: Buffer.alloc(64) }),
        ),
      ).toBe('FORBIDDEN');
    });

    it('loads an SPKI and a PKCS#8 made elsewhere, and verifies with the loaded public key', () => {
      const pair = generateKeyPairSync('ec', { namedCurve: 'P-384' });
      const spki = pair.publicKey.export({ type: 'spki', format: 'der' });
      const pub = f.hsm.pkeyLoad(1, { session: SESSION, der: spki, flags: DS });
      expect(f.hsm.pkeyGetKeyType(1, { pkey: pub.pkey }).type).toBe(KeyType.EC_PUBLIC);
      expect(f.hsm.pkeyGetKeyCurve(1, { pkey: pub.pkey }).curve).toBe(2);
      const digest = createHash('sha384').update('m').digest();
      const signature = nodeSign('sha384', Buffer.from('m'), {
        key: pair.privateKey,
        dsaEncoding: 'ieee-p1363',
      });
      f.hsm.pkeyVerify(1, { pkey: pub.pkey, hash: 0, input: digest, signature });
      expect(f.hsm.pkeyGetPublicKey(1, { pkey: pub.pkey, derMax: 500 }).der.equals(spki)).toBe(true);
      const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 });
      const pkcs8 = rsa.privateKey.export({ type: 'pkcs8', format: 'der' });
      const loaded = f.hsm.pkeyLoad(1, { session: SESSION, der: pkcs8, flags: DS | TOKEN });
      expect(f.hsm.pkeyGetKeyType(1, { pkey: loaded.pkey }).type).toBe(KeyType.RSA_PRIVATE);
      const expected = rsa.publicKey.export({ type: 'spki', format: 'der' });
      expect(f.hsm.pkeyGetPublicKey(1, { pkey: loaded.pkey, derMax: 500 }).der.equals(expected)).toBe(true);
    });

    it('refuses DER that is not a key', async () => {
      expect(
        await statusOf(() =>
          f.hsm.pkeyLoad(1, { session: SESSION, der: Buffer.from([0x30, 0x03, 0x02, 0x01]), flags: DS }),
        ),
      ).toBe('ASN1_PARSE_FAILED');
      expect(
        await statusOf(() => f.hsm.pkeyLoad(1, { session: SESSION, der: Buffer.alloc(0), flags: DS })),
      ).toBe('BAD_ARGUMENTS');
    });

    it('opens by name (token first, then volatile), closes and deletes', async () => {
      const token = f.hsm.pkeyGenerateEc(1, { session: SESSION, curve: 1, flags: DS | TOKEN });
      const vol = f.hsm.pkeyGenerateEc(1, { session: SESSION, curve: 1, flags: DS });
      const t2 = f.hsm.pkeyOpen(1, { session: SESSION, name: token.name }).pkey;
      const v2 = f.hsm.pkeyOpen(1, { session: SESSION, name: vol.name }).pkey;
      expect(t2 >>> 31).toBe(1);
      expect(v2 >>> 31).toBe(0);
      expect(t2).not.toBe(token.pkey);
      f.hsm.pkeyClose(1, { pkey: t2 });
      expect(await statusOf(() => f.hsm.pkeyGetKeyType(1, { pkey: t2 }))).toBe('KEY_NOT_FOUND');
      f.hsm.pkeyDelete(1, { pkey: token.pkey });
      expect(await statusOf(() => f.hsm.pkeyOpen(1, { session: SESSION, name: token.name }))).toBe(
        'KEY_NOT_FOUND',
      );
      // libhal: a delete through a second handle to a deleted key is KEY_NOT_FOUND and frees it.
      expect(await statusOf(() => f.hsm.pkeyDelete(1, { pkey: t2 }))).toBe('KEY_NOT_FOUND');
      expect(await statusOf(() => f.hsm.pkeyOpen(1, { session: SESSION, name: Buffer.alloc(16, 9) }))).toBe(
        'KEY_NOT_FOUND',
      );
    });

    it('answers GET_PUBLIC_KEY_LEN 0 for a bad handle, never an error', () => {
      expect(f.hsm.pkeyGetPublicKeyLen(1, { pkey: 0x12345 }).length).toBe(0);
    });

    it('runs out of pkey handles at 256', async () => {
      const { name } = f.hsm.pkeyGenerateEc(1, { session: SESSION, curve: 1, flags: DS | TOKEN });
      for (let i = 1; i < 256; i++) f.hsm.pkeyOpen(1, { session: SESSION, name });
      expect(await statusOf(() => f.hsm.pkeyOpen(1, { session: SESSION, name }))).toBe(
        'NO_KEY_SLOTS_AVAILABLE',
      );
    });
  });

  describe('given a client that is not logged in', () => {
    it('may create public session objects only, and may not open keys', async () => {
      expect(await statusOf(() => f.hsm.pkeyGenerateEc(2, { session: SESSION, curve: 1, flags: DS }))).toBe(
        'FORBIDDEN',
      );
      expect(
        await statusOf(() =>
          f.hsm.pkeyGenerateEc(2, { session: SESSION, curve: 1, flags: DS | PUBLIC | TOKEN }),
        ),
      ).toBe('FORBIDDEN');
      const { pkey, name } = f.hsm.pkeyGenerateEc(2, { session: SESSION, curve: 1, flags: DS | PUBLIC });
      f.hsm.pkeySign(2, { pkey, hash: 0, input: Buffer.alloc(32, 3), sigMax: 64 });
      expect(await statusOf(() => f.hsm.pkeyOpen(2, { session: SESSION, name }))).toBe('FORBIDDEN');
      f.hsm.pkeyDelete(2, { pkey });
    });
  });

  describe('volatile keys', () => {
    it('are visible to their client and WHEEL, and deleted when their client logs out', async () => {
      await login(f.hsm, 1);
      await login(f.hsm, 2);
      await login(f.hsm, 3, User.WHEEL);
      const { pkey, name } = f.hsm.pkeyGenerateEc(1, { session: SESSION, curve: 1, flags: DS | EXPORTABLE });
      expect(await statusOf(() => f.hsm.pkeyOpen(2, { session: SESSION, name }))).toBe('KEY_NOT_FOUND');
      const byWheel = f.hsm.pkeyOpen(3, { session: SESSION, name }).pkey;
      f.hsm.logout(1);
      // Handles survive logout in libhal; the key behind them is gone.
      expect(f.hsm.pkeyGetKeyType(3, { pkey }).type).toBe(KeyType.EC_PRIVATE);
      expect(
        await statusOf(() => f.hsm.pkeySign(3, { pkey, hash: 0, input: Buffer.alloc(32), sigMax: 64 })),
      ).toBe('KEY_NOT_FOUND');
      expect(await statusOf(() => f.hsm.pkeyGetPublicKey(3, { pkey: byWheel, derMax: 200 }))).toBe(
        'KEY_NOT_FOUND',
      );
      expect(await statusOf(() => f.hsm.pkeyOpen(3, { session: SESSION, name }))).toBe('KEY_NOT_FOUND');
    });

    it('made by client handle 0 are not purged by LOGOUT of handle 0', async () => {
      await login(f.hsm, 0);
      const { name } = f.hsm.pkeyGenerateEc(0, { session: SESSION, curve: 1, flags: DS });
      f.hsm.logout(0);
      await login(f.hsm, 5);
      expect(await statusOf(() => f.hsm.pkeyOpen(5, { session: SESSION, name }))).toBe('OK');
    });
  });
});

describe('soft HSM hashing', () => {
  let f: Fresh;
  beforeAll(async () => (f = await freshHsm()));
  afterAll(() => f.cleanup());

  const vectors: [string, number, string][] = [
    ['SHA-1', DigestAlg.SHA1, 'sha1'],
    ['SHA-224', DigestAlg.SHA224, 'sha224'],
    ['SHA-256', DigestAlg.SHA256, 'sha256'],
    ['SHA-512/224', DigestAlg.SHA512_224, 'sha512-224'],
    ['SHA-512/256', DigestAlg.SHA512_256, 'sha512-256'],
    ['SHA-384', DigestAlg.SHA384, 'sha384'],
    ['SHA-512', DigestAlg.SHA512, 'sha512'],
  ];

  it.each(vectors)('%s of "abc" and HMAC match node:crypto', (_label, alg, node) => {
    const length = f.hsm.hashGetDigestLen(0, { alg }).length;
    const h = f.hsm.hashInitialize(0, { session: 0, alg, key: Buffer.alloc(0) }).hash;
    f.hsm.hashUpdate(0, { hash: h, data: Buffer.from('abc') });
    expect(f.hsm.hashFinalize(0, { hash: h, length }).digest.toString('hex')).toBe(
      createHash(node).update('abc').digest('hex'),
    );
    const m = f.hsm.hashInitialize(0, { session: 0, alg, key: Buffer.from('key') }).hash;
    expect(m >>> 31).toBe(1);
    f.hsm.hashUpdate(0, { hash: m, data: Buffer.from('abc') });
    expect(f.hsm.hashFinalize(0, { hash: m, length }).digest.toString('hex')).toBe(
      createHmac(node, 'key').update('abc').digest('hex'),
    );
  });

  it('reports SHA-224 handles as SHA256 (libhal quirk) and DER AlgorithmIdentifiers', () => {
    const h = f.hsm.hashInitialize(0, { session: 0, alg: DigestAlg.SHA224, key: Buffer.alloc(0) }).hash;
    expect(f.hsm.hashGetAlgorithm(0, { hash: h }).alg).toBe(DigestAlg.SHA256);
    f.hsm.hashFinalize(0, { hash: h, length: 28 });
    expect(f.hsm.hashGetDigestAlgorithmId(0, { alg: DigestAlg.SHA256, lenMax: 0 })).toEqual({ length: 15 });
    expect(f.hsm.hashGetDigestAlgorithmId(0, { alg: DigestAlg.SHA256, lenMax: 64 })).toEqual({
      der: Buffer.from('300d06096086480165030402010500', 'hex'),
    });
  });

  it('answers bad algorithms and handles with BAD_ARGUMENTS, a short buffer with RESULT_TOO_LONG', async () => {
    expect(await statusOf(() => f.hsm.hashGetDigestLen(0, { alg: 0 }))).toBe('BAD_ARGUMENTS');
    expect(await statusOf(() => f.hsm.hashGetDigestLen(0, { alg: 8 }))).toBe('BAD_ARGUMENTS');
    expect(await statusOf(() => f.hsm.hashUpdate(0, { hash: 0x1234, data: Buffer.from('x') }))).toBe(
      'BAD_ARGUMENTS',
    );
    expect(await statusOf(() => f.hsm.hashGetDigestAlgorithmId(0, { alg: 1, lenMax: 5 }))).toBe(
      'RESULT_TOO_LONG',
    );
    const h = f.hsm.hashInitialize(0, { session: 0, alg: DigestAlg.SHA256, key: Buffer.alloc(0) }).hash;
    expect(await statusOf(() => f.hsm.hashFinalize(0, { hash: h, length: 31 }))).toBe('BAD_ARGUMENTS');
    // FINALIZE frees the handle even when it fails.
    expect(await statusOf(() => f.hsm.hashFinalize(0, { hash: h, length: 32 }))).toBe('BAD_ARGUMENTS');
  });

  it('has 32 hash handles, then ALLOCATION_FAILURE', async () => {
    const handles = Array.from(
      { length: 32 },
      () => f.hsm.hashInitialize(0, { session: 0, alg: 1, key: Buffer.alloc(0) }).hash,
    );
    expect(new Set(handles).size).toBe(32);
    expect(await statusOf(() => f.hsm.hashInitialize(0, { session: 0, alg: 1, key: Buffer.alloc(0) }))).toBe(
      'ALLOCATION_FAILURE',
    );
    for (const hash of handles) f.hsm.hashFinalize(0, { hash, length: 20 });
  });
});
