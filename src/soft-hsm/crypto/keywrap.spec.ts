import { createCipheriv, createDecipheriv } from 'node:crypto';
import { aeskwp } from '@noble/ciphers/aes.js';
import vectors from '../../../test/vectors/rfc5649.json';
import { hex, thrown, toHex } from '../../../test/support/bytes';
import { seededRng } from '../../../test/soft-hsm/crypto/support';
import { ArgumentError } from '../../lib/errors';
import { KEK_LENGTH, KeywrapError, unwrapKey, wrapKey, wrappedLength } from './keywrap';

const AIV = Buffer.from('a65959a6', 'hex');
const nodeName = (kek: Uint8Array): string => `id-aes${kek.length * 8}-wrap-pad`;

function nodeWrap(kek: Uint8Array, plaintext: Uint8Array): Uint8Array {
  const c = createCipheriv(nodeName(kek), kek, AIV);
  return new Uint8Array(Buffer.concat([c.update(plaintext), c.final()]));
}

function nodeUnwrap(kek: Uint8Array, ciphertext: Uint8Array): Uint8Array {
  const d = createDecipheriv(nodeName(kek), kek, AIV);
  return new Uint8Array(Buffer.concat([d.update(ciphertext), d.final()]));
}

/**
 * Builds a ciphertext whose unwrapped AIV block is `aiv` (8 bytes) followed by `body`, with
 * node:crypto only, so the failure cases do not depend on the code under test:
 * one AES-ECB block when body is 8 bytes (RFC 5649 §4.1), else RFC 3394 wrap with `aiv` as IV.
 */
function forge(kek: Uint8Array, aiv: Uint8Array, body: Uint8Array): Uint8Array {
  if (body.length === 8) {
    const c = createCipheriv('aes-256-ecb', kek, null).setAutoPadding(false);
    return new Uint8Array(Buffer.concat([c.update(Buffer.concat([aiv, body])), c.final()]));
  }
  const c = createCipheriv('id-aes256-wrap', kek, aiv);
  return new Uint8Array(Buffer.concat([c.update(body), c.final()]));
}

const aivWith = (magic: string, mli: number): Uint8Array => {
  const b = Buffer.alloc(8);
  b.write(magic, 'hex');
  b.writeUInt32BE(mli, 4);
  return new Uint8Array(b);
};

function keywrapKind(fn: () => unknown): string {
  const e = thrown(fn);
  if (!(e instanceof KeywrapError)) throw new Error(`expected KeywrapError, got ${String(e)}`);
  return e.kind;
}

