/** PKEY_MATCH paging and attributes (§3.3 "PKEY_MATCH", "GET_ATTRIBUTES"). */
import { Curve, KeyType } from '../../../src/hsm-adapter/constants';
import type { Hsm, KeyRef } from '../../../src/hsm-adapter';
import { DS, EXPORTABLE, freshTag, statusOf, TAG_ATTRIBUTE, TOKEN, type ContractContext } from './context';

async function taggedKeys(hsm: Hsm, n: number, flags: number, tag: Buffer): Promise<KeyRef[]> {
  const keys: KeyRef[] = [];
  for (let i = 0; i < n; i++) {
    const key = await hsm.generateEc(Curve.P256, flags);
    await hsm.setAttributes(key.handle, [{ type: TAG_ATTRIBUTE, value: tag }]);
    keys.push(key);
  }
  return keys;
}

const sorted = (names: string[]) => [...names].sort();

export function keystoreContract(ctx: ContractContext): void {
  describe('PKEY_MATCH', () => {
    it('follows every page, whatever the page size, in UUID order', async () => {
      const hsm = await ctx.client(ctx.a);
      const tag = freshTag('match');
      const keys = await taggedKeys(hsm, 7, DS | TOKEN, tag);
      const expected = sorted(keys.map((k) => k.uuid));
      const filter = { attributes: [{ type: TAG_ATTRIBUTE, value: tag }] };
      for (const pageSize of [1, 2, 3, 6, 7, 8, 64])
        expect({ pageSize, names: await hsm.match({ ...filter, pageSize }) }).toEqual({
          pageSize,
          names: expected,
        });
    });

    it('lists token keys, then this connection’s volatile keys, across the state change (§3.3 state 1 → 2)', async () => {
      const client = await ctx.client(ctx.a);
      await client.withConnection(async (hsm) => {
        const tag = freshTag('match-stores');
        const token = await taggedKeys(hsm, 3, DS | TOKEN, tag);
        const volatile = await taggedKeys(hsm, 3, DS, tag);
        const names = await hsm.match({ attributes: [{ type: TAG_ATTRIBUTE, value: tag }], pageSize: 2 });
        expect(names).toEqual([...sorted(token.map((k) => k.uuid)), ...sorted(volatile.map((k) => k.uuid))]);
        const tokenOnly = await hsm.match({
          attributes: [{ type: TAG_ATTRIBUTE, value: tag }],
          mask: TOKEN,
          flags: TOKEN,
        });
        expect(tokenOnly).toEqual(sorted(token.map((k) => k.uuid)));
      });
    });

    it('filters by type, curve and flags', async () => {
      const hsm = await ctx.client(ctx.a);
      const tag = freshTag('match-filters');
      const [p256] = await taggedKeys(hsm, 1, DS | TOKEN, tag);
      const [exportable] = await taggedKeys(hsm, 1, DS | TOKEN | EXPORTABLE, tag);
      const p384 = await hsm.generateEc(Curve.P384, DS | TOKEN);
      await hsm.setAttributes(p384.handle, [{ type: TAG_ATTRIBUTE, value: tag }]);
      const attributes = [{ type: TAG_ATTRIBUTE, value: tag }];
      expect(await hsm.match({ attributes, curve: Curve.P384 })).toEqual([p384.uuid]);
      expect(await hsm.match({ attributes, mask: EXPORTABLE, flags: EXPORTABLE })).toEqual([exportable.uuid]);
      expect(await hsm.match({ attributes, type: KeyType.EC_PRIVATE, curve: Curve.P256 })).toEqual(
        sorted([p256.uuid, exportable.uuid]),
      );
      expect(await hsm.match({ attributes, type: KeyType.RSA_PRIVATE })).toEqual([]);
    });
  });

  describe('attributes', () => {
    it('are set, read, sized and deleted (NIL), and absent ones are reported as such', async () => {
      const hsm = await ctx.client(ctx.a);
      const key = await hsm.generateEc(Curve.P256, DS | TOKEN);
      expect(await statusOf(() => hsm.getAttributeLengths(key.handle, [1]))).toEqual({
        status: 'ATTRIBUTE_NOT_FOUND',
        rpc: 'PKEY_GET_ATTRIBUTES',
      });
      await hsm.setAttributes(key.handle, [
        { type: 1, value: Buffer.from('a') },
        { type: 2, value: Buffer.from('bbbbb') },
        { type: 0x180, value: Buffer.alloc(300, 7) },
      ]);
      expect(await hsm.getAttributes(key.handle, [2, 1, 0x180])).toEqual([
        { type: 2, value: Buffer.from('bbbbb') },
        { type: 1, value: Buffer.from('a') },
        { type: 0x180, value: Buffer.alloc(300, 7) },
      ]);
      expect(await hsm.getAttributeLengths(key.handle, [1, 2, 3])).toEqual([
        { type: 1, length: 1 },
        { type: 2, length: 5 },
        { type: 3, length: 0 },
      ]);
      expect(await statusOf(() => hsm.getAttributes(key.handle, [1, 3]))).toEqual({
        status: 'ATTRIBUTE_NOT_FOUND',
        rpc: 'PKEY_GET_ATTRIBUTES',
      });

      await hsm.setAttributes(key.handle, [
        { type: 1, value: null },
        { type: 2, value: Buffer.from('cc') },
      ]);
      expect(await hsm.getAttributeLengths(key.handle, [1, 2])).toEqual([
        { type: 1, length: 0 },
        { type: 2, length: 2 },
      ]);
      const reopened = await hsm.open(key.uuid);
      expect(await hsm.getAttributes(reopened, [2])).toEqual([{ type: 2, value: Buffer.from('cc') }]);
    });
  });

  describe('handles', () => {
    it('close frees the handle only; delete removes the key (§3.3)', async () => {
      const hsm = await ctx.client(ctx.a);
      const key = await hsm.generateEc(Curve.P256, DS | TOKEN);
      const spki = await hsm.getPublicKey(key.handle);
      await hsm.close(key.handle);
      expect(await statusOf(() => hsm.getKeyType(key.handle))).toEqual({
        status: 'KEY_NOT_FOUND',
        rpc: 'PKEY_GET_KEY_TYPE',
      });
      const again = await hsm.open(key.uuid);
      expect((await hsm.getPublicKey(again)).equals(spki)).toBe(true);
      await hsm.delete(again);
      expect(await statusOf(() => hsm.open(key.uuid))).toEqual({ status: 'KEY_NOT_FOUND', rpc: 'PKEY_OPEN' });
    });
  });
}
