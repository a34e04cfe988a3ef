/**
 * Hashsig keys in the soft HSM: keygen checks (docs/libhal-rpc.md §7.1), q persisted per signature
 * (§7.3), the transit export keyspace partition (§7.6) and raw export/import (§9.2).
 */
import { KeyType, LmotsType, LmsType } from '../../src/hsm-adapter/constants';
import { hashsigSpkiToRfc8554 } from '../../src/lib/spki';
import { hssSignatureIndexPath } from '../../src/lib/rfc8554';
import { hssVerify } from '../../src/soft-hsm/hashsig';
import { DS, EXPORTABLE, KE, KEK_B, TOKEN, freshHsm, login, statusOf, type Fresh } from './support';

const H5_W8: { hssLevels: number; lmsType: number; lmotsType: number } = {
  hssLevels: 1,
  lmsType: LmsType.SHA256_N32_H5,
  lmotsType: LmotsType.SHA256_N32_W8,
};
const SIG_MAX = 16000;

/** Leaf index (top tree) of an L = 1 signature. */
const leafOf = (publicKey: Uint8Array, signature: Uint8Array) =>
  hssSignatureIndexPath(publicKey, signature)[0].q;

describe('soft HSM hashsig', () => {
  let f: Fresh;
  beforeEach(async () => {
    f = await freshHsm();
    await login(f.hsm, 1);
  });
  afterEach(() => f.cleanup());

  const generate = (flags: number = DS | TOKEN | EXPORTABLE, params = H5_W8) =>
    f.hsm.pkeyGenerateHashsig(1, { session: 0, ...params, flags });
  const sign = (pkey: number, msg = 'm') =>
    f.hsm.pkeySign(1, { pkey, hash: 0, input: Buffer.from(msg), sigMax: SIG_MAX }).signature;
  const rawPublic = (pkey: number) =>
    Buffer.from(hashsigSpkiToRfc8554(f.hsm.pkeyGetPublicKey(1, { pkey, derMax: 200 }).der));

  it('checks keygen parameters and flags (§7.1)', async () => {
    const gen = (p: Partial<typeof H5_W8>, flags: number = DS | TOKEN) =>
      statusOf(() => f.hsm.pkeyGenerateHashsig(1, { session: 0, ...H5_W8, ...p, flags }));
    expect(await gen({ hssLevels: 0 })).toBe('BAD_ARGUMENTS');
    expect(await gen({ hssLevels: 9 })).toBe('BAD_ARGUMENTS');
    expect(await gen({ lmsType: 4 })).toBe('BAD_ARGUMENTS');
    expect(await gen({ lmotsType: 5 })).toBe('BAD_ARGUMENTS');
    expect(await gen({ lmotsType: LmotsType.SHA256_N32_W1 })).toBe('UNSUPPORTED_KEY');
    expect(await gen({ hssLevels: 2, lmotsType: LmotsType.SHA256_N32_W1 })).toBe('UNSUPPORTED_KEY');
    expect(await gen({ hssLevels: 4, lmotsType: LmotsType.SHA256_N32_W2 })).toBe('UNSUPPORTED_KEY'); // signature > 16384
    expect(await gen({}, DS)).toBe('FORBIDDEN');
    expect(await gen({}, TOKEN)).toBe('FORBIDDEN');
    expect(await gen({}, DS | TOKEN | 0x40)).toBe('BAD_ARGUMENTS');
  });

  it('signs RFC 8554 signatures that verify under its public key, one fresh leaf each', async () => {
    const { pkey } = generate(DS | TOKEN, { ...H5_W8, lmotsType: LmotsType.SHA256_N32_W4 });
    expect(f.hsm.pkeyGetKeyType(1, { pkey }).type).toBe(KeyType.HASHSIG_PRIVATE);
    const pub = rawPublic(pkey);
    const s0 = sign(pkey, 'zero');
    const s1 = sign(pkey, 'one');
    expect(s0).toHaveLength(2352); // L1/H5/W4 (§7.1)
    expect(hssVerify(pub, Buffer.from('zero'), s0)).toBe(true);
    expect([leafOf(pub, s0), leafOf(pub, s1)]).toEqual([0, 1]);
    f.hsm.pkeyVerify(1, { pkey, hash: 0, input: Buffer.from('one'), signature: s1 });
    const loaded = f.hsm.pkeyLoad(1, {
      session: 0,
      der: f.hsm.pkeyGetPublicKey(1, { pkey, derMax: 200 }).der,
      flags: DS,
    });
    f.hsm.pkeyVerify(1, { pkey: loaded.pkey, hash: 0, input: Buffer.from('zero'), signature: s0 });
    expect(
      await statusOf(() =>
        f.hsm.pkeyVerify(1, { pkey: loaded.pkey, hash: 0, input: Buffer.from('two'), signature: s0 }),
      ),
    ).toBe('INVALID_SIGNATURE');
    expect(
      await statusOf(() => f.hsm.pkeySign(1, { pkey, hash: 0, input: Buffer.from('x'), sigMax: 2351 })),
    ).toBe('RESULT_TOO_LONG');
  });

  it('persists q before returning each signature: a restart continues after the last leaf', () => {
    const { pkey, name } = generate();
    const pub = rawPublic(pkey);
    const before = [sign(pkey), sign(pkey), sign(pkey)].map((s) => leafOf(pub, s));
    f.reopen();
    return login(f.hsm, 1).then(() => {
      const again = f.hsm.pkeyOpen(1, { session: 0, name }).pkey;
      expect(before).toEqual([0, 1, 2]);
      expect(leafOf(pub, sign(again))).toBe(3);
    });
  });

  it('signs 2^h times, then answers HASHSIG_KEY_EXHAUSTED', async () => {
    const { pkey } = generate(DS | TOKEN);
    for (let i = 0; i < 32; i++) sign(pkey);
    expect(await statusOf(() => sign(pkey))).toBe('HASHSIG_KEY_EXHAUSTED');
  });

  describe('raw export (§9.2)', () => {
    it('moves the remaining range into the blob and leaves the source unable to sign', async () => {
      const { pkey } = generate();
      const pub = rawPublic(pkey);
      sign(pkey);
      sign(pkey);
      const { blob } = f.hsm.exportRaw(1, { pkey, derMax: 5480 });
      expect(await statusOf(() => sign(pkey))).toBe('HASHSIG_KEY_EXHAUSTED');
      // Exporting again returns the same frozen range: the very same blob.
      expect(f.hsm.exportRaw(1, { pkey, derMax: 5480 }).blob.equals(blob)).toBe(true);
      // The same I is still active here until the source is deleted.
      expect(
        await statusOf(() => f.hsm.importRaw(1, { session: 0, blob, flags: DS | TOKEN | EXPORTABLE })),
      ).toBe('KEY_NAME_IN_USE');
      f.hsm.pkeyDelete(1, { pkey });
      const back = f.hsm.importRaw(1, { session: 0, blob, flags: DS | TOKEN | EXPORTABLE });
      expect(rawPublic(back.pkey).equals(pub)).toBe(true);
      expect(leafOf(pub, sign(back.pkey))).toBe(2);
    });

    it('needs EXPORTABLE, a logged-in creator and room for the blob; hashsig imports need DS and TOKEN', async () => {
      const plain = generate(DS | TOKEN).pkey;
      expect(await statusOf(() => f.hsm.exportRaw(1, { pkey: plain, derMax: 5480 }))).toBe('FORBIDDEN');
      const { pkey } = generate();
      expect(await statusOf(() => f.hsm.exportRaw(1, { pkey, derMax: 64 }))).toBe('RESULT_TOO_LONG');
      expect(leafOf(rawPublic(pkey), sign(pkey))).toBe(0); // a refused export changed nothing
      const { blob } = f.hsm.exportRaw(1, { pkey, derMax: 5480 });
      f.hsm.pkeyDelete(1, { pkey });
      expect(await statusOf(() => f.hsm.importRaw(1, { session: 0, blob, flags: DS }))).toBe('FORBIDDEN');
      f.hsm.logout(1);
      await login(f.hsm, 2);
      const other = f.hsm.pkeyGenerateHashsig(2, {
        session: 0,
        ...H5_W8,
        flags: DS | TOKEN | EXPORTABLE,
      }).pkey;
      f.hsm.logout(2);
      expect(await statusOf(() => f.hsm.exportRaw(2, { pkey: other, derMax: 5480 }))).toBe('FORBIDDEN');
    });
  });

  describe('transit export (§7.6)', () => {
    let dst: Fresh;
    beforeEach(async () => {
      dst = await freshHsm({ seed: 'dst', kek: KEK_B });
      await login(dst.hsm, 1);
    });
    afterEach(() => dst.cleanup());

    it('partitions the leaves: no leaf of an H5 key is used by both copies, all verify under one public key', async () => {
      const kekek = dst.hsm.pkeyGenerateRsa(1, {
        session: 0,
        keyBits: 1024,
        publicExponent: Buffer.from([1, 0, 1]),
        flags: KE,
      });
      const srcKekek = f.hsm.pkeyLoad(1, {
        session: 0,
        der: dst.hsm.pkeyGetPublicKey(1, { pkey: kekek.pkey, derMax: 500 }).der,
        flags: KE,
      });
      const { pkey } = generate();
      const pub = rawPublic(pkey);
      const first = [sign(pkey, 's0'), sign(pkey, 's1'), sign(pkey, 's2')];
      const blobs = f.hsm.pkeyExport(1, { pkey, kekek: srcKekek.pkey, pkcs8Max: 5480, kekMax: 512 });
      expect(f.hsm.pkeyGetKeyFlags(1, { pkey }).flags).toBe(DS | TOKEN | EXPORTABLE);
      const copy = dst.hsm.pkeyImport(1, {
        session: 0,
        kekek: kekek.pkey,
        pkcs8: blobs.pkcs8,
        kek: blobs.kek,
        flags: DS | TOKEN,
      });
      // A second import of the same copy is refused: a key with the same I is active there (§7.6).
      expect(
        await statusOf(() =>
          dst.hsm.pkeyImport(1, {
            session: 0,
            kekek: kekek.pkey,
            pkcs8: blobs.pkcs8,
            kek: blobs.kek,
            flags: DS | TOKEN,
          }),
        ),
      ).toBe('KEY_NAME_IN_USE');
      const drain = (hsm: Fresh['hsm'], key: number, tag: string): Buffer[] => {
        const out: Buffer[] = [];
        for (;;) {
          try {
            out.push(
              hsm.pkeySign(1, {
                pkey: key,
                hash: 0,
                input: Buffer.from(`${tag}${out.length}`),
                sigMax: SIG_MAX,
              }).signature,
            );
          } catch (error) {
            expect((error as { status?: string }).status).toBe('HASHSIG_KEY_EXHAUSTED');
            return out;
          }
        }
      };
      const sourceRest = drain(f.hsm, pkey, 'a');
      const copySigs = drain(dst.hsm, copy.pkey, 'b');
      const sourceLeaves = [...first, ...sourceRest].map((s) => leafOf(pub, s));
      const copyLeaves = copySigs.map((s) => leafOf(pub, s));
      // q = 3 at export: source keeps [3, 17), the copy gets [17, 32).
      expect(sourceLeaves).toEqual(Array.from({ length: 17 }, (_, i) => i));
      expect(copyLeaves).toEqual(Array.from({ length: 15 }, (_, i) => 17 + i));
      expect(sourceLeaves.filter((q) => copyLeaves.includes(q))).toEqual([]);
      copySigs.forEach((s, i) => expect(hssVerify(pub, Buffer.from(`b${i}`), s)).toBe(true));
      sourceRest.forEach((s, i) => expect(hssVerify(pub, Buffer.from(`a${i}`), s)).toBe(true));
      expect(
        await statusOf(() =>
          f.hsm.pkeyExport(1, { pkey, kekek: srcKekek.pkey, pkcs8Max: 5480, kekMax: 512 }),
        ),
      ).toBe('HASHSIG_KEY_EXHAUSTED');
    });
  });
});
