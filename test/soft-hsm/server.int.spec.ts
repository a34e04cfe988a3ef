/**
 * The soft HSM behind a real socket, behaving like cryptech_muxd (docs/libhal-rpc.md §1.3): handle per
 * connection written into every reply, LOGOUT on disconnect, tiny chunks discarded, a bad
 * connection dropped alone, never a crash.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { RPC, slipEncode } from '../../src/hsm-adapter/codec';
import { HalStatus } from '../../src/hsm-adapter/errors';
import { createSoftHsmState, startSoftHsmServer, type SoftHsmServer } from '../../src/soft-hsm';
import { makeTempDir, removeTempDir } from '../support/temp-dir';
import { within } from '../support/within';
import { SlipClient, clientWord, statusWord } from './slip-client';
import { DS, KEK_A, PIN, seededRng } from './support';

const CLOCK_MS = 1_700_000_000_123;
const FIRST_HANDLE = (1_700_000_000 * 16) % 2 ** 32;

describe('soft HSM server', () => {
  let dir: string;
  let server: SoftHsmServer;
  const clients: SlipClient[] = [];
  const logs: string[] = [];

  async function start(extra: { rawExport?: boolean; tcp?: boolean } = {}) {
    server = await startSoftHsmServer({
      stateDir: path.join(dir, 'state'),
      ...(extra.tcp ? { host: '127.0.0.1', port: 0 } : { socketPath: path.join(dir, 'rpc.sock') }),
      pinDelayMs: 0,
      rawExport: extra.rawExport,
      clock: () => CLOCK_MS,
      rng: seededRng('server'),
      log: (line) => logs.push(line),
    });
  }

  async function connect(): Promise<SlipClient> {
    const a = server.address;
    const c = await SlipClient.connect(a.type === 'unix' ? { path: a.path } : { host: a.host, port: a.port });
    clients.push(c);
    return c;
  }

  beforeEach(async () => {
    dir = await makeTempDir('soft-hsm-server-');
    createSoftHsmState(path.join(dir, 'state'), { kek: KEK_A, pin: PIN, rng: seededRng('init') });
    logs.length = 0;
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) c.socket.destroy();
    await server?.close();
    await removeTempDir(dir);
  });

  it('listens on a mode-0600 Unix socket and removes it on close', async () => {
    await start();
    const sock = path.join(dir, 'rpc.sock');
    expect(fs.statSync(sock).isSocket()).toBe(true);
    expect(fs.statSync(sock).mode & 0o777).toBe(0o600);
    await server.close();
    expect(fs.existsSync(sock)).toBe(false);
  });

  it('gives each connection its own handle from unix_time << 4 and writes it into every reply', async () => {
    await start();
    const a = await connect();
    const b = await connect();
    const va = await a.call(RPC.GET_VERSION.encodeRequest({}, 0));
    const vb = await b.call(RPC.GET_VERSION.encodeRequest({}, 0x55555555));
    expect(va.toString('hex')).toBe(
      '00000000' + FIRST_HANDLE.toString(16).padStart(8, '0') + '00000000' + '01010100',
    );
    expect(clientWord(vb)).toBe(FIRST_HANDLE + 1);
    // Logins are per handle: a logs in, b is still not logged in.
    expect(statusWord(await a.call(RPC.LOGIN.encodeRequest({ user: 1, pin: Buffer.from(PIN) })))).toBe(0);
    expect(statusWord(await a.call(RPC.IS_LOGGED_IN.encodeRequest({ user: 1 })))).toBe(0);
    expect(statusWord(await b.call(RPC.IS_LOGGED_IN.encodeRequest({ user: 1 })))).toBe(HalStatus.FORBIDDEN);
  });

  it('logs a connection out when it closes: its volatile keys are gone', async () => {
    await start();
    const a = await connect();
    const b = await connect();
    await a.call(RPC.LOGIN.encodeRequest({ user: 1, pin: Buffer.from(PIN) }));
    await b.call(RPC.LOGIN.encodeRequest({ user: 1, pin: Buffer.from(PIN) }));
    const genArgs = { session: 0, curve: 1, flags: DS };
    const key = RPC.PKEY_GENERATE_EC.decodeResponse(
      await a.call(RPC.PKEY_GENERATE_EC.encodeRequest(genArgs)),
      genArgs,
    );
    const sign = RPC.PKEY_SIGN.encodeRequest({
      pkey: key.pkey,
      hash: 0,
      input: Buffer.alloc(32, 1),
      sigMax: 64,
    });
    expect(statusWord(await b.call(sign))).toBe(0); // handles are global (§3.3)
    await a.close();
    await within(
      5000,
      'LOGOUT after disconnect',
      (async () => {
        while (statusWord(await b.call(sign)) === 0) await new Promise((r) => setTimeout(r, 10));
      })(),
    );
    expect(statusWord(await b.call(sign))).toBe(HalStatus.KEY_NOT_FOUND);
  });

  it('discards chunks shorter than 9 bytes, like muxd, and answers the frame after them', async () => {
    await start();
    const a = await connect();
    a.writeRaw(Buffer.from([0xc0, 0x15, 0xc0, 0x01, 0x02, 0x03, 0xc0]));
    const reply = await a.call(RPC.GET_VERSION.encodeRequest({}));
    expect(reply.readUInt32BE(12)).toBe(0x01010100);
  });

  it('drops only the connection that sends an oversized or unusable frame', async () => {
    await start();
    const good = await connect();
    const big = await connect();
    const short = await connect();
    big.writeRaw(Buffer.alloc(16385, 0x41));
    await within(5000, 'oversized frame drop', big.closed);
    // 4 escaped bytes: a 9-byte chunk muxd forwards, a 4-byte request nobody can answer.
    short.writeRaw(Buffer.from([0xc0, 0xdb, 0xdc, 0xdb, 0xdc, 0xdb, 0xdc, 0xdb, 0xdc, 0xc0]));
    await within(5000, 'short frame drop', short.closed);
    expect(statusWord(await good.call(RPC.GET_VERSION.encodeRequest({})))).toBe(0);
    expect(logs.some((l) => /dropping connection .*bad frame/.test(l))).toBe(true);
  });

  it('survives random garbage on many connections', async () => {
    await start();
    const rng = seededRng('garbage');
    for (let i = 0; i < 20; i++) {
      const c = await connect();
      const junk = Buffer.from(rng(2000 + i * 37));
      for (let j = 0; j < junk.length; j += 97) junk[j] = 0xc0;
      c.writeRaw(junk);
      c.writeRaw(slipEncode(randomBytes(8 + i)));
    }
    const ok = await connect();
    expect(statusWord(await ok.call(RPC.GET_VERSION.encodeRequest({})))).toBe(0);
  });

  it('answers requests of one connection in order, one at a time', async () => {
    await start();
    const a = await connect();
    const reqs = [1, 2, 3, 4, 5].map((n) => RPC.GET_RANDOM.encodeRequest({ length: n }));
    a.writeRaw(Buffer.concat(reqs.map((r) => slipEncode(r))));
    const lengths: number[] = [];
    for (let i = 0; i < 5; i++) lengths.push((await a.next()).readUInt32BE(12));
    expect(lengths).toEqual([1, 2, 3, 4, 5]);
  });

  it('answers an unknown function with status 30, and 32/33 with 30 when raw export is off', async () => {
    await start({ rawExport: false });
    const a = await connect();
    const unknown = await a.call(Buffer.from('0000004000000000', 'hex'));
    expect(unknown).toHaveLength(12);
    expect(statusWord(unknown)).toBe(HalStatus.RPC_BAD_FUNCTION);
    expect(statusWord(await a.call(RPC.EXPORT_RAW.encodeRequest({ pkey: 0, derMax: 5480 })))).toBe(
      HalStatus.RPC_BAD_FUNCTION,
    );
    expect(
      statusWord(
        await a.call(RPC.IMPORT_RAW.encodeRequest({ session: 0, blob: Buffer.alloc(24), flags: DS })),
      ),
    ).toBe(HalStatus.RPC_BAD_FUNCTION);
  });

  it('serves TCP too', async () => {
    await start({ tcp: true });
    expect(server.address).toMatchObject({ type: 'tcp', host: '127.0.0.1' });
    const a = await connect();
    expect((await a.call(RPC.GET_VERSION.encodeRequest({}))).readUInt32BE(12)).toBe(0x01010100);
  });

  it('refuses a state directory already served, and a socket path another server listens on', async () => {
    await start();
    await expect(startSoftHsmServer({ stateDir: path.join(dir, 'state'), port: 0 })).rejects.toThrow(
      /already open in this process/,
    );
    createSoftHsmState(path.join(dir, 'state2'), { kek: KEK_A, pin: PIN });
    await expect(
      startSoftHsmServer({ stateDir: path.join(dir, 'state2'), socketPath: path.join(dir, 'rpc.sock') }),
    ).rejects.toThrow(`${path.join(dir, 'rpc.sock')} is in use by another server`);
    // The refused server released its state directory.
    const other = await startSoftHsmServer({ stateDir: path.join(dir, 'state2'), port: 0 });
    await other.close();
  });
});
