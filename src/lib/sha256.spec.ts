import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import vectors from '../../test/vectors/digests.json';
import { toHex } from '../../test/support/bytes';
import { sha256, sha256Hex, sha256Parts } from './sha256';

const abc = vectors.hash.find((v) => v.name === 'sha256');
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('SHA-256 (FIPS 180-4)', () => {
  it('matches the FIPS 180-4 "abc" example in every form', () => {
    expect(abc).toBeDefined();
    const message = utf8(abc?.message ?? '');
    expect(toHex(sha256(message))).toBe(abc?.digest);
    expect(sha256Hex(message)).toBe(abc?.digest);
    expect(toHex(sha256Parts(utf8('a'), utf8(''), utf8('bc')))).toBe(abc?.digest);
  });

  it.each([0, 1, 55, 56, 64, 1000])('agrees with noble on %i bytes, split anywhere', (n) => {
    const data = Uint8Array.from({ length: n }, (_, i) => (i * 31 + 7) & 0xff);
    const expected = toHex(nobleSha256(data));
    expect(toHex(sha256(data))).toBe(expected);
    for (const cut of [0, n >> 1, n]) {
      expect(toHex(sha256Parts(data.subarray(0, cut), data.subarray(cut)))).toBe(expected);
    }
  });

  it('returns a digest with a buffer of its own, so wiping it touches nothing else', () => {
    const d = sha256(utf8('x'));
    expect([d.byteOffset, d.buffer.byteLength]).toEqual([0, 32]);
  });
});
