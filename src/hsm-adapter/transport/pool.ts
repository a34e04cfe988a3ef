/**
 * A small pool of RPC connections. Connections are made lazily, lent to one user at a time, and
 * forgotten as soon as they close, so the next lease gets a fresh one. Each new connection runs
 * `onConnect` before it is lent: login state and volatile keys belong to a connection (a muxd
 * client handle, §1.3), so that is where a client logs in.
 */
import { HsmTransportError } from '../errors';
import type { ConnectionFactory, RpcConnection } from './connection';

export interface PoolOptions {
  readonly connect: ConnectionFactory;
  /** Most connections open at once. Default 3; at most 10, the HSM's logged-in client limit (§3.3 LOGIN). */
  readonly size?: number;
  /** Runs on each new connection before its first lease; if it fails, the connection is closed. */
  readonly onConnect?: (conn: RpcConnection) => Promise<void>;
}

export const DEFAULT_POOL_SIZE = 3;
export const MAX_POOL_SIZE = 10;

interface Waiter {
  resolve(conn: RpcConnection): void;
  reject(error: Error): void;
}

export class ConnectionPool {
  readonly size: number;
  private readonly connect: ConnectionFactory;
  private readonly onConnect: ((conn: RpcConnection) => Promise<void>) | undefined;
  /** Open connections and connections being made. */
  private opening = 0;
  private readonly live = new Set<RpcConnection>();
  private readonly idle: RpcConnection[] = [];
  private readonly waiters: Waiter[] = [];
  private isClosed = false;

  constructor(options: PoolOptions) {
    const size = options.size ?? DEFAULT_POOL_SIZE;
    if (!(Number.isInteger(size) && size >= 1 && size <= MAX_POOL_SIZE))
      throw new RangeError(`"size" expected an integer in 1..${MAX_POOL_SIZE}, got ${size}`);
    if (typeof options.connect !== 'function') throw new TypeError('"connect" expected a function');
    this.size = size;
    this.connect = options.connect;
    this.onConnect = options.onConnect;
  }

  /** Open connections (idle or lent). */
  get openCount(): number {
    return this.live.size;
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /**
   * Lends one connection to `fn` for its whole run (pin a connection for a sequence that uses
   * volatile keys, e.g. load a KEKEK public key, then EXPORT with it). The connection goes back to
   * the pool when `fn` settles, unless it closed meanwhile.
   */
  async withConnection<T>(fn: (conn: RpcConnection) => Promise<T>): Promise<T> {
    const conn = await this.acquire();
    try {
      return await fn(conn);
    } finally {
      this.release(conn);
    }
  }

  /** Closes every connection; pending leases and later ones reject. Idempotent. */
  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    for (const waiter of this.waiters.splice(0)) waiter.reject(this.closedError());
    this.idle.length = 0;
    for (const conn of [...this.live]) conn.close();
  }

  /** Closes the connections no one is using (e.g. after a logout, so none stays logged in). */
  closeIdle(): void {
    for (const conn of this.idle.splice(0)) conn.close();
  }

  private closedError(): HsmTransportError {
    return new HsmTransportError('the HSM connection pool is closed');
  }

  private acquire(): Promise<RpcConnection> {
    if (this.isClosed) return Promise.reject(this.closedError());
    const conn = this.idle.pop();
    if (conn) return Promise.resolve(conn);
    if (this.opening + this.live.size < this.size) return this.open();
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  private release(conn: RpcConnection): void {
    if (conn.closed) return;
    if (this.isClosed) {
      conn.close();
      return;
    }
    const waiter = this.waiters.shift();
    if (waiter) waiter.resolve(conn);
    else this.idle.push(conn);
  }

  private async open(): Promise<RpcConnection> {
    this.opening++;
    let conn: RpcConnection;
    try {
      conn = await this.connect();
    } catch (error) {
      this.opening--;
      this.serveWaiters();
      throw error;
    }
    this.opening--;
    this.live.add(conn);
    conn.onClose(() => this.forget(conn));
    if (this.isClosed) {
      conn.close();
      throw this.closedError();
    }
    try {
      await this.onConnect?.(conn);
    } catch (error) {
      conn.close(error instanceof Error ? error : undefined);
      throw error;
    }
    if (conn.closed) throw new HsmTransportError(`connection ${conn.label} closed while it was being set up`);
    return conn;
  }

  private forget(conn: RpcConnection): void {
    this.live.delete(conn);
    const at = this.idle.indexOf(conn);
    if (at >= 0) this.idle.splice(at, 1);
    this.serveWaiters();
  }

  /** A slot freed up: open a connection for the longest waiter. */
  private serveWaiters(): void {
    while (!this.isClosed && this.waiters.length > 0 && this.opening + this.live.size < this.size) {
      const waiter = this.waiters.shift() as Waiter;
      this.open().then(waiter.resolve, waiter.reject);
    }
  }
}
