/**
 * The RPC dispatcher through the in-process transport: byte-exact replies, error headers, packet
 * pre-checks (docs/libhal-rpc.md §1.5, §3.1) and the raw-export switch (§9.2).
 */
import { RPC } from '../../src/hsm-adapter/codec';
import { HalStatus } from '../../src/hsm-adapter/errors';
import { inProcessTransport, type InProcessTransport } from '../../src/soft-hsm';
import { DS, EXPORTABLE, PIN, TOKEN, freshHsm, type Fresh } from './support';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

describe('soft HSM RPC dispatcher', () => {
  let f: Fresh;
  let rpc: InProcessTransport;
  beforeEach(async () => {
    f = await freshHsm();
    rpc = inProcessTransport(f.hsm);
  });
  afterEach(() => f.cleanup());

  it('answers GET_VERSION with 1.1.1.0, echoing function and client words', async () => {
    expect((await rpc(hex('00000000 0000002a'))).toString('hex')).toBe(
      '00000000' + '0000002a' + '00000000' + '01010100',
    );
  });

  it('answers an unknown function, and the DKS-only CHECK_TAMPER, with exactly the 12-byte header and status 30', async () => {
    expect((await rpc(hex('00000063 00000007 00000001'))).toString('hex')).toBe(
      '00000063' + '00000007' + '0000001e',
    );
    expect((await rpc(hex('00000042 00000007'))).toString('hex')).toBe('00000042' + '00000007' + '0000001e');
  });

  it('answers every failure with exactly the 12-byte header', async () => {
    const reply = await rpc(
      RPC.PKEY_SIGN.encodeRequest({ pkey: 0x1234, hash: 0, input: Buffer.alloc(32), sigMax: 64 }, 5),
    );
    expect(reply.toString('hex')).toBe('00000017' + '00000005' + '00000015');
    const login = await rpc(RPC.LOGIN.encodeRequest({ user: 1, pin: Buffer.from('wrong') }, 5));
    expect(login.toString('hex')).toBe('00000003' + '00000005' + '00000018');
  });

  it('answers truncated arguments with XDR_BUFFER_OVERFLOW and a key name of the wrong size with KEY_NAME_TOO_LONG', async () => {
    expect((await rpc(hex('00000001 00000000'))).readUInt32BE(8)).toBe(HalStatus.XDR_BUFFER_OVERFLOW);
    expect((await rpc(hex('0000000b 00000000 00000001 00000010 0102'))).readUInt32BE(8)).toBe(
      HalStatus.XDR_BUFFER_OVERFLOW,
    );
    const name15 = hex('0000000e 00000000 00000000 0000000f 00112233 44556677 8899aabb ccddee00');
    expect((await rpc(name15)).toString('hex')).toBe('0000000e' + '00000000' + '0000001f');
  });

  it('cannot answer a frame shorter than 8 bytes: the transport reports it for the connection to be dropped', async () => {
    await expect(rpc(hex('000000'))).rejects.toMatchObject({ kind: 'protocol' });
    expect((await rpc(hex('00000000 00000000'))).readUInt32BE(8)).toBe(0);
  });

  it('pre-checks caller-sized results against the 16384-byte packet (RPC_PACKET_OVERFLOW)', async () => {
    const random = (length: number) => rpc(RPC.GET_RANDOM.encodeRequest({ length }));
    expect((await random(16369)).readUInt32BE(8)).toBe(HalStatus.RPC_PACKET_OVERFLOW);
    const full = await random(16368);
    expect(full.readUInt32BE(8)).toBe(0);
    expect(full).toHaveLength(16384);
    expect((await random(0)).toString('hex')).toBe('00000001' + '00000000' + '00000000' + '00000000');
    const match = (resultMax: number) =>
      rpc(
        RPC.PKEY_MATCH.encodeRequest({
          session: 0,
          type: 0,
          curve: 0,
          mask: 0,
          flags: 0,
          attributes: [],
          state: 0,
          resultMax,
          previous: Buffer.alloc(16),
        }),
      );
    expect((await match(819)).readUInt32BE(8)).toBe(HalStatus.RPC_PACKET_OVERFLOW);
    expect((await match(818)).readUInt32BE(8)).toBe(0);
    expect((await match(0)).readUInt32BE(8)).toBe(HalStatus.BAD_ARGUMENTS);
    const exp = RPC.PKEY_EXPORT.encodeRequest({ pkey: 1, kekek: 2, pkcs8Max: 5480, kekMax: 10900 });
    expect((await rpc(exp)).readUInt32BE(8)).toBe(HalStatus.RPC_PACKET_OVERFLOW);
    const sig = RPC.PKEY_SIGN.encodeRequest({ pkey: 1, hash: 0, input: Buffer.alloc(1), sigMax: 16369 });
    expect((await rpc(sig)).readUInt32BE(8)).toBe(HalStatus.RPC_PACKET_OVERFLOW);
    const attrs = RPC.PKEY_GET_ATTRIBUTES.encodeRequest({ pkey: 1, types: [1, 2], bufferLen: 16353 });
    expect((await rpc(attrs)).readUInt32BE(8)).toBe(HalStatus.RPC_PACKET_OVERFLOW);
  });

  it('overwrites the client word like one muxd connection when given a handle, and logs it out on disconnect', async () => {
    const conn = inProcessTransport(f.hsm, { handle: 0xc0ffee });
    const login = await conn(RPC.LOGIN.encodeRequest({ user: 1, pin: Buffer.from(PIN) }, 0));
    expect(login.toString('hex')).toBe('00000003' + '00c0ffee' + '00000000');
    const gen = RPC.PKEY_GENERATE_EC.decodeResponse(
      await conn(RPC.PKEY_GENERATE_EC.encodeRequest({ session: 0, curve: 1, flags: DS })),
      {
        session: 0,
        curve: 1,
        flags: DS,
      },
    );
    const lenArgs = { pkey: gen.pkey };
    expect(
      RPC.PKEY_GET_PUBLIC_KEY_LEN.decodeResponse(
        await rpc(RPC.PKEY_GET_PUBLIC_KEY_LEN.encodeRequest(lenArgs)),
        lenArgs,
      ).length,
    ).toBe(91);
    await conn.disconnect();
    expect(
      RPC.PKEY_GET_PUBLIC_KEY_LEN.decodeResponse(
        await rpc(RPC.PKEY_GET_PUBLIC_KEY_LEN.encodeRequest(lenArgs)),
        lenArgs,
      ).length,
    ).toBe(0);
  });

  describe('raw export switch', () => {
    it('answers 32 and 33 with RPC_BAD_FUNCTION when raw export is off, whatever the arguments', async () => {
      f.reopen({ rawExport: false });
      const off = inProcessTransport(f.hsm);
      expect((await off(RPC.EXPORT_RAW.encodeRequest({ pkey: 0, derMax: 5480 }))).toString('hex')).toBe(
        '00000020' + '00000000' + '0000001e',
      );
      expect((await off(hex('00000021 00000000'))).toString('hex')).toBe(
        '00000021' + '00000000' + '0000001e',
      );
    });

    it('answers the probe (32, pkey 0) with KEY_NOT_FOUND when raw export is on, and round-trips a key', async () => {
      expect((await rpc(RPC.EXPORT_RAW.encodeRequest({ pkey: 0, derMax: 5480 }))).readUInt32BE(8)).toBe(
        HalStatus.KEY_NOT_FOUND,
      );
      await rpc(RPC.LOGIN.encodeRequest({ user: 1, pin: Buffer.from(PIN) }));
      const genArgs = { session: 0, curve: 1, flags: DS | TOKEN | EXPORTABLE };
      const key = RPC.PKEY_GENERATE_EC.decodeResponse(
        await rpc(RPC.PKEY_GENERATE_EC.encodeRequest(genArgs)),
        genArgs,
      );
      const exArgs = { pkey: key.pkey, derMax: 5480 };
      const { blob } = RPC.EXPORT_RAW.decodeResponse(await rpc(RPC.EXPORT_RAW.encodeRequest(exArgs)), exArgs);
      const imArgs = { session: 0, blob, flags: DS | TOKEN };
      const back = RPC.IMPORT_RAW.decodeResponse(await rpc(RPC.IMPORT_RAW.encodeRequest(imArgs)), imArgs);
      expect(back.name.equals(key.name)).toBe(false);
    });
  });
});
