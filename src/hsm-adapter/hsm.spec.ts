/**
 * The `Hsm` client against a scripted in-process HSM built from the codec's server side: what it
 * sends for each call, how it follows PKEY_MATCH pages, keeps every pooled connection logged in,
 * reconnects, and maps statuses.
 */
import { decodeCall, decodeRequestHeader, encodeErrorResponse, RPC, type RpcCall } from './codec';
import { HalStatus, HsmProtocolError } from './errors';
import { Hsm } from './hsm';
import type { HsmOptions } from './hsm-types';
import { Curve, KeyFlag, MatchState, User } from './constants';

type Answer = Record<string, unknown> | number | 'hang' | 'hangup' | Buffer;

interface Session {
  readonly id: number;
  closed: boolean;
  readonly calls: RpcCall[];
}

/** An in-process HSM whose answers come from `answer`: a result, a status, raw bytes, or misbehaviour. */
function scripted(answer: (call: RpcCall, session: Session) => Answer | Promise<Answer>) {
  const sessions: Session[] = [];
  const endpoint = {
    openSession: () => {
      const session: Session = { id: sessions.length + 1, closed: false, calls: [] };
      sessions.push(session);
      return {
        call: async (request: Buffer) => {
          const header = decodeRequestHeader(request);
          const call = decodeCall(header);
          session.calls.push(call);
          const reply = await answer(call, session);
          if (reply === 'hang') return new Promise<Buffer>(() => undefined);
          if (reply === 'hangup') throw new Error('peer went away');
          if (Buffer.isBuffer(reply)) return reply;
          if (typeof reply === 'number') return encodeErrorResponse(header.func, session.id, reply);
          const rpc = RPC[call.rpc] as {
            encodeResponse(client: number, result: unknown, args: unknown): Buffer;
          };
          return rpc.encodeResponse(session.id, reply, call.args);
        },
        close: () => void (session.closed = true),
      };
    },
  };
  const connect = (options: Omit<HsmOptions, 'endpoint'> = {}) => Hsm.connect({ endpoint, ...options });
  /** What each session was asked, as `RPC` or `RPC(user,pin)` for logins. */
  const log = () =>
    sessions.map((s) =>
      s.calls.map((c) => (c.rpc === 'LOGIN' ? `LOGIN(${c.args.user},${c.args.pin.toString()})` : c.rpc)),
    );
  return { sessions, connect, log };
}

/** Answers the calls every test needs; `extra` handles the rest. */
function basic(
  extra: (call: RpcCall, session: Session) => Answer | Promise<Answer> | undefined = () => undefined,
) {
  return (call: RpcCall, session: Session): Answer | Promise<Answer> => {
    const special = extra(call, session);
    if (special !== undefined) return special;
    switch (call.rpc) {
      case 'LOGIN':
        return call.args.pin.toString() === 'fnord' ? {} : HalStatus.PIN_INCORRECT;
      case 'LOGOUT':
      case 'IS_LOGGED_IN':
      case 'SET_PIN':
        return {};
      case 'GET_VERSION':
        return { version: 0x01010100 };
      default:
        return HalStatus.RPC_BAD_FUNCTION;
    }
  };
}

const NAME = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
const UUID = '00112233-4455-6677-8899-aabbccddeeff';

