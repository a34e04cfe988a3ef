/** Transports that carry RPC payloads to an HSM (docs/libhal-rpc.md §1). */
export { checkTimeout, errorKind, rpcLabel, SerialConnection } from './connection';
export type { CallOptions, CloseListener, ConnectionFactory, RpcConnection } from './connection';
export { connectStream, DEFAULT_MUXD_SOCKET, describeAddress, StreamConnection } from './stream-connection';
export type { StreamAddress, StreamConnectOptions } from './stream-connection';
export { InProcessConnection } from './in-process-connection';
export type { InProcessHandler, InProcessSession } from './in-process-connection';
export { ConnectionPool, DEFAULT_POOL_SIZE, MAX_POOL_SIZE } from './pool';
export type { PoolOptions } from './pool';
export { connectionFactory, defaultEndpoint, parseStreamEndpoint } from './endpoint';
export type { Endpoint, InProcessEndpoint } from './endpoint';
