/**
 * The RPC codec never trusts the bytes it is given (docs/style.md §9): truncated, oversized or
 * random frames give typed errors (`XdrOverflow` / `HsmProtocolError` / a status error), never a
 * RangeError or a read past the frame; results are bounded by what the request asked for.
 */
import fc from 'fast-check';
import { HAL_RPC_MAX_PKT_SIZE, RpcFunc, RpcName } from '../../../src/hsm-adapter/constants';
import {
  FrameTooLarge,
  HalStatusError,
  HsmProtocolError,
  XdrOverflow,
} from '../../../src/hsm-adapter/errors';
import { decodeCall, RPC } from '../../../src/hsm-adapter/codec/rpc';
import {
  decodeRequestHeader,
  decodeResponse,
  encodeErrorResponse,
  peekFunc,
} from '../../../src/hsm-adapter/codec/header';
import { bytesOf, cases, fromJson, rpcOf } from './vectors';

const decodeRequestFrame = (frame: Uint8Array) => decodeCall(decodeRequestHeader(frame));

/** Runs `f` and returns what it threw, or undefined. */
function thrownBy(f: () => unknown): unknown {
  try {
    f();
    return undefined;
  } catch (e) {
    return e;
  }
}

const allZero = (b: Uint8Array) => b.every((x) => x === 0);
/** The only errors decoding may throw: codec errors, and (for responses) the HSM's status. */
const typedError = (e: unknown) => e instanceof HsmProtocolError || e instanceof HalStatusError;
const NAME = bytesOf('00112233445566778899aabbccddeeff');

describe.each(cases)('truncating $label', (c) => {
  const request = bytesOf(c.request);
  const response = bytesOf(c.response);
  const args = fromJson(c.args);
  const result = fromJson(c.result);
  const rpc = rpcOf(c.rpc);

  it('at every offset of the request gives XdrOverflow (or, for cut-off final padding, the same args)', () => {
    for (let cut = 0; cut < request.length; cut++) {
      const frame = request.subarray(0, cut);
      const err = thrownBy(() => decodeRequestFrame(frame));
      if (cut < 8) expect({ cut, err }).toEqual({ cut, err: expect.any(HsmProtocolError) });
      else if (err === undefined) {
        expect({ cut, args: decodeRequestFrame(frame).args }).toEqual({ cut, args });
        expect({
          cut,
          droppedOnlyPadding: request.length - cut < 4 && allZero(request.subarray(cut)),
        }).toEqual({
          cut,
          droppedOnlyPadding: true,
        });
      } else expect({ cut, err }).toEqual({ cut, err: expect.any(XdrOverflow) });
    }
  });

  it('at every offset of the response gives a protocol error (or, for cut-off final padding, the same result)', () => {
    for (let cut = 0; cut < response.length; cut++) {
      const frame = response.subarray(0, cut);
      const err = thrownBy(() => rpc.decodeResponse(frame, args));
      if (err === undefined) {
        expect({ cut, result: rpc.decodeResponse(frame, args) }).toEqual({ cut, result });
        expect({
          cut,
          droppedOnlyPadding: response.length - cut < 4 && allZero(response.subarray(cut)),
        }).toEqual({
          cut,
          droppedOnlyPadding: true,
        });
      } else expect({ cut, err }).toEqual({ cut, err: expect.any(HsmProtocolError) });
    }
  });

  it('with any word replaced by a huge length gives a value or a typed error, never a RangeError', () => {
    const decoders: [Buffer, (frame: Buffer) => unknown][] = [
      [request, decodeRequestFrame],
      [response, (frame) => rpc.decodeResponse(frame, args)],
    ];
    for (const [frame, decode] of decoders)
      for (let at = 8; at + 4 <= frame.length; at += 4)
        for (const word of [0xfffffff0, 0xffffffff, 0x7fffffff]) {
          const mutated = Buffer.from(frame);
          mutated.writeUInt32BE(word, at);
          const err = thrownBy(() => decode(mutated));
          expect({ at, word, typed: err === undefined || typedError(err) }).toEqual({
            at,
            word,
            typed: true,
          });
        }
  });
});

