/**
 * Generate, sign, verify (§3.3 "Sign/verify input rule", §7): every signature is checked by
 * node:crypto against the key's SPKI, hashsig signatures by the independent RFC 8554 verifier.
 */
import { verify as nodeVerify } from 'node:crypto';
import { Curve, DigestAlg, KeyType, LmotsType, LmsType } from '../../../src/hsm-adapter/constants';
import { rfc8554LeafIndices, rfc8554Verify } from '../../hashsig/rfc8554-verify';
import { DS, TOKEN, statusOf, type ContractContext } from './context';
import { hashsigRawPublicKey, sha, sha256DigestInfo, spkiKey } from './crypto';

const MESSAGE = Buffer.from('keyledger contract message');

const EC_CASES = [
  { curve: Curve.P256, name: 'P-256', nodeCurve: 'prime256v1', hash: 'sha256', sigLength: 64 },
  { curve: Curve.P384, name: 'P-384', nodeCurve: 'secp384r1', hash: 'sha384', sigLength: 96 },
  { curve: Curve.P521, name: 'P-521', nodeCurve: 'secp521r1', hash: 'sha512', sigLength: 132 },
] as const;

/** RFC 8554 HSS signature length for L=1 (§7.1): 4 + 8 + (4 + 32·(p+1)) + 32·h. */
const L1_H5_W8_SIG_LENGTH = 4 + 8 + (4 + 32 * 35) + 32 * 5;

