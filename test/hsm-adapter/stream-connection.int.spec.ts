/**
 * The SLIP stream transport against a scripted peer on real sockets (§1.1, §1.2): it writes
 * `C0 payload C0`, reads frames until one answers the function it sent, and drops only its own
 * connection on a timeout or a broken stream.
 */
import { encodeErrorResponse, RPC, slipEncode } from '../../src/hsm-adapter/codec';
import { HAL_RPC_MAX_PKT_SIZE, RpcFunc } from '../../src/hsm-adapter/constants';
import { FrameTooLarge, HsmTransportError } from '../../src/hsm-adapter/errors';
import { connectStream, parseStreamEndpoint, type StreamConnection } from '../../src/hsm-adapter/transport';
import { eventually, startFakeServer, type FakeServer } from './support/fake-server';

const VERSION_REQUEST = RPC.GET_VERSION.encodeRequest({});
const versionReply = (version: number) => RPC.GET_VERSION.encodeResponse(0x77, { version }, {});
const randomReply = (bytes: Buffer) =>
  RPC.GET_RANDOM.encodeResponse(0x77, { random: bytes }, { length: bytes.length });

describe('StreamConnection', () => {
  let server: FakeServer | undefined;
  const conns: StreamConnection[] = [];
  const open = async () => {
    const conn = await connectStream(parseStreamEndpoint(server!.endpoint));
    conns.push(conn);
    return conn;
  };

  afterEach(async () => {
    for (const conn of conns.splice(0)) conn.close();
    await server?.close();
    server = undefined;
  });

  it('writes the request as C0, escaped payload, C0 (§1.1)', async () => {
    const reply = encodeErrorResponse(RpcFunc.PKEY_OPEN, 0x77, 21);
    server = await startFakeServer((_frame, peer) => peer.write(slipEncode(reply)));
    const conn = await open();
    const request = RPC.PKEY_OPEN.encodeRequest({
      session: 0,
      name: Buffer.from('00c0db00000000000000000000000000', 'hex'),
    });
    expect((await conn.call(RpcFunc.PKEY_OPEN, request, { timeoutMs: 1000 })).equals(reply)).toBe(true);
    expect(Buffer.concat(server.peers[0].received).toString('hex')).toBe(
      'c0' + '0000000e' + '00000000' + '00000000' + '00000010' + '00dbdcdbdd00' + '00'.repeat(12) + 'c0',
    );
  });

  it('skips frames too short to hold two words and frames for other functions (§1.2 read_matching_packet)', async () => {
    server = await startFakeServer(async (_frame, peer) => {
      await peer.write(Buffer.from('c00102c0', 'hex'));
      await peer.write(slipEncode(randomReply(Buffer.from('abcd'))));
      await peer.write(slipEncode(Buffer.from('0000000000000001', 'hex').subarray(0, 7)));
      await peer.write(slipEncode(versionReply(0x01010100)));
    });
    const conn = await open();
    const frame = await conn.call(RpcFunc.GET_VERSION, VERSION_REQUEST, { timeoutMs: 1000 });
    expect(RPC.GET_VERSION.decodeResponse(frame, {})).toEqual({ version: 0x01010100 });
    expect(conn.closed).toBe(false);
  });

  it('takes the reply split at every byte offset', async () => {
    const reply = slipEncode(randomReply(Buffer.from([0xc0, 0xdb, 0xc0, 0x00, 0xdb, 0xdd, 0xdc])));
    let cut = 1;
    server = await startFakeServer(async (_frame, peer) => {
      await peer.write(reply.subarray(0, cut));
      await new Promise((resolve) => setTimeout(resolve, 1));
      await peer.write(reply.subarray(cut));
    });
    const conn = await open();
    for (; cut < reply.length; cut++) {
      const frame = await conn.call(RpcFunc.GET_RANDOM, RPC.GET_RANDOM.encodeRequest({ length: 7 }), {
        timeoutMs: 1000,
      });
      expect({
        cut,
        random: RPC.GET_RANDOM.decodeResponse(frame, { length: 7 }).random.toString('hex'),
      }).toEqual({
        cut,
        random: 'c0dbc000dbdddc',
      });
    }
  });

  describe('on a timeout', () => {
    it('rejects naming the RPC and the time, and closes only that connection', async () => {
      server = await startFakeServer(async (frame, peer) => {
        if (frame.readUInt32BE(0) === RpcFunc.GET_VERSION) await peer.write(slipEncode(versionReply(5)));
      });
      const slow = await open();
      const other = await open();
      const outcome = slow.call(RpcFunc.GET_RANDOM, RPC.GET_RANDOM.encodeRequest({ length: 4 }), {
        timeoutMs: 30,
      });
      await expect(outcome).rejects.toBeInstanceOf(HsmTransportError);
      await expect(outcome).rejects.toThrow(
        /^GET_RANDOM got no response from unix:.*#\d+ within 30 ms; the connection was dropped$/,
      );
      expect(slow.closed).toBe(true);
      await eventually('the server sees the timed-out connection close', () => server!.closedPeers.has(1));
      const frame = await other.call(RpcFunc.GET_VERSION, VERSION_REQUEST, { timeoutMs: 1000 });
      expect(RPC.GET_VERSION.decodeResponse(frame, {}).version).toBe(5);
      expect(server.closedPeers.has(2)).toBe(false);
    });
  });

  describe('when the peer breaks the stream', () => {
    it('fails the call with FrameTooLarge for a frame over 16384 bytes and drops only that connection', async () => {
      server = await startFakeServer(async (frame, peer) => {
        if (peer.serial === 1)
          await peer.write(
            Buffer.concat([Buffer.from([0xc0]), Buffer.alloc(HAL_RPC_MAX_PKT_SIZE + 1, 0x01)]),
          );
        else await peer.write(slipEncode(versionReply(6)));
      });
      const bad = await open();
      const good = await open();
      const outcome = bad.call(RpcFunc.GET_VERSION, VERSION_REQUEST, { timeoutMs: 1000 });
      await expect(outcome).rejects.toBeInstanceOf(FrameTooLarge);
      await expect(outcome).rejects.toMatchObject({ kind: 'protocol', halStatus: 29 });
      expect(bad.closed).toBe(true);
      await expect(bad.call(RpcFunc.GET_VERSION, VERSION_REQUEST, { timeoutMs: 1000 })).rejects.toThrow(
        /closed before the request was sent: SLIP frame exceeds the 16384-byte limit/,
      );
      expect(
        RPC.GET_VERSION.decodeResponse(
          await good.call(RpcFunc.GET_VERSION, VERSION_REQUEST, { timeoutMs: 1000 }),
          {},
        ),
      ).toEqual({
        version: 6,
      });
    });

    it('closes the connection on a frame nobody asked for (a late reply would be taken for the next call)', async () => {
      server = await startFakeServer(async (_frame, peer) => {
        await peer.write(slipEncode(versionReply(1)));
        await peer.write(slipEncode(versionReply(2)));
      });
      const conn = await open();
      const causes: (Error | undefined)[] = [];
      conn.onClose((cause) => causes.push(cause));
      const frame = await conn.call(RpcFunc.GET_VERSION, VERSION_REQUEST, { timeoutMs: 1000 });
      expect(RPC.GET_VERSION.decodeResponse(frame, {}).version).toBe(1);
      await eventually('the connection closes', () => conn.closed);
      expect(causes.map((c) => c?.message)).toEqual([
        expect.stringMatching(/sent an unsolicited 16-byte frame for GET_VERSION$/),
      ]);
    });

    it('fails the call in flight with a transport error when the peer hangs up', async () => {
      server = await startFakeServer((_frame, peer) => void peer.socket.end());
      const conn = await open();
      const outcome = conn.call(RpcFunc.GET_VERSION, VERSION_REQUEST, { timeoutMs: 1000 });
      await expect(outcome).rejects.toBeInstanceOf(HsmTransportError);
      await expect(outcome).rejects.toThrow(
        /GET_VERSION: connection .* closed while waiting for the response/,
      );
    });
  });

  it('cannot connect where nothing listens: HsmTransportError naming the endpoint', async () => {
    await expect(connectStream({ path: '/nonexistent/keyledger.rpc' })).rejects.toThrow(
      /^cannot connect to unix:\/nonexistent\/keyledger\.rpc: .*ENOENT/,
    );
    server = await startFakeServer(() => undefined, 'tcp');
    const { port } = parseStreamEndpoint(server.endpoint) as { port: number };
    await server.close();
    server = undefined;
    await expect(connectStream({ host: '127.0.0.1', port })).rejects.toBeInstanceOf(HsmTransportError);
  });

  it('works the same over TCP', async () => {
    server = await startFakeServer((_frame, peer) => peer.write(slipEncode(versionReply(9))), 'tcp');
    const conn = await open();
    const frame = await conn.call(RpcFunc.GET_VERSION, VERSION_REQUEST, { timeoutMs: 1000 });
    expect(RPC.GET_VERSION.decodeResponse(frame, {}).version).toBe(9);
  });
});
