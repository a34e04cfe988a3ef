/**
 * Bad input against the soft HSM's muxd-style server (docs/libhal-rpc.md §1.3, §1.5, §3.1), over a real
 * Unix socket: split, random, truncated, oversized and unknown requests. After every abuse the
 * server must still be up (a fresh client gets GET_VERSION), must have answered or dropped only the
 * abusive connection, and a long-lived well-behaved client must keep working.
 */
import fc from 'fast-check';
import { verify as nodeVerify, createHash } from 'node:crypto';
import { join } from 'node:path';
import { Hsm, type KeyRef } from '../../src/hsm-adapter';
import {
  decodeCall,
  decodeRequestHeader,
  RPC,
  SLIP_END,
  SlipDecoder,
  slipEncode,
} from '../../src/hsm-adapter/codec';
import {
  Curve,
  HAL_RPC_MAX_PKT_SIZE,
  KeyFlag,
  RPC_VERSION,
  RpcFunc,
  User,
} from '../../src/hsm-adapter/constants';
import { HalStatus, HAL_STATUS_NAMES } from '../../src/hsm-adapter/errors';
import { createSoftHsmState, startSoftHsmServer, type SoftHsmServer } from '../../src/soft-hsm';
import { makeTempDir, removeTempDir } from '../support/temp-dir';
import { nextTurn, RawClient } from './support/raw-client';

const PIN = 'fnord';

interface Reply {
  func: number;
  client: number;
  status: number;
  length: number;
}

function header(frame: Buffer): Reply {
  expect(frame.length).toBeGreaterThanOrEqual(12);
  return {
    func: frame.readUInt32BE(0),
    client: frame.readUInt32BE(4),
    status: frame.readUInt32BE(8),
    length: frame.length,
  };
}

/** A reply as libhal builds it (§3.1): the function echoed, a known status, nothing after an error header. */
function expectWellFormed(frame: Buffer, func: number): Reply {
  const reply = header(frame);
  expect({ func: reply.func, knownStatus: reply.status < HAL_STATUS_NAMES.length }).toEqual({
    func,
    knownStatus: true,
  });
  if (reply.status !== 0) expect(reply.length).toBe(12);
  return reply;
}

/**
 * Requests that any client may send and that change other clients' state by design: LOGOUT_ALL
 * logs everyone out and drops their volatile keys; PKEY_CLOSE / PKEY_DELETE act on any handle
 * (handles are global, §3.3, §11). Random input that forms one of them is left out, so that the
 * long-lived client's failures can only mean the server broke.
 */
const AFFECTS_OTHERS: ReadonlySet<number> = new Set([
  RpcFunc.LOGOUT_ALL,
  RpcFunc.PKEY_CLOSE,
  RpcFunc.PKEY_DELETE,
]);

function formsRequestAffectingOthers(bytes: Uint8Array): boolean {
  try {
    return new SlipDecoder()
      .push(Buffer.concat([bytes, Buffer.from([SLIP_END])]))
      .some((frame) => frame.length >= 8 && AFFECTS_OTHERS.has(frame.readUInt32BE(0)));
  } catch {
    return false; // FrameTooLarge: the server drops the connection unread
  }
}

const word = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
};

