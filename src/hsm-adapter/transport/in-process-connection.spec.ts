import { RPC, encodeErrorResponse } from '../codec';
import { HAL_RPC_MAX_PKT_SIZE, RpcFunc } from '../constants';
import { HsmProtocolError, HsmTransportError } from '../errors';
import { InProcessConnection } from './in-process-connection';

const randomRequest = (length: number) => RPC.GET_RANDOM.encodeRequest({ length });
const randomReply = (length: number) =>
  RPC.GET_RANDOM.encodeResponse(0, { random: Buffer.alloc(length, 0x5a) }, { length });

/** Settles on the next macrotask, so that everything already queued has had its turn. */
const settled = () => new Promise((resolve) => setImmediate(resolve));

describe('InProcessConnection', () => {
  it('passes the request payload through unframed and returns the response payload', async () => {
    const seen: string[] = [];
    const conn = new InProcessConnection({
      call: async (request) => {
        seen.push(request.toString('hex'));
        return randomReply(3);
      },
    });
    const frame = await conn.call(RpcFunc.GET_RANDOM, randomRequest(3), { timeoutMs: 1000 });
    expect(seen).toEqual(['000000010000000000000003']);
    expect(frame.toString('hex')).toBe('00000001000000000000000000000003' + '5a5a5a00');
  });

  it('keeps one request in flight: calls made together reach the handler one after another', async () => {
    let inFlight = 0;
    let most = 0;
    const order: number[] = [];
    const conn = new InProcessConnection({
      call: async (request) => {
        inFlight++;
        most = Math.max(most, inFlight);
        const length = request.readUInt32BE(8);
        order.push(length);
        await new Promise((resolve) => setTimeout(resolve, 3));
        inFlight--;
        return randomReply(length);
      },
    });
    const lengths = [1, 2, 3, 4, 5];
    const frames = await Promise.all(
      lengths.map((n) => conn.call(RpcFunc.GET_RANDOM, randomRequest(n), { timeoutMs: 1000 })),
    );
    expect(
      frames.map((f) => RPC.GET_RANDOM.decodeResponse(f, { length: f.readUInt32BE(12) }).random.length),
    ).toEqual(lengths);
    expect({ most, order }).toEqual({ most: 1, order: lengths });
  });

  describe('when the HSM does not answer in time', () => {
    it('rejects naming the RPC and the timeout, closes the connection and fails the calls queued behind', async () => {
      const conn = new InProcessConnection({ call: () => new Promise<Buffer>(() => undefined) }, 'hung#1');
      const closes: (Error | undefined)[] = [];
      conn.onClose((cause) => closes.push(cause));
      const first = conn.call(RpcFunc.GET_RANDOM, randomRequest(1), { timeoutMs: 20 });
      const queued = conn.call(RpcFunc.GET_VERSION, RPC.GET_VERSION.encodeRequest({}), { timeoutMs: 1000 });
      await expect(first).rejects.toThrow(
        new HsmTransportError(
          'GET_RANDOM got no response from hung#1 within 20 ms; the connection was dropped',
        ),
      );
      await expect(first).rejects.toMatchObject({ kind: 'transport', rpc: 'GET_RANDOM' });
      await expect(queued).rejects.toMatchObject({ kind: 'transport', rpc: 'GET_VERSION' });
      expect(conn.closed).toBe(true);
      expect(closes.length).toBe(1);
      await expect(conn.call(RpcFunc.GET_RANDOM, randomRequest(1), { timeoutMs: 20 })).rejects.toThrow(
        /closed before the request was sent/,
      );
    });

    it('leaves other connections alone', async () => {
      const hung = new InProcessConnection({ call: () => new Promise<Buffer>(() => undefined) });
      const fine = new InProcessConnection({ call: async () => randomReply(2) });
      await expect(hung.call(RpcFunc.GET_RANDOM, randomRequest(2), { timeoutMs: 10 })).rejects.toBeInstanceOf(
        HsmTransportError,
      );
      const frame = await fine.call(RpcFunc.GET_RANDOM, randomRequest(2), { timeoutMs: 1000 });
      expect(RPC.GET_RANDOM.decodeResponse(frame, { length: 2 }).random).toEqual(Buffer.from([0x5a, 0x5a]));
      expect([hung.closed, fine.closed]).toEqual([true, false]);
    });
  });

  describe('when the HSM answers something else', () => {
    it.each([
      [
        'a payload for another function',
        RPC.GET_VERSION.encodeResponse(0, { version: 1 }, {}),
        /for GET_VERSION/,
      ],
      ['a payload shorter than two words', Buffer.from('000000', 'hex'), /for no function/],
      [
        'a payload over the packet limit',
        Buffer.concat([randomReply(0), Buffer.alloc(HAL_RPC_MAX_PKT_SIZE)]),
        /over the 16384-byte/,
      ],
    ])('rejects %s with HsmProtocolError and drops the connection', async (_label, reply, message) => {
      const conn = new InProcessConnection({ call: async () => reply });
      const outcome = conn.call(RpcFunc.GET_RANDOM, randomRequest(0), { timeoutMs: 1000 });
      await expect(outcome).rejects.toBeInstanceOf(HsmProtocolError);
      await expect(outcome).rejects.toThrow(message);
      expect(conn.closed).toBe(true);
    });

    it('turns a handler that throws into a transport error that keeps the cause', async () => {
      const boom = new Error('engine closed');
      const conn = new InProcessConnection({
        call: async () => {
          throw boom;
        },
      });
      const outcome = conn.call(RpcFunc.GET_RANDOM, randomRequest(0), { timeoutMs: 1000 });
      await expect(outcome).rejects.toMatchObject({ kind: 'transport', rpc: 'GET_RANDOM', cause: boom });
      expect(conn.closed).toBe(true);
    });
  });

  it('passes a status reply through untouched (statuses are the caller’s to decode)', async () => {
    const reply = encodeErrorResponse(RpcFunc.GET_RANDOM, 9, 29);
    const conn = new InProcessConnection({ call: async () => reply });
    expect((await conn.call(RpcFunc.GET_RANDOM, randomRequest(0), { timeoutMs: 1000 })).equals(reply)).toBe(
      true,
    );
  });

  it('refuses bad requests and timeouts before calling the handler', async () => {
    let calls = 0;
    const conn = new InProcessConnection({
      call: async () => {
        calls++;
        return randomReply(0);
      },
    });
    const call = (func: number, request: Uint8Array, timeoutMs = 1000) =>
      conn.call(func, request, { timeoutMs });
    await expect(call(RpcFunc.GET_VERSION, randomRequest(0))).rejects.toThrow(
      '"request" starts with function 1, not 0',
    );
    await expect(call(RpcFunc.GET_RANDOM, Buffer.alloc(7))).rejects.toThrow(
      '"request" expected 8..16384 bytes, got 7',
    );
    await expect(call(RpcFunc.GET_RANDOM, Buffer.alloc(HAL_RPC_MAX_PKT_SIZE + 1))).rejects.toThrow(
      RangeError,
    );
    await expect(call(RpcFunc.GET_RANDOM, randomRequest(0), 0)).rejects.toThrow(
      '"timeoutMs" expected an integer',
    );
    await expect(call(RpcFunc.GET_RANDOM, randomRequest(0), 2 ** 31)).rejects.toThrow(RangeError);
    await settled();
    expect({ calls, closed: conn.closed }).toEqual({ calls: 0, closed: false });
  });

  it('ends the session when closed, once', () => {
    let ended = 0;
    const conn = new InProcessConnection({ call: async () => randomReply(0), close: () => void ended++ });
    conn.close();
    conn.close();
    expect(ended).toBe(1);
  });
});
