/**
 * The `Hsm` client over real sockets when the peer goes away: the pool forgets the dead
 * connection, the next call gets a fresh one, and the fresh one logs in again with the kept PIN
 * (login is per muxd connection, §1.3).
 */
import { join } from 'node:path';
import { Hsm } from '../../src/hsm-adapter';
import { decodeCall, decodeRequestHeader, RPC, slipEncode } from '../../src/hsm-adapter/codec';
import { Curve, KeyFlag, User } from '../../src/hsm-adapter/constants';
import { createSoftHsmState, startSoftHsmServer } from '../../src/soft-hsm';
import { makeTempDir, removeTempDir } from '../support/temp-dir';
import { eventually, startFakeServer, type FakeServer } from './support/fake-server';

describe('Hsm reconnecting', () => {
  let fake: FakeServer | undefined;
  let hsm: Hsm | undefined;
  afterEach(async () => {
    hsm?.disconnect();
    hsm = undefined;
    await fake?.close();
    fake = undefined;
  });

  it('replaces a connection the peer closed while idle, logging the new one in', async () => {
    const seen: string[] = [];
    fake = await startFakeServer(async (frame, peer) => {
      const call = decodeCall(decodeRequestHeader(frame));
      seen.push(
        `#${peer.serial} ${call.rpc === 'LOGIN' ? `LOGIN(${call.args.user},${call.args.pin.toString()})` : call.rpc}`,
      );
      if (call.rpc === 'LOGIN')
        await peer.write(slipEncode(RPC.LOGIN.encodeResponse(peer.serial, {}, call.args)));
      if (call.rpc === 'GET_VERSION')
        await peer.write(
          slipEncode(RPC.GET_VERSION.encodeResponse(peer.serial, { version: 0x01010100 }, {})),
        );
    });
    hsm = await Hsm.connect({ endpoint: fake.endpoint, pin: 'fnord', poolSize: 1 });
    expect(await hsm.getVersion()).toBe(0x01010100);
    fake.peers[0].socket.end();
    await eventually('the client notices the hang-up', () => fake!.closedPeers.has(1));
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(await hsm.getVersion()).toBe(0x01010100);
    expect(seen).toEqual(['#1 LOGIN(1,fnord)', '#1 GET_VERSION', '#2 LOGIN(1,fnord)', '#2 GET_VERSION']);
  });

  it('carries on after the soft HSM server restarts on the same socket (muxd restart)', async () => {
    const dir = await makeTempDir('hsm-reconnect-');
    try {
      const stateDir = join(dir, 'state');
      const socketPath = join(dir, 'muxd.rpc');
      createSoftHsmState(stateDir, { kek: Buffer.alloc(32, 3), pin: 'fnord' });
      let server = await startSoftHsmServer({ stateDir, socketPath, pinDelayMs: 10 });
      hsm = await Hsm.connect({
        endpoint: `unix:${socketPath}`,
        user: User.WHEEL,
        pin: 'fnord',
        poolSize: 2,
      });
      const key = await hsm.generateEc(Curve.P256, KeyFlag.USAGE_DIGITALSIGNATURE | KeyFlag.TOKEN);
      const spki = await hsm.getPublicKey(key.handle);

      await server.close();
      await expect(hsm.getVersion()).rejects.toMatchObject({ kind: 'transport', rpc: 'GET_VERSION' });
      server = await startSoftHsmServer({ stateDir, socketPath, pinDelayMs: 10 });
      try {
        // Handles did not survive the restart; the name did, and the new connection is WHEEL again.
        expect(await hsm.isLoggedIn(User.WHEEL)).toBe(true);
        const handle = await hsm.open(key.uuid);
        expect((await hsm.getPublicKey(handle)).equals(spki)).toBe(true);
      } finally {
        hsm.disconnect();
        await server.close();
      }
    } finally {
      await removeTempDir(dir);
    }
  });
});