describe('Hsm', () => {
  const clients: Hsm[] = [];
  const track = async (hsm: Promise<Hsm>) => {
    const client = await hsm;
    clients.push(client);
    return client;
  };
  afterEach(() => {
    for (const client of clients.splice(0)) client.disconnect();
  });

  describe('connect', () => {
    it('opens one connection at once and logs it in as NORMAL by default', async () => {
      const fake = scripted(basic());
      await track(fake.connect({ pin: 'fnord' }));
      expect(fake.log()).toEqual([[`LOGIN(${User.NORMAL},fnord)`]]);
    });

    it('without a PIN connects without logging in', async () => {
      const fake = scripted(basic());
      const hsm = await track(fake.connect());
      expect(await hsm.getVersion()).toBe(0x01010100);
      expect(fake.log()).toEqual([['GET_VERSION']]);
    });

    it('fails with PIN_INCORRECT for a wrong PIN, keeps the PIN out of the error and closes what it opened', async () => {
      const fake = scripted(basic());
      const error = await fake.connect({ pin: 'secret-9931', user: User.WHEEL }).catch((e: Error) => e);
      expect(error).toMatchObject({ status: 'PIN_INCORRECT', rpc: 'LOGIN' });
      expect(String((error as Error).message) + (error as Error).stack).not.toContain('secret-9931');
      expect(fake.sessions.map((s) => s.closed)).toEqual([true]);
    });

    it('accepts a bare in-process handler, shared by every pooled connection, sending client word 0', async () => {
      const clients: number[] = [];
      const handler = async (request: Buffer) => {
        clients.push(request.readUInt32BE(4));
        return RPC.GET_VERSION.encodeResponse(0, { version: 0x01010100 }, {});
      };
      const hsm = await track(Hsm.connect({ endpoint: handler, poolSize: 2 }));
      expect(await Promise.all([hsm.getVersion(), hsm.getVersion()])).toEqual([0x01010100, 0x01010100]);
      expect(clients).toEqual([0, 0]);
    });

    it('refuses bad options before connecting', async () => {
      const fake = scripted(basic());
      await expect(fake.connect({ user: User.WHEEL })).rejects.toThrow('"user" given without "pin"');
      await expect(fake.connect({ pin: 'abc' })).rejects.toThrow('"pin" expected 4..4096 bytes, got 3');
      await expect(fake.connect({ pin: 'fnord', user: 4 as 1 })).rejects.toThrow(
        '"user" expected 1 (NORMAL), 2 (SO) or 3 (WHEEL), got 4',
      );
      await expect(fake.connect({ timeoutMs: 0 })).rejects.toThrow('"timeoutMs" expected an integer');
      await expect(Hsm.connect({ endpoint: 'http://hsm:80' })).rejects.toThrow(
        'expected unix:<socket path> or tcp://<host>:<port>',
      );
      expect(fake.sessions.length).toBe(0);
    });
  });

  describe('login state across the pool (§1.3: per connection)', () => {
    it('logs each new connection in before its first use', async () => {
      const fake = scripted(basic());
      const hsm = await track(fake.connect({ pin: 'fnord', poolSize: 3 }));
      expect(await Promise.all([1, 2, 3].map(() => hsm.isLoggedIn(User.NORMAL)))).toEqual([true, true, true]);
      expect(fake.log()).toEqual([
        [`LOGIN(1,fnord)`, 'IS_LOGGED_IN'],
        [`LOGIN(1,fnord)`, 'IS_LOGGED_IN'],
        [`LOGIN(1,fnord)`, 'IS_LOGGED_IN'],
      ]);
    });

    it('after login(), logs the other connections in again before their next use; after logout(), closes the idle ones and the one that logged out stays logged out', async () => {
      const fake = scripted(basic());
      const hsm = await track(fake.connect({ pin: 'fnord', poolSize: 2 }));
      await Promise.all([hsm.getVersion(), hsm.getVersion()]);
      await hsm.login(User.WHEEL, 'fnord');
      await Promise.all([hsm.getVersion(), hsm.getVersion()]);
      expect(fake.log()).toEqual([
        ['LOGIN(1,fnord)', 'GET_VERSION', 'LOGIN(3,fnord)', 'GET_VERSION'],
        ['LOGIN(1,fnord)', 'GET_VERSION', 'LOGIN(3,fnord)', 'GET_VERSION'],
      ]);
      await hsm.logout();
      const open = fake.sessions.filter((s) => !s.closed);
      expect(open.map((s) => s.calls.at(-1)?.rpc)).toEqual(['LOGOUT']);
      await hsm.getVersion();
      expect(open[0].calls.slice(-2).map((c) => c.rpc)).toEqual(['LOGOUT', 'GET_VERSION']);
      expect(fake.sessions.length).toBe(2);
    });

    it('reconnects after the peer drops a connection, logging in with the kept PIN', async () => {
      let drop = true;
      const fake = scripted(
        basic((call) => {
          if (call.rpc === 'GET_RANDOM' && drop) {
            drop = false;
            return 'hangup';
          }
          if (call.rpc === 'GET_RANDOM') return { random: Buffer.alloc(call.args.length, 1) };
          return undefined;
        }),
      );
      const hsm = await track(fake.connect({ pin: 'fnord', poolSize: 1 }));
      await expect(hsm.getRandom(4)).rejects.toMatchObject({ kind: 'transport', rpc: 'GET_RANDOM' });
      expect(await hsm.getRandom(4)).toEqual(Buffer.alloc(4, 1));
      expect(fake.log()).toEqual([
        ['LOGIN(1,fnord)', 'GET_RANDOM'],
        ['LOGIN(1,fnord)', 'GET_RANDOM'],
      ]);
      expect(fake.sessions.map((s) => s.closed)).toEqual([true, false]);
    });

    it('uses a changed PIN of the logged-in user for later connections', async () => {
      let pin = 'fnord';
      const fake = scripted(
        basic((call) => {
          if (call.rpc === 'SET_PIN') pin = call.args.pin.toString();
          if (call.rpc === 'LOGIN') return call.args.pin.toString() === pin ? {} : HalStatus.PIN_INCORRECT;
          return undefined;
        }),
      );
      const hsm = await track(fake.connect({ pin: 'fnord', poolSize: 2 }));
      await hsm.setPin(User.NORMAL, 'new-pin-1');
      await Promise.all([hsm.getVersion(), hsm.getVersion()]);
      expect(fake.log()[1]).toEqual(['LOGIN(1,new-pin-1)', 'GET_VERSION']);
    });
  });

  describe('withConnection', () => {
    it('sends every call of the sequence on one connection', async () => {
      const fake = scripted(basic());
      const hsm = await track(fake.connect({ poolSize: 3 }));
      await hsm.withConnection((pinned) =>
        Promise.all([pinned.getVersion(), pinned.getVersion(), pinned.getVersion()]),
      );
      expect(fake.log()).toEqual([['GET_VERSION', 'GET_VERSION', 'GET_VERSION']]);
    });
  });

  describe('match', () => {
    const token = ['10', '20', '30', '40', '50'].map((b) => Buffer.alloc(16, Number(`0x${b}`)));
    const volatile = ['60', '70'].map((b) => Buffer.alloc(16, Number(`0x${b}`)));

    /** libhal's PKEY_MATCH paging (§3.3): token store, then volatile, after `previous`. */
    const pages = basic((call) => {
      if (call.rpc !== 'PKEY_MATCH') return undefined;
      const { state, previous, resultMax } = call.args;
      const all = [...token.map((n) => ({ n, s: 1 })), ...volatile.map((n) => ({ n, s: 2 }))];
      const start = state === MatchState.START ? 0 : all.findIndex((e) => e.n.equals(previous)) + 1;
      const page = all.slice(start, start + resultMax);
      const next =
        start + page.length >= all.length
          ? MatchState.DONE
          : (all[start + page.length - 1]?.s ?? MatchState.DONE);
      return { state: next, names: page.map((e) => e.n) };
    });

    it.each([1, 2, 3, 7, 8])(
      'follows every page of size %i, passing back the state and the last name',
      async (pageSize) => {
        const fake = scripted(pages);
        const hsm = await track(fake.connect());
        const names = await hsm.match({ pageSize });
        expect(names).toEqual(
          [...token, ...volatile].map(
            (n) =>
              `${n.toString('hex', 0, 4)}-${n.toString('hex', 4, 6)}-${n.toString('hex', 6, 8)}-${n.toString('hex', 8, 10)}-${n.toString('hex', 10)}`,
          ),
        );
        const requests = fake.sessions[0].calls.flatMap((c) => (c.rpc === 'PKEY_MATCH' ? [c.args] : []));
        expect(requests.length).toBe(Math.floor(7 / pageSize) + 1);
        expect(requests[0]).toMatchObject({ state: 0, previous: Buffer.alloc(16), resultMax: pageSize });
        for (let i = 1; i < requests.length; i++)
          expect(requests[i].previous).toEqual([...token, ...volatile][i * pageSize - 1]);
      },
    );

    it('sends the filter as given', async () => {
      const fake = scripted(pages);
      const hsm = await track(fake.connect());
      await hsm.match({
        type: 3,
        curve: 2,
        mask: 0x20,
        flags: 0x20,
        attributes: [{ type: 9, value: Buffer.from('x') }],
        pageSize: 64,
      });
      expect(fake.sessions[0].calls[0].args).toEqual({
        session: 0,
        type: 3,
        curve: 2,
        mask: 0x20,
        flags: 0x20,
        attributes: [{ type: 9, value: Buffer.from('x') }],
        state: 0,
        resultMax: 64,
        previous: Buffer.alloc(16),
      });
    });

    it('refuses an HSM that returns a name twice instead of paging forever', async () => {
      const fake = scripted(
        basic((call) => (call.rpc === 'PKEY_MATCH' ? { state: 1, names: [NAME] } : undefined)),
      );
      const hsm = await track(fake.connect());
      await expect(hsm.match({ pageSize: 1 })).rejects.toMatchObject({
        kind: 'protocol',
        rpc: 'PKEY_MATCH',
        message: `PKEY_MATCH returned ${UUID} twice`,
      });
    });
  });

  describe('probeRawExport (§9.2)', () => {
    it.each([
      [HalStatus.RPC_BAD_FUNCTION, false],
      [HalStatus.KEY_NOT_FOUND, true],
    ])('maps status %i to %s, asking EXPORT_RAW about pkey handle 0', async (status, expected) => {
      const fake = scripted(basic((call) => (call.rpc === 'EXPORT_RAW' ? status : undefined)));
      const hsm = await track(fake.connect());
      expect(await hsm.probeRawExport()).toBe(expected);
      expect(fake.sessions[0].calls[0]).toEqual({ rpc: 'EXPORT_RAW', args: { pkey: 0, derMax: 5480 } });
    });

    it('throws on any other answer', async () => {
      const forbidden = scripted(
        basic((call) => (call.rpc === 'EXPORT_RAW' ? HalStatus.FORBIDDEN : undefined)),
      );
      await expect((await track(forbidden.connect())).probeRawExport()).rejects.toMatchObject({
        status: 'FORBIDDEN',
        rpc: 'EXPORT_RAW',
      });
      const ok = scripted(
        basic((call) => (call.rpc === 'EXPORT_RAW' ? { blob: Buffer.alloc(8) } : undefined)),
      );
      await expect((await track(ok.connect())).probeRawExport()).rejects.toBeInstanceOf(HsmProtocolError);
    });
  });

  describe('getPublicKey', () => {
    it('asks for exactly the length PKEY_GET_PUBLIC_KEY_LEN reports', async () => {
      const fake = scripted(
        basic((call) => {
          if (call.rpc === 'PKEY_GET_PUBLIC_KEY_LEN') return { length: 5 };
          if (call.rpc === 'PKEY_GET_PUBLIC_KEY') return { der: Buffer.from('3003020101', 'hex') };
          return undefined;
        }),
      );
      const hsm = await track(fake.connect());
      expect((await hsm.getPublicKey(0x8001_0002)).toString('hex')).toBe('3003020101');
      expect(fake.sessions[0].calls.map((c) => c.args)).toEqual([
        { pkey: 0x80010002 },
        { pkey: 0x80010002, derMax: 5 },
      ]);
    });

    it('on length 0 (the call cannot fail, §3.3) lets PKEY_GET_PUBLIC_KEY name the error', async () => {
      const fake = scripted(
        basic((call) => {
          if (call.rpc === 'PKEY_GET_PUBLIC_KEY_LEN') return { length: 0 };
          if (call.rpc === 'PKEY_GET_PUBLIC_KEY') return HalStatus.KEY_NOT_FOUND;
          return undefined;
        }),
      );
      const hsm = await track(fake.connect());
      await expect(hsm.getPublicKey(7)).rejects.toMatchObject({
        status: 'KEY_NOT_FOUND',
        rpc: 'PKEY_GET_PUBLIC_KEY',
      });
      expect(fake.sessions[0].calls[1].args).toEqual({ pkey: 7, derMax: 5480 });
    });
  });

  describe('getAttributes', () => {
    it('asks for the lengths, then for the values with a buffer of exactly their sum', async () => {
      const fake = scripted(
        basic((call) => {
          if (call.rpc !== 'PKEY_GET_ATTRIBUTES') return undefined;
          if (call.args.bufferLen === 0)
            return {
              lengths: [
                { type: 4, length: 3 },
                { type: 5, length: 2 },
              ],
            };
          return {
            attributes: [
              { type: 4, value: Buffer.from('abc') },
              { type: 5, value: Buffer.from('de') },
            ],
          };
        }),
      );
      const hsm = await track(fake.connect());
      expect(await hsm.getAttributes(1, [4, 5])).toEqual([
        { type: 4, value: Buffer.from('abc') },
        { type: 5, value: Buffer.from('de') },
      ]);
      expect(fake.sessions[0].calls.map((c) => c.args)).toEqual([
        { pkey: 1, types: [4, 5], bufferLen: 0 },
        { pkey: 1, types: [4, 5], bufferLen: 5 },
      ]);
    });
  });

  describe('sign and verify', () => {
    it('send either the data or a hash handle, never both (§3.3)', async () => {
      const fake = scripted(
        basic((call) => {
          if (call.rpc === 'PKEY_SIGN') return { signature: Buffer.from('5151', 'hex') };
          if (call.rpc === 'PKEY_VERIFY')
            return call.args.signature[0] === 0x51 ? {} : HalStatus.INVALID_SIGNATURE;
          return undefined;
        }),
      );
      const hsm = await track(fake.connect());
      expect(await hsm.sign(3, { data: Buffer.from('digest') })).toEqual(Buffer.from('5151', 'hex'));
      expect(await hsm.sign(3, { hash: 0x10002 }, { sigMax: 64 })).toEqual(Buffer.from('5151', 'hex'));
      expect(fake.sessions[0].calls.map((c) => c.args)).toEqual([
        { pkey: 3, hash: 0, input: Buffer.from('digest'), sigMax: 16368 },
        { pkey: 3, hash: 0x10002, input: Buffer.alloc(0), sigMax: 64 },
      ]);
      expect(await hsm.verify(3, { data: Buffer.from('d') }, Buffer.from([0x51]))).toBe(true);
      expect(await hsm.verify(3, { data: Buffer.from('d') }, Buffer.from([0x52]))).toBe(false);
      await expect(hsm.sign(3, { data: Buffer.alloc(0) })).rejects.toThrow(
        '"data" expected 1..16368 bytes, got 0',
      );
      await expect(hsm.sign(3, { data: Buffer.from('x'), hash: 2 } as never)).rejects.toThrow('not both');
      await expect(hsm.sign(3, { hash: 0 })).rejects.toThrow('"hash" expected a non-zero hash handle, got 0');
    });
  });

  describe('keys', () => {
    it('send names as 16 bytes and return them as canonical strings', async () => {
      const fake = scripted(
        basic((call) => {
          if (call.rpc === 'PKEY_GENERATE_EC') return { pkey: 0x80000001, name: NAME };
          if (call.rpc === 'PKEY_OPEN') return { pkey: 0x80010001 };
          return undefined;
        }),
      );
      const hsm = await track(fake.connect());
      expect(await hsm.generateEc(Curve.P384, KeyFlag.TOKEN | KeyFlag.USAGE_DIGITALSIGNATURE)).toEqual({
        handle: 0x80000001,
        uuid: UUID,
      });
      expect(await hsm.open(UUID.toUpperCase())).toBe(0x80010001);
      expect(fake.sessions[0].calls[1].args).toEqual({ session: 0, name: NAME });
      await expect(hsm.open('00112233445566778899aabbccddeeff')).rejects.toThrow(
        '"uuid" expected a canonical UUID',
      );
    });

    it('send the RSA exponent as minimal big-endian bytes', async () => {
      const fake = scripted(
        basic((call) => (call.rpc === 'PKEY_GENERATE_RSA' ? { pkey: 1, name: NAME } : undefined)),
      );
      const hsm = await track(fake.connect());
      await hsm.generateRsa(1024, 65537, KeyFlag.USAGE_DIGITALSIGNATURE);
      await hsm.generateRsa(1024, 3, KeyFlag.USAGE_DIGITALSIGNATURE);
      expect(
        fake.sessions[0].calls.map((c) =>
          (c.args as { publicExponent: Buffer }).publicExponent.toString('hex'),
        ),
      ).toEqual(['010001', '03']);
    });
  });

  describe('when a response breaks the protocol', () => {
    it('rejects with the protocol error naming the RPC, drops that connection and uses a new one next', async () => {
      let garble = true;
      const fake = scripted(
        basic((call, session) => {
          if (call.rpc !== 'GET_VERSION' || !garble) return undefined;
          garble = false;
          return Buffer.concat([
            RPC.GET_VERSION.encodeResponse(session.id, { version: 1 }, {}),
            Buffer.alloc(4),
          ]);
        }),
      );
      const hsm = await track(fake.connect({ poolSize: 1 }));
      await expect(hsm.getVersion()).rejects.toMatchObject({
        kind: 'protocol',
        rpc: 'GET_VERSION',
        message: '4 unexpected trailing bytes after GET_VERSION response',
      });
      expect(await hsm.getVersion()).toBe(0x01010100);
      expect(fake.sessions.map((s) => [s.closed, s.calls.length])).toEqual([
        [true, 1],
        [false, 1],
      ]);
    });

    it('names the RPC in a truncated-result error too', async () => {
      const fake = scripted(
        basic((call) =>
          call.rpc === 'GET_RANDOM' ? Buffer.from('000000010000000100000000000000', 'hex') : undefined,
        ),
      );
      const hsm = await track(fake.connect());
      await expect(hsm.getRandom(8)).rejects.toMatchObject({
        kind: 'protocol',
        rpc: 'GET_RANDOM',
        halStatus: 27,
      });
    });
  });

  describe('timeouts', () => {
    it('use timeoutMs for quick calls and slowTimeoutMs for key generation', async () => {
      const fake = scripted(
        basic((call) => {
          if (call.rpc === 'PKEY_GENERATE_EC') return 'hang';
          if (call.rpc === 'PKEY_GENERATE_HASHSIG')
            return new Promise<Answer>((resolve) => setTimeout(() => resolve({ pkey: 9, name: NAME }), 80));
          return undefined;
        }),
      );
      const hsm = await track(fake.connect({ timeoutMs: 20, slowTimeoutMs: 2000, poolSize: 1 }));
      await expect(hsm.generateEc(Curve.P256, KeyFlag.USAGE_DIGITALSIGNATURE)).rejects.toThrow(
        /^PKEY_GENERATE_EC got no response from in-process#\d+ within 20 ms; the connection was dropped$/,
      );
      expect(await hsm.generateHashsig(1, 5, 4, KeyFlag.USAGE_DIGITALSIGNATURE | KeyFlag.TOKEN)).toEqual({
        handle: 9,
        uuid: UUID,
      });
      expect(fake.sessions.map((s) => s.closed)).toEqual([true, false]);
    });
  });
});
