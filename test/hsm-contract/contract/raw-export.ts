/**
 * EXPORT_RAW / IMPORT_RAW (§9.2): the blob is the key wrapped under the master KEK, so it comes
 * back on the same HSM and on a peer with the same KEK, and nowhere else; flags and attributes
 * are not in it. `probeRawExport` tells firmware with and without the calls apart.
 */
import { verify as nodeVerify } from 'node:crypto';
import { Curve } from '../../../src/hsm-adapter/constants';
import { DS, EXPORTABLE, statusOf, TAG_ATTRIBUTE, TOKEN, type ContractContext } from './context';
import { sha, spkiKey } from './crypto';

const MESSAGE = Buffer.from('raw export contract message');
const KEYWRAP_STATUSES = ['KEYWRAP_BAD_MAGIC', 'KEYWRAP_BAD_LENGTH', 'KEYWRAP_BAD_PADDING'];

export function rawExportContract(ctx: ContractContext): void {
  describe('EXPORT_RAW / IMPORT_RAW', () => {
    it('round-trips a key through delete on the same HSM and onto a peer with the same KEK', async () => {
      const a = await ctx.client(ctx.a);
      const b = await ctx.client(ctx.b);
      const key = await a.generateEc(Curve.P384, DS | TOKEN | EXPORTABLE);
      await a.setAttributes(key.handle, [{ type: TAG_ATTRIBUTE, value: Buffer.from('not in the blob') }]);
      const spki = await a.getPublicKey(key.handle);
      const blob = await a.exportRaw(key.handle);
      // RFC 5649 output: a multiple of 8 bytes, at least 16 (§5.3 step 4).
      expect({ multipleOf8: blob.length % 8 === 0, atLeast16: blob.length >= 16 }).toEqual({
        multipleOf8: true,
        atLeast16: true,
      });
      await a.delete(key.handle);
      expect(await statusOf(() => a.open(key.uuid))).toEqual({ status: 'KEY_NOT_FOUND', rpc: 'PKEY_OPEN' });

      for (const [label, hsm] of [
        ['same HSM', a],
        ['peer with the same KEK', b],
      ] as const) {
        const back = await hsm.importRaw(blob, DS | TOKEN);
        expect({ label, fresh: back.uuid !== key.uuid }).toEqual({ label, fresh: true });
        expect({ label, spki: (await hsm.getPublicKey(back.handle)).toString('hex') }).toEqual({
          label,
          spki: spki.toString('hex'),
        });
        expect({ label, flags: await hsm.getKeyFlags(back.handle) }).toEqual({ label, flags: DS | TOKEN });
        expect({
          label,
          attributes: await statusOf(() => hsm.getAttributeLengths(back.handle, [TAG_ATTRIBUTE])),
        }).toEqual({
          label,
          attributes: { status: 'ATTRIBUTE_NOT_FOUND', rpc: 'PKEY_GET_ATTRIBUTES' },
        });
        const signature = await hsm.sign(back.handle, { data: sha('sha384', MESSAGE) });
        expect(
          nodeVerify('sha384', MESSAGE, { key: spkiKey(spki), dsaEncoding: 'ieee-p1363' }, signature),
        ).toBe(true);
      }
    });

    it('fails with a KEYWRAP status on an HSM with another KEK, changing nothing there', async () => {
      const a = await ctx.client(ctx.a);
      const c = await ctx.client(ctx.c);
      const key = await a.generateEc(Curve.P256, DS | TOKEN | EXPORTABLE);
      const blob = await a.exportRaw(key.handle);
      const before = await c.match();
      const refused = await statusOf(() => c.importRaw(blob, DS | TOKEN));
      expect(refused.rpc).toBe('IMPORT_RAW');
      expect(KEYWRAP_STATUSES).toContain(refused.status);
      expect(await c.match()).toEqual(before);

      const damaged = Buffer.from(blob);
      damaged[8] ^= 0x01;
      expect(KEYWRAP_STATUSES).toContain((await statusOf(() => a.importRaw(damaged, DS | TOKEN))).status);
    });

    it('refuses a key without EXPORTABLE with FORBIDDEN', async () => {
      const a = await ctx.client(ctx.a);
      const key = await a.generateEc(Curve.P256, DS | TOKEN);
      expect(await statusOf(() => a.exportRaw(key.handle))).toEqual({
        status: 'FORBIDDEN',
        rpc: 'EXPORT_RAW',
      });
    });
  });

  describe('probeRawExport (§9.2 probe)', () => {
    it('is true where EXPORT_RAW exists and false on firmware without it, whose calls fail RPC_BAD_FUNCTION', async () => {
      const a = await ctx.client(ctx.a);
      const d = await ctx.client(ctx.d);
      expect(await a.probeRawExport()).toBe(true);
      expect(await d.probeRawExport()).toBe(false);
      const key = await d.generateEc(Curve.P256, DS | TOKEN | EXPORTABLE);
      expect(await statusOf(() => d.exportRaw(key.handle))).toEqual({
        status: 'RPC_BAD_FUNCTION',
        rpc: 'EXPORT_RAW',
      });
      expect(await statusOf(() => d.importRaw(Buffer.alloc(40, 1), DS | TOKEN))).toEqual({
        status: 'RPC_BAD_FUNCTION',
        rpc: 'IMPORT_RAW',
      });
      expect(await d.getVersion()).toBe(0x01010100);
    });
  });
}