export function signingContract(ctx: ContractContext): void {
  describe('RSA-1024', () => {
    it('signs DigestInfo(SHA-256) exactly as node:crypto RSASSA-PKCS1-v1_5 verifies it', async () => {
      const hsm = await ctx.client(ctx.a);
      const key = await hsm.generateRsa(1024, 65537, DS);
      expect([
        await hsm.getKeyType(key.handle),
        await hsm.getKeyCurve(key.handle),
        await hsm.getKeyFlags(key.handle),
      ]).toEqual([KeyType.RSA_PRIVATE, Curve.NONE, DS]);
      const pub = spkiKey(await hsm.getPublicKey(key.handle));
      expect(pub.asymmetricKeyType).toBe('rsa');
      expect(pub.asymmetricKeyDetails).toMatchObject({ modulusLength: 1024, publicExponent: 65537n });

      const signature = await hsm.sign(key.handle, { data: sha256DigestInfo(MESSAGE) });
      expect(signature.length).toBe(128);
      expect(nodeVerify('sha256', MESSAGE, pub, signature)).toBe(true);
      expect(await hsm.verify(key.handle, { data: sha256DigestInfo(MESSAGE) }, signature)).toBe(true);
      const tampered = Buffer.from(signature);
      tampered[5] ^= 0x01;
      expect(await hsm.verify(key.handle, { data: sha256DigestInfo(MESSAGE) }, tampered)).toBe(false);
    });

    it('signs a hash handle as the same DigestInfo (deterministic PKCS#1 v1.5: identical bytes)', async () => {
      const client = await ctx.client(ctx.a);
      await client.withConnection(async (hsm) => {
        const key = await hsm.generateRsa(1024, 65537, DS);
        const byData = await hsm.sign(key.handle, { data: sha256DigestInfo(MESSAGE) });
        const hash = await hsm.hashInitialize(DigestAlg.SHA256);
        await hsm.hashUpdate(hash, MESSAGE);
        expect((await hsm.sign(key.handle, { hash })).equals(byData)).toBe(true);
      });
    });
  });

  describe('loaded public keys (§3.3: verify needs DIGITALSIGNATURE)', () => {
    it('verify what the private key signed, and refuse without DIGITALSIGNATURE', async () => {
      const hsm = await ctx.client(ctx.a);
      const key = await hsm.generateEc(Curve.P256, DS);
      const spki = await hsm.getPublicKey(key.handle);
      const digest = sha('sha256', MESSAGE);
      const signature = await hsm.sign(key.handle, { data: digest });
      const verifier = await hsm.load(spki, DS);
      expect(await hsm.getKeyType(verifier.handle)).toBe(KeyType.EC_PUBLIC);
      expect((await hsm.getPublicKey(verifier.handle)).equals(spki)).toBe(true);
      expect(await hsm.verify(verifier.handle, { data: digest }, signature)).toBe(true);
      const unusable = await hsm.load(spki, 0);
      expect(await statusOf(() => hsm.verify(unusable.handle, { data: digest }, signature))).toEqual({
        status: 'FORBIDDEN',
        rpc: 'PKEY_VERIFY',
      });
      // A public key cannot sign: some status error, whichever libhal picks.
      expect((await statusOf(() => hsm.sign(verifier.handle, { data: digest }))).rpc).toBe('PKEY_SIGN');
    });

    it('refuses a signature that does not fit sig_max with RESULT_TOO_LONG', async () => {
      const hsm = await ctx.client(ctx.a);
      const key = await hsm.generateRsa(1024, 65537, DS);
      expect(
        await statusOf(() => hsm.sign(key.handle, { data: sha256DigestInfo(MESSAGE) }, { sigMax: 127 })),
      ).toEqual({
        status: 'RESULT_TOO_LONG',
        rpc: 'PKEY_SIGN',
      });
      expect((await hsm.sign(key.handle, { data: sha256DigestInfo(MESSAGE) }, { sigMax: 128 })).length).toBe(
        128,
      );
    });
  });

  describe.each(EC_CASES)('ECDSA $name', ({ curve, nodeCurve, hash, sigLength }) => {
    it('signs the digest as raw r‖s that node:crypto verifies with ieee-p1363 encoding', async () => {
      const hsm = await ctx.client(ctx.a);
      const key = await hsm.generateEc(curve, DS | TOKEN);
      expect([
        await hsm.getKeyType(key.handle),
        await hsm.getKeyCurve(key.handle),
        await hsm.getKeyFlags(key.handle),
      ]).toEqual([KeyType.EC_PRIVATE, curve, DS | TOKEN]);
      const pub = spkiKey(await hsm.getPublicKey(key.handle));
      expect(pub.asymmetricKeyDetails).toEqual({ namedCurve: nodeCurve });

      const digest = sha(hash, MESSAGE);
      const signature = await hsm.sign(key.handle, { data: digest });
      expect(signature.length).toBe(sigLength);
      expect(nodeVerify(hash, MESSAGE, { key: pub, dsaEncoding: 'ieee-p1363' }, signature)).toBe(true);
      expect(await hsm.verify(key.handle, { data: digest }, signature)).toBe(true);
      expect(
        await hsm.verify(key.handle, { data: sha(hash, Buffer.from('another message')) }, signature),
      ).toBe(false);
    });
  });

  describe('hashsig L1/H5/W8', () => {
    it('signs messages that verify on the HSM and with an independent RFC 8554 verifier, one leaf each', async () => {
      const hsm = await ctx.client(ctx.a);
      const key = await hsm.generateHashsig(1, LmsType.SHA256_N32_H5, LmotsType.SHA256_N32_W8, DS | TOKEN);
      expect(await hsm.getKeyType(key.handle)).toBe(KeyType.HASHSIG_PRIVATE);
      const raw = hashsigRawPublicKey(await hsm.getPublicKey(key.handle));
      expect(raw.subarray(0, 12).toString('hex')).toBe('000000010000000500000004');

      const leaves: number[] = [];
      for (const text of ['first', 'second', 'third']) {
        const message = Buffer.from(text);
        const signature = await hsm.sign(key.handle, { data: message });
        expect(signature.length).toBe(L1_H5_W8_SIG_LENGTH);
        expect(rfc8554Verify(raw, message, signature)).toBe(true);
        expect(rfc8554Verify(raw, Buffer.from(`${text}!`), signature)).toBe(false);
        expect(await hsm.verify(key.handle, { data: message }, signature)).toBe(true);
        leaves.push(...rfc8554LeafIndices(signature));
      }
      expect(leaves).toEqual([0, 1, 2]);

      const verifier = await hsm.load(await hsm.getPublicKey(key.handle), DS);
      expect(await hsm.getKeyType(verifier.handle)).toBe(KeyType.HASHSIG_PUBLIC);
      const last = await hsm.sign(key.handle, { data: MESSAGE });
      expect(await hsm.verify(verifier.handle, { data: MESSAGE }, last)).toBe(true);
      expect(await hsm.verify(verifier.handle, { data: Buffer.from('other') }, last)).toBe(false);
    });

    it('refuses a key without TOKEN with FORBIDDEN (§7.1)', async () => {
      const hsm = await ctx.client(ctx.a);
      expect(
        await statusOf(() => hsm.generateHashsig(1, LmsType.SHA256_N32_H5, LmotsType.SHA256_N32_W8, DS)),
      ).toEqual({
        status: 'FORBIDDEN',
        rpc: 'PKEY_GENERATE_HASHSIG',
      });
    });
  });
}