describe('declared lengths and counts the frame cannot hold', () => {
  const header = (func: number) => bytesOf(`${func.toString(16).padStart(8, '0')} 00000000`);

  it('LOGIN with pin length 0xFFFFFFF0 is refused as XdrOverflow naming the field', () => {
    const frame = Buffer.concat([header(RpcFunc.LOGIN), bytesOf('00000003 fffffff0 666e6f72')]);
    expect(thrownBy(() => decodeRequestFrame(frame))).toMatchObject({
      field: 'LOGIN request.pin',
      needed: 0xfffffff0,
      available: 4,
      halStatus: 27,
    });
  });

  it.each([
    ['PKEY_MATCH', 'PKEY_MATCH request.attributes', '00000000 00000000 00000000 00000000 00000000 fffffff0'],
    ['PKEY_SET_ATTRIBUTES', 'PKEY_SET_ATTRIBUTES request.attributes', '80010002 fffffff0 00000001'],
    ['PKEY_GET_ATTRIBUTES', 'PKEY_GET_ATTRIBUTES request.types', '80010002 40000000 00000001'],
  ] as const)('%s with a huge attribute count is refused before reading elements', (name, field, rest) => {
    const frame = Buffer.concat([header(RpcFunc[name]), bytesOf(rest)]);
    const started = process.hrtime.bigint();
    const err = thrownBy(() => decodeRequestFrame(frame));
    expect(err).toBeInstanceOf(XdrOverflow);
    expect(err).toMatchObject({ field, halStatus: 27 });
    expect(Number(process.hrtime.bigint() - started) / 1e6).toBeLessThan(50);
  });

  it('a response value longer than the request asked for is refused (PKEY_SIGN, sig_max 64)', () => {
    const args = { pkey: 1, hash: 0, input: Buffer.alloc(32), sigMax: 64 };
    const frame = bytesOf(`00000017 00000000 00000000 fffffff0 ${'00'.repeat(64)}`);
    expect(thrownBy(() => RPC.PKEY_SIGN.decodeResponse(frame, args))).toMatchObject({
      field: 'PKEY_SIGN response.signature',
      needed: 0xfffffff0,
      available: 64,
      limit: 'field max',
    });
  });
});

