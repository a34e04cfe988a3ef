import { RPC } from '../codec';
import { HsmTransportError } from '../errors';
import type { RpcConnection } from './connection';
import { InProcessConnection } from './in-process-connection';
import { ConnectionPool } from './pool';

const VERSION_REQUEST = RPC.GET_VERSION.encodeRequest({});
const versionReply = (version: number) => RPC.GET_VERSION.encodeResponse(0, { version }, {});

/** A pool over in-process connections that answer GET_VERSION with their serial number. */
function poolOf(size: number, onConnect?: (conn: RpcConnection) => Promise<void>) {
  const made: InProcessConnection[] = [];
  const pool = new ConnectionPool({
    size,
    onConnect,
    connect: async () => {
      const serial = made.length + 1;
      const conn = new InProcessConnection({ call: async () => versionReply(serial) }, `fake#${serial}`);
      made.push(conn);
      return conn;
    },
  });
  const whoAnswers = (conn: RpcConnection) =>
    conn
      .call(0, VERSION_REQUEST, { timeoutMs: 1000 })
      .then((frame) => RPC.GET_VERSION.decodeResponse(frame, {}).version);
  return { pool, made, whoAnswers };
}

describe('ConnectionPool', () => {
  describe('given a new pool', () => {
    it('connects only when first used, and reuses an idle connection', async () => {
      const { pool, made, whoAnswers } = poolOf(3);
      expect(made.length).toBe(0);
      expect(await pool.withConnection(whoAnswers)).toBe(1);
      expect(await pool.withConnection(whoAnswers)).toBe(1);
      expect([made.length, pool.openCount]).toEqual([1, 1]);
    });

    it('opens at most `size` connections; further leases wait for one to come back, first come first served', async () => {
      const { pool, made } = poolOf(2);
      const order: string[] = [];
      const releases: (() => void)[] = [];
      const hold = (label: string) =>
        pool.withConnection(
          (conn) =>
            new Promise<void>((resolve) => {
              order.push(`${label}:${conn.label}`);
              releases.push(resolve);
            }),
        );
      const leases = [hold('a'), hold('b'), hold('c'), hold('d')];
      await new Promise((resolve) => setImmediate(resolve));
      expect(order).toEqual(['a:fake#1', 'b:fake#2']);
      releases[0]();
      await new Promise((resolve) => setImmediate(resolve));
      releases[1]();
      await new Promise((resolve) => setImmediate(resolve));
      expect(order).toEqual(['a:fake#1', 'b:fake#2', 'c:fake#1', 'd:fake#2']);
      releases[2]();
      releases[3]();
      await Promise.all(leases);
      expect(made.length).toBe(2);
    });

    it('refuses sizes outside 1..10', () => {
      const connect = async () => new InProcessConnection({ call: async () => versionReply(1) });
      expect(() => new ConnectionPool({ connect, size: 0 })).toThrow(
        '"size" expected an integer in 1..10, got 0',
      );
      expect(() => new ConnectionPool({ connect, size: 11 })).toThrow(RangeError);
      expect(() => new ConnectionPool({ connect, size: 1.5 })).toThrow(RangeError);
    });
  });

  describe('given a connection that broke', () => {
    it('forgets it, so the next lease gets a fresh connection that runs onConnect again', async () => {
      const hooked: string[] = [];
      const { pool, made, whoAnswers } = poolOf(1, async (conn) => void hooked.push(conn.label));
      expect(await pool.withConnection(whoAnswers)).toBe(1);
      made[0].close(new HsmTransportError('peer closed'));
      expect(pool.openCount).toBe(0);
      expect(await pool.withConnection(whoAnswers)).toBe(2);
      expect(hooked).toEqual(['fake#1', 'fake#2']);
    });

    it('serves a waiting lease with a new connection when the lent one closes', async () => {
      const { pool, made, whoAnswers } = poolOf(1);
      let breakIt!: () => void;
      const first = pool.withConnection(
        (conn) =>
          new Promise<void>((resolve) => {
            breakIt = () => {
              conn.close();
              resolve();
            };
          }),
      );
      const second = pool.withConnection(whoAnswers);
      await new Promise((resolve) => setImmediate(resolve));
      breakIt();
      await first;
      expect(await second).toBe(2);
      expect(made.map((c) => c.closed)).toEqual([true, false]);
    });
  });

  describe('onConnect', () => {
    it('runs once per new connection before its first lease; if it fails the lease fails and the connection is closed', async () => {
      let fail = true;
      const { pool, made, whoAnswers } = poolOf(1, async () => {
        if (fail) throw new Error('login refused');
      });
      await expect(pool.withConnection(whoAnswers)).rejects.toThrow('login refused');
      expect([made.length, made[0].closed, pool.openCount]).toEqual([1, true, 0]);
      fail = false;
      expect(await pool.withConnection(whoAnswers)).toBe(2);
    });
  });

  describe('when connecting fails', () => {
    it('rejects the lease and frees the slot for the next attempt', async () => {
      let attempts = 0;
      const pool = new ConnectionPool({
        size: 1,
        connect: async () => {
          attempts++;
          if (attempts === 1) throw new HsmTransportError('cannot connect to unix:/nowhere: ENOENT');
          return new InProcessConnection({ call: async () => versionReply(7) });
        },
      });
      await expect(pool.withConnection(async () => 'used')).rejects.toThrow(
        'cannot connect to unix:/nowhere',
      );
      expect(await pool.withConnection(async () => 'used')).toBe('used');
      expect(attempts).toBe(2);
    });
  });

  describe('close', () => {
    it('closes every connection and rejects waiting and later leases', async () => {
      const { pool, made } = poolOf(1);
      let release!: () => void;
      const held = pool.withConnection(() => new Promise<void>((resolve) => (release = resolve)));
      const waiting = pool.withConnection(async () => 'never');
      await new Promise((resolve) => setImmediate(resolve));
      pool.close();
      await expect(waiting).rejects.toThrow('the HSM connection pool is closed');
      expect(made[0].closed).toBe(true);
      release();
      await held;
      await expect(pool.withConnection(async () => 'late')).rejects.toBeInstanceOf(HsmTransportError);
    });
  });
});
