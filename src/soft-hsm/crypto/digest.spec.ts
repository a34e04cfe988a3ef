import { hmac as nobleHmac } from '@noble/hashes/hmac.js';
import { sha1 } from '@noble/hashes/legacy.js';
import { sha224, sha256, sha384, sha512, sha512_224, sha512_256 } from '@noble/hashes/sha2.js';
import vectors from '../../../test/vectors/digests.json';
import prefixes from '../../../test/vectors/rfc8017-digestinfo-prefixes.json';
import * as asn1js from 'asn1js';
import { thrown, toHex } from '../../../test/support/bytes';
import { seededRng } from '../../../test/soft-hsm/crypto/support';
import { DerReader } from '../../lib/der';
import { ArgumentError } from '../../lib/errors';
import { DIGESTS, digest, digestById, digestByName, hmac, startDigest, type DigestName } from './digest';
import { rsaDigestInfo } from './signing';

const noble = { sha1, sha224, sha256, 'sha512-224': sha512_224, 'sha512-256': sha512_256, sha384, sha512 };
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('libhal digest algorithm table (§4.2)', () => {
  it('has ids 1…7 in libhal’s order with their digest lengths', () => {
    expect(DIGESTS.map((d) => [d.id, d.name, d.digestLength])).toEqual([
      [1, 'sha1', 20],
      [2, 'sha224', 28],
      [3, 'sha256', 32],
      [4, 'sha512-224', 28],
      [5, 'sha512-256', 32],
      [6, 'sha384', 48],
      [7, 'sha512', 64],
    ]);
  });

  it.each([0, 8, -1])('id %i is BAD_ARGUMENTS', (id) => {
    expect(thrown(() => digestById(id))).toBeInstanceOf(ArgumentError);
  });

  it.each(DIGESTS.map((d) => [d.name, d] as const))(
    '%s: the OID encodes as asn1js does and reads back',
    (_name, d) => {
      const r = DerReader.of(d.algorithmIdentifier).sequence('alg');
      expect(r.oid('oid')).toBe(d.oid);
      const theirs = new Uint8Array(new asn1js.ObjectIdentifier({ value: d.oid }).toBER(false));
      expect(toHex(d.algorithmIdentifier)).toBe(
        '30' + (theirs.length + 2).toString(16).padStart(2, '0') + toHex(theirs) + '0500',
      );
    },
  );

  it('SHA-224 reports SHA256 from HASH_GET_ALGORITHM, the others themselves', () => {
    expect(DIGESTS.map((d) => d.reportedId)).toEqual([1, 3, 3, 4, 5, 6, 7]);
  });

  describe.each(prefixes.cases)(
    '$name: AlgorithmIdentifier and DigestInfo (RFC 8017 §9.2 note 1)',
    ({ id, name, prefix }) => {
      it('AlgorithmIdentifier plus the OCTET STRING header is the RFC prefix', () => {
        const alg = digestById(id);
        expect(alg.name).toBe(name);
        const header = toHex(Uint8Array.of(0x04, alg.digestLength));
        // prefix = 30 L <AlgorithmIdentifier> 04 len
        expect(prefix.slice(4)).toBe(toHex(alg.algorithmIdentifier) + header);
      });
      it('rsaDigestInfo is the prefix followed by the digest', () => {
        const alg = digestById(id);
        const d = seededRng(name)(alg.digestLength);
        expect(toHex(rsaDigestInfo(alg, d))).toBe(prefix + toHex(d));
      });
    },
  );

  describe.each(vectors.hash)('$name "abc"', ({ name, message, digest: expected }) => {
    const alg = digestByName(name as DigestName);
    it('matches FIPS 180-4 and noble', () => {
      expect(toHex(digest(alg, utf8(message)))).toBe(expected);
      expect(toHex(noble[alg.name](utf8(message)))).toBe(expected);
    });
    it('gives the same result fed in pieces', () => {
      const ctx = startDigest(alg);
      for (const ch of message) ctx.update(utf8(ch));
      expect(toHex(ctx.finish())).toBe(expected);
    });
  });

  describe.each(vectors.hmac)('HMAC-$name', ({ name, key, message, mac }) => {
    const alg = digestByName(name as DigestName);
    it('matches the RFC 2202 / RFC 4231 vector, one-shot and incremental', () => {
      expect(toHex(hmac(alg, utf8(key), utf8(message)))).toBe(mac);
      const ctx = startDigest(alg, utf8(key));
      ctx.update(utf8(message.slice(0, 5)));
      ctx.update(utf8(message.slice(5)));
      expect(toHex(ctx.finish())).toBe(mac);
    });
  });

  it.each(DIGESTS.map((d) => [d.name, d] as const))(
    'HMAC-%s agrees with noble for long keys',
    (_name, alg) => {
      const rng = seededRng(`hmac ${alg.name}`);
      const key = rng(alg.blockLength + 13);
      const data = rng(300);
      expect(toHex(hmac(alg, key, data))).toBe(toHex(nobleHmac(noble[alg.name], key, data)));
    },
  );
});
