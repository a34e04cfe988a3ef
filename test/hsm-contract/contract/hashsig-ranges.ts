/**
 * Hashsig keys change with every signature, so moving one must never let two copies sign with the
 * same leaf: transit export splits the remaining range (§7.6), raw export hands the whole range
 * to the blob and leaves the source unable to sign (§9.2). Leaf indices are read from the
 * signatures themselves (RFC 8554 §5.4 q), and every signature is checked by the independent
 * verifier under the one public key both copies share.
 */
import { LmotsType, LmsType } from '../../../src/hsm-adapter/constants';
import type { Hsm, KeyRef } from '../../../src/hsm-adapter';
import { rfc8554LeafIndices, rfc8554Verify } from '../../hashsig/rfc8554-verify';
import { DS, EXPORTABLE, KE, statusOf, TOKEN, type ContractContext } from './context';
import { hashsigRawPublicKey } from './crypto';

const H5_LEAVES = 32;

function generate(hsm: Hsm): Promise<KeyRef> {
  return hsm.generateHashsig(1, LmsType.SHA256_N32_H5, LmotsType.SHA256_N32_W8, DS | TOKEN | EXPORTABLE);
}

/** Signs with `key` until the HSM says HASHSIG_KEY_EXHAUSTED; every signature must verify under `pub`. */
async function signUntilExhausted(hsm: Hsm, key: KeyRef, pub: Buffer, label: string): Promise<number[]> {
  const leaves: number[] = [];
  for (let i = 0; i <= H5_LEAVES; i++) {
    const message = Buffer.from(`${label} ${i}`);
    let signature: Buffer;
    try {
      signature = await hsm.sign(key.handle, { data: message });
    } catch (error) {
      expect(error).toMatchObject({ status: 'HASHSIG_KEY_EXHAUSTED', code: 48, rpc: 'PKEY_SIGN' });
      return leaves;
    }
    expect({ label, i, valid: rfc8554Verify(pub, message, signature) }).toEqual({ label, i, valid: true });
    leaves.push(...rfc8554LeafIndices(signature));
  }
  throw new Error(`${label}: signed more than ${H5_LEAVES} times with an H5 key`);
}

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

export function hashsigRangeContract(ctx: ContractContext): void {
  describe('hashsig transit export (§7.6)', () => {
    it('splits the remaining range so that no leaf is used twice across both copies', async () => {
      const a = await ctx.client(ctx.a);
      const b = await ctx.client(ctx.b);
      const key = await generate(a);
      const pub = hashsigRawPublicKey(await a.getPublicKey(key.handle));
      const early: number[] = [];
      for (const text of ['one', 'two', 'three'])
        early.push(...rfc8554LeafIndices(await a.sign(key.handle, { data: Buffer.from(text) })));
      expect(early).toEqual([0, 1, 2]);

      await b.withConnection(async (bPinned) => {
        const kekek = await bPinned.generateRsa(1024, 65537, KE);
        const kekekSpki = await bPinned.getPublicKey(kekek.handle);
        const exported = await a.withConnection(async (aPinned) => {
          const loaded = await aPinned.load(kekekSpki, KE);
          return aPinned.export(key.handle, loaded.handle);
        });
        expect(await a.getKeyFlags(key.handle)).toBe(DS | TOKEN | EXPORTABLE);
        const copy = await bPinned.import(kekek.handle, exported.pkcs8, exported.kek, DS | TOKEN);
        expect(hashsigRawPublicKey(await bPinned.getPublicKey(copy.handle)).equals(pub)).toBe(true);

        // q = 3, q_end = 32: the source keeps [3, 17), the copy gets [17, 32).
        const sourceLeaves = await signUntilExhausted(a, key, pub, 'source');
        const copyLeaves = await signUntilExhausted(bPinned, copy, pub, 'copy');
        expect({ sourceLeaves, copyLeaves }).toEqual({
          sourceLeaves: range(3, 17),
          copyLeaves: range(17, 32),
        });
        const all = [...early, ...sourceLeaves, ...copyLeaves];
        expect(new Set(all).size).toBe(all.length);
        expect([...all].sort((x, y) => x - y)).toEqual(range(0, H5_LEAVES));
      });
    });

    it('refuses to import a copy back into the HSM where the key is still active (KEY_NAME_IN_USE)', async () => {
      const client = await ctx.client(ctx.a);
      await client.withConnection(async (a) => {
        const key = await generate(a);
        const kekek = await a.generateRsa(1024, 65537, KE);
        const exported = await a.export(key.handle, kekek.handle);
        expect(
          await statusOf(() => a.import(kekek.handle, exported.pkcs8, exported.kek, DS | TOKEN)),
        ).toEqual({
          status: 'KEY_NAME_IN_USE',
          rpc: 'PKEY_IMPORT',
        });
      });
    });

    it('fails cleanly on an exhausted key, and the connection keeps working', async () => {
      const hsm = await ctx.client(ctx.a, { poolSize: 1 });
      const key = await generate(hsm);
      const pub = hashsigRawPublicKey(await hsm.getPublicKey(key.handle));
      expect(await signUntilExhausted(hsm, key, pub, 'all')).toEqual(range(0, H5_LEAVES));
      expect(await statusOf(() => hsm.sign(key.handle, { data: Buffer.from('one more') }))).toEqual({
        status: 'HASHSIG_KEY_EXHAUSTED',
        rpc: 'PKEY_SIGN',
      });
      const kekek = (await hsm.generateRsa(1024, 65537, KE | TOKEN)).handle;
      expect(await statusOf(() => hsm.export(key.handle, kekek))).toEqual({
        status: 'HASHSIG_KEY_EXHAUSTED',
        rpc: 'PKEY_EXPORT',
      });
      expect(await hsm.getVersion()).toBe(0x01010100);
    });
  });

  describe('hashsig raw export (§9.2)', () => {
    it('freezes the source, hands the whole remaining range to the blob, and the blob signs on from there', async () => {
      const a = await ctx.client(ctx.a);
      const key = await generate(a);
      const pub = hashsigRawPublicKey(await a.getPublicKey(key.handle));
      expect(rfc8554LeafIndices(await a.sign(key.handle, { data: Buffer.from('before') }))).toEqual([0]);

      const blob = await a.exportRaw(key.handle);
      expect(await statusOf(() => a.sign(key.handle, { data: Buffer.from('after') }))).toEqual({
        status: 'HASHSIG_KEY_EXHAUSTED',
        rpc: 'PKEY_SIGN',
      });
      // A second raw export of the frozen key gives the same range, hence the same RFC 5649 blob.
      expect((await a.exportRaw(key.handle)).equals(blob)).toBe(true);

      await a.delete(key.handle);
      const back = await a.importRaw(blob, DS | TOKEN);
      expect(hashsigRawPublicKey(await a.getPublicKey(back.handle)).equals(pub)).toBe(true);
      const message = Buffer.from('signed by the re-imported key');
      const signature = await a.sign(back.handle, { data: message });
      expect(rfc8554LeafIndices(signature)).toEqual([1]);
      expect(rfc8554Verify(pub, message, signature)).toBe(true);
    });
  });
}