describe('RFC 5649 key wrap with padding', () => {
  describe.each(vectors.cases)('$name', ({ kek, key, wrapped }) => {
    it('wraps to the published ciphertext', () => {
      expect(toHex(wrapKey(hex(kek), hex(key)))).toBe(wrapped);
    });
    it('unwraps the published ciphertext to the key', () => {
      expect(toHex(unwrapKey(hex(kek), hex(wrapped)))).toBe(key);
    });
    it('agrees with node:crypto id-aes192-wrap-pad', () => {
      expect(toHex(nodeWrap(hex(kek), hex(key)))).toBe(wrapped);
    });
  });

  describe('under an AES-256 KEK, for every plaintext length 1…72 and libhal’s 5480', () => {
    const rng = seededRng('keywrap lengths');
    const lengths = [...Array.from({ length: 72 }, (_, i) => i + 1), 5480];

    it.each(lengths)('length %i: wrap equals node:crypto and noble, unwrap inverts both', (m) => {
      const kek = rng(KEK_LENGTH);
      const plaintext = rng(m);
      const wrapped = wrapKey(kek, plaintext);
      expect(wrapped.length).toBe(wrappedLength(m));
      expect(wrapped.length).toBe((m + 15) & ~7);
      expect(toHex(wrapped)).toBe(toHex(nodeWrap(kek, plaintext)));
      expect(toHex(wrapped)).toBe(toHex(aeskwp(kek).encrypt(plaintext)));
      expect(toHex(unwrapKey(kek, wrapped))).toBe(toHex(plaintext));
      expect(toHex(nodeUnwrap(kek, wrapped))).toBe(toHex(plaintext));
    });
  });

  describe('when unwrapping fails', () => {
    const rng = seededRng('keywrap failures');
    const kek = rng(32);

    it.each([0, 8, 15, 17, 23, 31])('a %i-byte ciphertext is KEYWRAP_BAD_LENGTH', (len) => {
      expect(keywrapKind(() => unwrapKey(kek, rng(len)))).toBe('bad-length');
    });

    it('a wrong KEK is KEYWRAP_BAD_MAGIC, status 9', () => {
      const e = thrown(() => unwrapKey(rng(32), wrapKey(kek, rng(40))));
      expect(e).toBeInstanceOf(KeywrapError);
      expect(e).toMatchObject({ kind: 'bad-magic', halStatus: 9 });
    });

    it.each([7, 16, 40])('flipping any bit of a wrap of %i bytes is KEYWRAP_BAD_MAGIC', (m) => {
      const wrapped = wrapKey(kek, rng(m));
      for (let i = 0; i < wrapped.length; i++) {
        const tampered = wrapped.slice();
        tampered[i] ^= 1 << (i % 8);
        expect([i, keywrapKind(() => unwrapKey(kek, tampered))]).toEqual([i, 'bad-magic']);
      }
    });

    it.each([
      ['single block, MLI 0', aivWith('a65959a6', 0), 8],
      ['single block, MLI 9', aivWith('a65959a6', 9), 8],
      ['two semiblocks, MLI 8', aivWith('a65959a6', 8), 16],
      ['two semiblocks, MLI 17', aivWith('a65959a6', 17), 16],
      ['five semiblocks, MLI 2^32−1', aivWith('a65959a6', 0xffffffff), 40],
    ])(
      'an out-of-range length indicator (%s) is KEYWRAP_BAD_LENGTH, status 10',
      (_label, aiv, bodyLength) => {
        const e = thrown(() => unwrapKey(kek, forge(kek, aiv, rng(bodyLength))));
        expect(e).toMatchObject({ kind: 'bad-length', halStatus: 10 });
      },
    );

    it.each([
      ['single block, MLI 5', 5, 8],
      ['three semiblocks, MLI 17', 17, 24],
      ['three semiblocks, MLI 23', 23, 24],
    ])('a non-zero pad byte (%s) is KEYWRAP_BAD_PADDING, status 11', (_label, mli, bodyLength) => {
      const body = rng(bodyLength);
      body[bodyLength - 1] |= 0x01;
      const e = thrown(() => unwrapKey(kek, forge(kek, aivWith('a65959a6', mli), body)));
      expect(e).toMatchObject({ kind: 'bad-padding', halStatus: 11 });
    });

    it('a forged body with zero padding and a valid MLI unwraps (the forger is sound)', () => {
      const body = new Uint8Array(24);
      body.set(rng(17));
      expect(toHex(unwrapKey(kek, forge(kek, aivWith('a65959a6', 17), body)))).toBe(
        toHex(body.subarray(0, 17)),
      );
    });

    it('an RFC 3394 (KW, not KWP) ciphertext is KEYWRAP_BAD_MAGIC', () => {
      expect(keywrapKind(() => unwrapKey(kek, forge(kek, hex('a6a6a6a6a6a6a6a6'), rng(16))))).toBe(
        'bad-magic',
      );
    });
  });

  describe('input checks', () => {
    it.each([0, 8, 31, 33])('a %i-byte KEK is BAD_ARGUMENTS', (len) => {
      expect(thrown(() => wrapKey(new Uint8Array(len), new Uint8Array(8)))).toBeInstanceOf(ArgumentError);
      expect(thrown(() => unwrapKey(new Uint8Array(len), new Uint8Array(16)))).toBeInstanceOf(ArgumentError);
    });

    it('an empty plaintext is BAD_ARGUMENTS', () => {
      expect(thrown(() => wrapKey(new Uint8Array(32), new Uint8Array(0)))).toMatchObject({
        field: 'plaintext',
        halStatus: 1,
      });
    });

    it('unwrap leaves the caller’s ciphertext untouched', () => {
      const kek = new Uint8Array(32).fill(7);
      const wrapped = wrapKey(kek, new Uint8Array(20).fill(9));
      const copy = wrapped.slice();
      unwrapKey(kek, wrapped);
      expect(toHex(wrapped)).toBe(toHex(copy));
    });
  });
});
