/**
 * Where an HSM is: `unix:/path` (cryptech_muxd's socket, §1.3), `tcp://host:port` (the same SLIP
 * stream over TCP), or an HSM in this process. Parsed once into a connection factory.
 */
import type { ConnectionFactory } from './connection';
import { InProcessConnection, type InProcessHandler, type InProcessSession } from './in-process-connection';
import {
  connectStream,
  DEFAULT_MUXD_SOCKET,
  type StreamAddress,
  type StreamConnectOptions,
} from './stream-connection';

/**
 * An in-process HSM: either one handler that every connection shares, or a function that opens a
 * session per connection (so each gets its own client handle, as muxd gives each socket one).
 */
export type InProcessEndpoint = InProcessHandler | { readonly openSession: () => InProcessSession };

export type Endpoint = string | InProcessEndpoint;

/** `unix:` + `$CRYPTECH_RPC_CLIENT_SOCKET_NAME`, else muxd's default socket (§1.3). */
export function defaultEndpoint(env: NodeJS.ProcessEnv = process.env): string {
  const name = env.CRYPTECH_RPC_CLIENT_SOCKET_NAME;
  return `unix:${name !== undefined && name !== '' ? name : DEFAULT_MUXD_SOCKET}`;
}

/** Parses `unix:/path` or `tcp://host:port`; throws a RangeError that quotes the bad endpoint. */
export function parseStreamEndpoint(endpoint: string): StreamAddress {
  // Quoted for the reader, but never with credentials someone put in the URL.
  const shown = JSON.stringify(endpoint.replace(/\/\/[^@/]*@/, '//***@'));
  const bad = (why: string) => new RangeError(`"endpoint" ${shown}: ${why}`);
  if (endpoint.startsWith('unix:')) {
    const path = endpoint.slice('unix:'.length);
    if (path === '' || path.includes('\0')) throw bad('expected unix:<socket path>');
    return { path };
  }
  if (endpoint.startsWith('tcp://')) {
    let url: URL;
    try {
      url = new URL(endpoint);
    } catch {
      throw bad('expected tcp://<host>:<port>');
    }
    if (
      url.username ||
      url.password ||
      (url.pathname !== '' && url.pathname !== '/') ||
      url.search ||
      url.hash
    )
      throw bad('expected tcp://<host>:<port>, with no credentials and nothing after the port');
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    const port = Number(url.port);
    if (host === '') throw bad('has no host');
    if (!(Number.isInteger(port) && port >= 1 && port <= 65535)) throw bad('expected a port in 1..65535');
    return { host, port };
  }
  throw bad('expected unix:<socket path> or tcp://<host>:<port>');
}

export function connectionFactory(endpoint: Endpoint, options: StreamConnectOptions = {}): ConnectionFactory {
  if (typeof endpoint === 'string') {
    const address = parseStreamEndpoint(endpoint);
    return () => connectStream(address, options);
  }
  if (typeof endpoint === 'function') {
    const call = endpoint;
    return async () => new InProcessConnection({ call });
  }
  if (endpoint !== null && typeof endpoint === 'object' && typeof endpoint.openSession === 'function') {
    const open = endpoint.openSession;
    return async () => new InProcessConnection(open());
  }
  throw new TypeError('"endpoint" expected a string, an in-process handler or { openSession }');
}