describe('soft HSM server under bad input', () => {
  let dir: string;
  let server: SoftHsmServer;
  let socketPath: string;
  let good: Hsm;
  let goodKey: KeyRef;
  let goodCalls = 0;

  beforeAll(async () => {
    dir = await makeTempDir('server-robustness-');
    createSoftHsmState(join(dir, 'state'), { kek: Buffer.alloc(32, 0x42), pin: PIN });
    socketPath = join(dir, 'muxd.rpc');
    server = await startSoftHsmServer({ stateDir: join(dir, 'state'), socketPath, pinDelayMs: 20 });
    good = await Hsm.connect({ endpoint: `unix:${socketPath}`, pin: PIN, poolSize: 1, timeoutMs: 10_000 });
    goodKey = await good.generateEc(Curve.P256, KeyFlag.USAGE_DIGITALSIGNATURE);
  });

  afterAll(async () => {
    good?.disconnect();
    await server?.close();
    await removeTempDir(dir);
  });

  /** A new connection answers GET_VERSION, and the long-lived client (with its volatile key) still signs. */
  async function expectServerHealthy(): Promise<void> {
    const fresh = await RawClient.open({ path: socketPath });
    try {
      await fresh.write(slipEncode(RPC.GET_VERSION.encodeRequest({})));
      const frame = await fresh.next();
      expect(frame).toBeInstanceOf(Buffer);
      expect(RPC.GET_VERSION.decodeResponse(frame as Buffer, {})).toEqual({ version: RPC_VERSION });
    } finally {
      fresh.destroy();
    }
    const message = Buffer.from(`good client call ${++goodCalls}`);
    const signature = await good.sign(goodKey.handle, {
      data: createHash('sha256').update(message).digest(),
    });
    const spki = await good.getPublicKey(goodKey.handle);
    expect(
      nodeVerify(
        'sha256',
        message,
        { key: spki, format: 'der', type: 'spki', dsaEncoding: 'ieee-p1363' },
        signature,
      ),
    ).toBe(true);
  }

  /** Sends `bytes`, then a GET_VERSION probe: the connection answers the probe or is dropped; every frame is well formed. */
  async function abuse(bytes: Uint8Array): Promise<'answered' | 'dropped'> {
    const raw = await RawClient.open({ path: socketPath });
    try {
      await raw.write(bytes);
      await raw.write(slipEncode(RPC.GET_VERSION.encodeRequest({})));
      for (;;) {
        const frame = await raw.next(5000);
        if (frame === 'closed') return 'dropped';
        if (frame === 'timeout')
          throw new Error('the server neither answered the probe nor dropped the connection');
        if (frame.length < 8) throw new Error(`a ${frame.length}-byte frame from the server`);
        const func = frame.readUInt32BE(0);
        expectWellFormed(frame, func);
        if (func === RpcFunc.GET_VERSION && frame.length === 16 && frame.readUInt32BE(8) === 0)
          return 'answered';
      }
    } finally {
      raw.destroy();
    }
  }

  describe('a request split into pieces', () => {
    it('is answered whatever byte offset it is split at, escapes included (§1.1)', async () => {
      const raw = await RawClient.open({ path: socketPath });
      try {
        await raw.write(slipEncode(RPC.LOGIN.encodeRequest({ user: User.NORMAL, pin: Buffer.from(PIN) })));
        expect(header((await raw.next()) as Buffer).status).toBe(0);
        // A name full of END and ESC bytes: every split lands inside or next to an escape somewhere.
        const name = Buffer.from('c0db00c0dbdbc0c0dbdc00dd11c0db22', 'hex');
        const wire = slipEncode(RPC.PKEY_OPEN.encodeRequest({ session: 0, name }, 0xdeadbeef));
        const clients = new Set<number>();
        for (let cut = 1; cut < wire.length; cut++) {
          await raw.write(wire.subarray(0, cut));
          await nextTurn();
          await raw.write(wire.subarray(cut));
          const reply = expectWellFormed((await raw.next()) as Buffer, RpcFunc.PKEY_OPEN);
          expect({ cut, status: reply.status }).toEqual({ cut, status: HalStatus.KEY_NOT_FOUND });
          clients.add(reply.client);
        }
        // §1.3 step 3: the client word is the connection's muxd handle, whatever the client sent.
        expect(clients.size).toBe(1);
        expect(clients.has(0xdeadbeef)).toBe(false);
      } finally {
        raw.destroy();
      }
      await expectServerHealthy();
    });

    it('answers pipelined requests in order however the stream is chunked', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.uniqueArray(fc.integer({ min: 1, max: 200 }), { maxLength: 8 }),
          async (cutsRaw) => {
            const lengths = [0, 1, 5, 31, 64];
            const stream = Buffer.concat(
              lengths.map((length) => slipEncode(RPC.GET_RANDOM.encodeRequest({ length }))),
            );
            const cuts = [...cutsRaw.filter((c) => c < stream.length)].sort((x, y) => x - y);
            const raw = await RawClient.open({ path: socketPath });
            try {
              let from = 0;
              for (const cut of [...cuts, stream.length]) {
                await raw.write(stream.subarray(from, cut));
                await nextTurn();
                from = cut;
              }
              const got: number[] = [];
              for (const length of lengths) {
                const frame = (await raw.next()) as Buffer;
                got.push(RPC.GET_RANDOM.decodeResponse(frame, { length }).random.length);
              }
              expect(got).toEqual(lengths);
            } finally {
              raw.destroy();
            }
          },
        ),
        { numRuns: 25 },
      );
      await expectServerHealthy();
    });
  });

  describe('random bytes', () => {
    it('are answered with well-formed replies or get the connection dropped, never stop the server', async () => {
      await fc.assert(
        fc.asyncProperty(fc.uint8Array({ maxLength: 600 }), async (bytes) => {
          fc.pre(!formsRequestAffectingOthers(bytes));
          await abuse(bytes);
        }),
        { numRuns: 60 },
      );
      await expectServerHealthy();
    });

    it('behind a valid header get a reply echoing the function, with a known status (§3.1)', async () => {
      // Key generation is left out too: a random RSA-8192 public session key would only be slow.
      const skip: ReadonlySet<number> = new Set([
        ...AFFECTS_OTHERS,
        RpcFunc.PKEY_GENERATE_RSA,
        RpcFunc.PKEY_GENERATE_EC,
        RpcFunc.PKEY_GENERATE_HASHSIG,
      ]);
      const funcs = Object.values(RpcFunc).filter((f) => !skip.has(f));
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(fc.constantFrom(...funcs), fc.integer({ min: 0, max: 0xffffffff })),
          fc.uint8Array({ maxLength: 200 }),
          async (func, args) => {
            fc.pre(!skip.has(func));
            const raw = await RawClient.open({ path: socketPath });
            try {
              await raw.write(slipEncode(Buffer.concat([word(func), word(0), args])));
              const frame = await raw.next();
              expect(frame).toBeInstanceOf(Buffer);
              expectWellFormed(frame as Buffer, func);
            } finally {
              raw.destroy();
            }
          },
        ),
        { numRuns: 120 },
      );
      await expectServerHealthy();
    });
  });

  describe('XDR lengths that lie', () => {
    const requests = [
      RPC.LOGIN.encodeRequest({ user: User.NORMAL, pin: Buffer.from('wrong pin!') }),
      RPC.PKEY_LOAD.encodeRequest({ session: 0, der: Buffer.alloc(37, 0x30), flags: 0 }),
      RPC.PKEY_OPEN.encodeRequest({ session: 0, name: Buffer.alloc(16, 0xab) }),
      RPC.PKEY_SET_ATTRIBUTES.encodeRequest({
        pkey: 0x10001,
        attributes: [
          { type: 1, value: Buffer.from('xyz') },
          { type: 2, value: null },
        ],
      }),
      RPC.PKEY_MATCH.encodeRequest({
        session: 0,
        type: 0,
        curve: 0,
        mask: 0,
        flags: 0,
        attributes: [{ type: 7, value: Buffer.from('abcde') }],
        state: 0,
        resultMax: 4,
        previous: Buffer.alloc(16),
      }),
      RPC.PKEY_SIGN.encodeRequest({ pkey: 0x10001, hash: 0, input: Buffer.alloc(33, 1), sigMax: 256 }),
    ];

    it('truncated at every offset: XDR_BUFFER_OVERFLOW (27) unless only final padding was cut (§2)', async () => {
      const raw = await RawClient.open({ path: socketPath });
      try {
        for (const request of requests) {
          const func = request.readUInt32BE(0);
          for (let cut = 8; cut < request.length; cut++) {
            const truncated = request.subarray(0, cut);
            let expected: number | 'any';
            try {
              decodeCall(decodeRequestHeader(truncated));
              expected = 'any';
            } catch (error) {
              expected = (error as { halStatus: number }).halStatus;
            }
            await raw.write(slipEncode(truncated));
            const reply = expectWellFormed((await raw.next()) as Buffer, func);
            if (expected !== 'any')
              expect({ func, cut, status: reply.status }).toEqual({ func, cut, status: expected });
          }
        }
      } finally {
        raw.destroy();
      }
      await expectServerHealthy();
    });

    it('declared far beyond the frame: XDR_BUFFER_OVERFLOW (27), never an allocation of that size', async () => {
      const raw = await RawClient.open({ path: socketPath });
      try {
        for (const lie of [0xffffffff, 0x7fffffff, HAL_RPC_MAX_PKT_SIZE, 11]) {
          const cases = [
            // LOGIN: user, then the PIN's length word
            Buffer.concat([
              word(RpcFunc.LOGIN),
              word(0),
              word(User.NORMAL),
              word(lie),
              Buffer.from('fnord\0\0\0'),
            ]),
            // PKEY_SET_ATTRIBUTES: n_attr
            Buffer.concat([
              word(RpcFunc.PKEY_SET_ATTRIBUTES),
              word(0),
              word(0x10001),
              word(lie),
              word(1),
              word(1),
              word(0x61000000),
            ]),
            // PKEY_GET_ATTRIBUTES: n_attr
            Buffer.concat([
              word(RpcFunc.PKEY_GET_ATTRIBUTES),
              word(0),
              word(0x10001),
              word(lie),
              word(1),
              word(0),
            ]),
          ];
          for (const frame of cases) {
            await raw.write(slipEncode(frame));
            const reply = expectWellFormed((await raw.next()) as Buffer, frame.readUInt32BE(0));
            expect({ lie, func: reply.func, status: reply.status }).toEqual({
              lie,
              func: reply.func,
              status: HalStatus.XDR_BUFFER_OVERFLOW,
            });
          }
        }
      } finally {
        raw.destroy();
      }
      await expectServerHealthy();
    });

    it('asking for results larger than the packet: RPC_PACKET_OVERFLOW (29) (§1.5)', async () => {
      const raw = await RawClient.open({ path: socketPath });
      try {
        const cases = [
          RPC.GET_RANDOM.encodeRequest({ length: 0xffffffff }),
          RPC.GET_RANDOM.encodeRequest({ length: 16369 }),
          RPC.PKEY_SIGN.encodeRequest({ pkey: 1, hash: 0, input: Buffer.from('x'), sigMax: 0x7fffffff }),
          RPC.PKEY_MATCH.encodeRequest({
            session: 0,
            type: 0,
            curve: 0,
            mask: 0,
            flags: 0,
            attributes: [],
            state: 0,
            resultMax: 0xffffffff,
            previous: Buffer.alloc(16),
          }),
        ];
        for (const request of cases) {
          await raw.write(slipEncode(request));
          const reply = expectWellFormed((await raw.next()) as Buffer, request.readUInt32BE(0));
          expect(reply.status).toBe(HalStatus.RPC_PACKET_OVERFLOW);
        }
      } finally {
        raw.destroy();
      }
      await expectServerHealthy();
    });
  });

  describe('frame size (§1.5)', () => {
    it('answers a 16384-byte request and drops the connection that sends a larger one', async () => {
      const raw = await RawClient.open({ path: socketPath });
      // Trailing bytes after the arguments are ignored, as libhal does (§3.1).
      const atLimit = Buffer.concat([
        RPC.GET_VERSION.encodeRequest({}),
        Buffer.alloc(HAL_RPC_MAX_PKT_SIZE - 8, 0x11),
      ]);
      await raw.write(slipEncode(atLimit));
      expect(RPC.GET_VERSION.decodeResponse((await raw.next()) as Buffer, {})).toEqual({
        version: RPC_VERSION,
      });

      const bystander = await RawClient.open({ path: socketPath });
      const tooLarge = Buffer.concat([atLimit, Buffer.from([0x22])]);
      await raw.write(slipEncode(tooLarge));
      expect(await raw.next(5000)).toBe('closed');
      await bystander.write(slipEncode(RPC.GET_VERSION.encodeRequest({})));
      expect(RPC.GET_VERSION.decodeResponse((await bystander.next()) as Buffer, {})).toEqual({
        version: RPC_VERSION,
      });
      bystander.destroy();
      await expectServerHealthy();
    });

    it('drops a connection that streams megabytes without an END byte, and keeps serving others', async () => {
      const raw = await RawClient.open({ path: socketPath });
      const chunk = Buffer.alloc(64 * 1024, 0x41);
      for (let i = 0; i < 32 && raw.isOpen; i++) await raw.write(chunk);
      expect(await raw.next(5000)).toBe('closed');
      await expectServerHealthy();
    });
  });

  describe('functions libhal does not serve', () => {
    it.each([34, 65, RpcFunc.CHECK_TAMPER, 67, 1979, 0xffffffff])(
      'answers %i with the 12-byte RPC_BAD_FUNCTION (30) header',
      async (func) => {
        const raw = await RawClient.open({ path: socketPath });
        try {
          await raw.write(slipEncode(Buffer.concat([word(func), word(0), word(1), word(2)])));
          const reply = expectWellFormed((await raw.next()) as Buffer, func);
          expect({ status: reply.status, length: reply.length }).toEqual({
            status: HalStatus.RPC_BAD_FUNCTION,
            length: 12,
          });
        } finally {
          raw.destroy();
        }
        await expectServerHealthy();
      },
    );
  });

  describe('misbehaving connections', () => {
    it('discards chunks shorter than 9 bytes and answers the next request first (§1.3 step 2)', async () => {
      const raw = await RawClient.open({ path: socketPath });
      try {
        await raw.write(Buffer.from('c000000000c0c0c0010203c0', 'hex'));
        await raw.write(slipEncode(RPC.GET_RANDOM.encodeRequest({ length: 3 })));
        const frame = (await raw.next()) as Buffer;
        expect(RPC.GET_RANDOM.decodeResponse(frame, { length: 3 }).random.length).toBe(3);
        expect(await raw.next(100)).toBe('timeout');
      } finally {
        raw.destroy();
      }
      await expectServerHealthy();
    });

    it('lets a client sit on half a request without holding up anyone else', async () => {
      const stalled = await RawClient.open({ path: socketPath });
      const wire = slipEncode(RPC.GET_RANDOM.encodeRequest({ length: 8 }));
      await stalled.write(wire.subarray(0, 7));
      await expectServerHealthy();
      expect(stalled.isOpen).toBe(true);
      await stalled.write(wire.subarray(7));
      expect(
        RPC.GET_RANDOM.decodeResponse((await stalled.next()) as Buffer, { length: 8 }).random.length,
      ).toBe(8);
      stalled.destroy();
    });

    it('survives a client that hangs up in the middle of a slow call (wrong-PIN delay)', async () => {
      const raw = await RawClient.open({ path: socketPath });
      await raw.write(
        slipEncode(RPC.LOGIN.encodeRequest({ user: User.WHEEL, pin: Buffer.from('wrong-pin') })),
      );
      raw.destroy();
      await new Promise((resolve) => setTimeout(resolve, 50));
      await expectServerHealthy();
    });

    it('drops a client that queues more requests than it reads, not the server', async () => {
      const raw = await RawClient.open({ path: socketPath });
      const many = Buffer.concat(
        Array.from({ length: 200 }, () =>
          slipEncode(RPC.LOGIN.encodeRequest({ user: User.WHEEL, pin: Buffer.from('wrong-pin') })),
        ),
      );
      await raw.write(many);
      expect(await abuse(Buffer.alloc(0))).toBe('answered');
      await raw.closed;
      await expectServerHealthy();
    });
  });
});