describe('client-side response checks', () => {
  const version = bytesOf('00000000 00000000 00000000 01010100');

  it('refuses a response to another function', () => {
    const err = thrownBy(() => decodeResponse(version, RpcFunc.GET_RANDOM));
    expect(err).toBeInstanceOf(HsmProtocolError);
    expect((err as Error).message).toBe('expected a response to GET_RANDOM, got one to function 0');
  });

  it('refuses a response shorter than the 12-byte header', () => {
    expect(thrownBy(() => decodeResponse(version.subarray(0, 11), RpcFunc.GET_VERSION))).toBeInstanceOf(
      HsmProtocolError,
    );
  });

  it('refuses trailing bytes after the results of a successful call', () => {
    const frame = Buffer.concat([version, bytesOf('00000000')]);
    const err = thrownBy(() => RPC.GET_VERSION.decodeResponse(frame, {}));
    expect(err).toBeInstanceOf(HsmProtocolError);
    expect((err as Error).message).toBe('4 unexpected trailing bytes after GET_VERSION response');
  });

  it('reports the status of a failed call even if bytes follow the header', () => {
    const frame = bytesOf('00000003 00000000 00000018 deadbeef');
    expect(
      thrownBy(() => RPC.LOGIN.decodeResponse(frame, { user: 1, pin: Buffer.from('1234') })),
    ).toMatchObject({
      code: 24,
      status: 'PIN_INCORRECT',
      rpc: 'LOGIN',
    });
  });

  it('refuses GET_RANDOM returning more bytes than asked for', () => {
    const frame = bytesOf('00000001 00000000 00000000 00000005 0102030405 000000');
    expect(thrownBy(() => RPC.GET_RANDOM.decodeResponse(frame, { length: 4 }))).toBeInstanceOf(XdrOverflow);
  });

  it('refuses PKEY_MATCH returning more names than result_max', () => {
    const args = {
      session: 0,
      type: 0,
      curve: 0,
      mask: 0,
      flags: 0,
      attributes: [],
      state: 0,
      resultMax: 1,
      previous: Buffer.alloc(16),
    };
    const two = RPC.PKEY_MATCH.encodeResponse(0, { state: 1, names: [NAME] }, { ...args, resultMax: 2 });
    expect(RPC.PKEY_MATCH.decodeResponse(two, args)).toEqual({ state: 1, names: [NAME] });
    const three = RPC.PKEY_MATCH.encodeResponse(
      0,
      { state: 1, names: [NAME, NAME] },
      { ...args, resultMax: 2 },
    );
    expect(thrownBy(() => RPC.PKEY_MATCH.decodeResponse(three, args))).toBeInstanceOf(HsmProtocolError);
  });

  it('refuses a name in a result that is not 16 bytes (the C client answers KEY_NAME_TOO_LONG)', () => {
    const frame = bytesOf('00000021 00000000 00000000 80010002 0000000c 00112233 44556677 8899aabb');
    const args = { session: 0, blob: Buffer.alloc(40), flags: 0x29 };
    expect(thrownBy(() => RPC.IMPORT_RAW.decodeResponse(frame, args))).toMatchObject({ halStatus: 31 });
  });

  describe('PKEY_GET_ATTRIBUTES must echo the requested types, as the C client checks', () => {
    const args = { pkey: 1, types: [3, 0x102], bufferLen: 8 };
    const ok = bytesOf(
      '0000001c 00000000 00000000 00000002 00000003 00000003 41424300 00000102 00000005 3132333435 000000',
    );

    it('accepts values that together fit buffer_len', () => {
      expect(RPC.PKEY_GET_ATTRIBUTES.decodeResponse(ok, args)).toEqual({
        attributes: [
          { type: 3, value: Buffer.from('ABC') },
          { type: 0x102, value: Buffer.from('12345') },
        ],
      });
    });

    it('refuses values that together exceed buffer_len', () => {
      expect(
        thrownBy(() => RPC.PKEY_GET_ATTRIBUTES.decodeResponse(ok, { ...args, bufferLen: 7 })),
      ).toMatchObject({
        field: 'PKEY_GET_ATTRIBUTES response.attributes[1].value',
        limit: 'field max',
      });
    });

    it('refuses another count', () => {
      const frame = bytesOf('0000001c 00000000 00000000 00000001 00000003 00000003 41424300');
      expect(thrownBy(() => RPC.PKEY_GET_ATTRIBUTES.decodeResponse(frame, args))).toBeInstanceOf(
        HsmProtocolError,
      );
    });

    it('refuses another type or order', () => {
      const swapped = { ...args, types: [0x102, 3] };
      const err = thrownBy(() => RPC.PKEY_GET_ATTRIBUTES.decodeResponse(ok, swapped));
      expect(err).toBeInstanceOf(HsmProtocolError);
      expect((err as Error).message).toBe(
        '"PKEY_GET_ATTRIBUTES response.attributes[0].type" is 3, the request asked for 258 there',
      );
    });
  });

  it('peekFunc reads the function of frames that hold two words, like read_matching_packet (§1.2)', () => {
    expect(peekFunc(bytesOf('0000001d 00000000'))).toBe(29);
    expect(peekFunc(bytesOf('0000001d 000000'))).toBeUndefined();
  });
});

describe('server-side request checks', () => {
  it('refuses frames shorter than the 8-byte header: there is no client word to answer to', () => {
    for (const hex of ['', '00', '00000000 000000'])
      expect(thrownBy(() => decodeRequestHeader(bytesOf(hex)))).toBeInstanceOf(HsmProtocolError);
  });

  it.each([34, 65, 67, 1979, 0xffffffff])('answers function %i with RPC_BAD_FUNCTION', (func) => {
    const frame = Buffer.alloc(8);
    frame.writeUInt32BE(func, 0);
    frame.writeUInt32BE(0x8c3a5e10, 4);
    const header = decodeRequestHeader(frame);
    const err = thrownBy(() => decodeCall(header)) as HsmProtocolError;
    expect(err).toBeInstanceOf(HsmProtocolError);
    expect(err.halStatus).toBe(30);
    const reply = encodeErrorResponse(header.func, header.client, err.halStatus);
    expect(reply.toString('hex')).toBe(`${func.toString(16).padStart(8, '0')}8c3a5e100000001e`);
  });

  it('answers a PKEY_OPEN name that is not 16 bytes with KEY_NAME_TOO_LONG (§3.3)', () => {
    const frame = bytesOf('0000000e 00000000 00000000 00000014 00112233 44556677 8899aabb ccddeeff 00000000');
    expect(thrownBy(() => decodeRequestFrame(frame))).toMatchObject({ halStatus: 31 });
  });

  it('ignores trailing bytes after the arguments, as the C server does (§3.1)', () => {
    const frame = bytesOf('00000011 00000000 80010002 deadbeef');
    expect(decodeRequestFrame(frame)).toEqual({ rpc: 'PKEY_CLOSE', args: { pkey: 0x80010002 } });
  });

  it('refuses to encode a result longer than the request allowed', () => {
    const args = { pkey: 1, derMax: 4 };
    expect(() => RPC.EXPORT_RAW.encodeResponse(0, { blob: Buffer.alloc(5) }, args)).toThrow(
      '"EXPORT_RAW response.blob" is 5 bytes, more than the 4 requested',
    );
  });

  it('refuses to encode GET_ATTRIBUTES results that do not echo the request', () => {
    const args = { pkey: 1, types: [3], bufferLen: 0 };
    expect(() =>
      RPC.PKEY_GET_ATTRIBUTES.encodeResponse(0, { lengths: [{ type: 4, length: 1 }] }, args),
    ).toThrow(RangeError);
  });

  it('refuses to encode a request over the 16384-byte packet limit (§1.5)', () => {
    const data = Buffer.alloc(HAL_RPC_MAX_PKT_SIZE - 16);
    expect(RPC.HASH_UPDATE.encodeRequest({ hash: 1, data }).length).toBe(HAL_RPC_MAX_PKT_SIZE);
    expect(() => RPC.HASH_UPDATE.encodeRequest({ hash: 1, data: Buffer.alloc(data.length + 1) })).toThrow(
      FrameTooLarge,
    );
  });

  it('refuses to build an error response with status 0', () => {
    expect(() => encodeErrorResponse(0, 0, 0)).toThrow(RangeError);
  });

  it('encodes the EXPORT_RAW probe of §9.2 (pkey handle 0)', () => {
    expect(RPC.EXPORT_RAW.encodeRequest({ pkey: 0, derMax: 5480 }).toString('hex')).toBe(
      '000000200000000000000000' + '00001568',
    );
  });
});

describe('random input (fast-check)', () => {
  const codes = Object.values(RpcFunc);
  const typed = (e: unknown) => e instanceof HsmProtocolError;

  it('every request decoder either decodes random arguments or throws a typed codec error', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...codes),
        fc.nat(),
        fc.uint8Array({ maxLength: 120 }),
        (func, client, body) => {
          const frame = Buffer.alloc(8 + body.length);
          frame.writeUInt32BE(func, 0);
          frame.writeUInt32BE(client >>> 0, 4);
          frame.set(body, 8);
          const err = thrownBy(() => decodeRequestFrame(frame));
          expect(err === undefined || typed(err)).toBe(true);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('decodes or refuses whole random frames, of any length and function code', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (frame) => {
        const err = thrownBy(() => decodeRequestFrame(frame));
        expect(err === undefined || typed(err)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('decodes or refuses vector requests and responses with random bytes overwritten', () => {
    const mutation = fc.record({
      index: fc.nat({ max: cases.length - 1 }),
      edits: fc.array(fc.tuple(fc.nat(), fc.nat({ max: 255 })), { minLength: 1, maxLength: 6 }),
      cut: fc.nat(),
    });
    fc.assert(
      fc.property(mutation, ({ index, edits, cut }) => {
        const c = cases[index];
        const args = fromJson(c.args);
        const decoders: [Buffer, (frame: Buffer) => unknown][] = [
          [bytesOf(c.request), decodeRequestFrame],
          [bytesOf(c.response), (frame) => rpcOf(c.rpc).decodeResponse(frame, args)],
        ];
        for (const [original, decode] of decoders) {
          const frame = Buffer.from(original);
          for (const [at, byte] of edits) frame[at % frame.length] = byte;
          const err = thrownBy(() => decode(frame.subarray(0, cut % (frame.length + 1))));
          expect(err === undefined || typedError(err)).toBe(true);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('every response decoder either decodes random results or throws a typed error', () => {
    const rpcs = [...new Map(cases.map((c) => [c.rpc, c])).values()];
    fc.assert(
      fc.property(fc.constantFrom(...rpcs), fc.uint8Array({ maxLength: 120 }), (c, body) => {
        const frame = Buffer.alloc(12 + body.length);
        frame.writeUInt32BE(RpcFunc[c.rpc as RpcName], 0);
        frame.set(body, 12);
        const err = thrownBy(() => rpcOf(c.rpc).decodeResponse(frame, fromJson(c.args)));
        expect(err === undefined || typed(err)).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });
});
