/** The HSM adapter: constants, error taxonomy, codec, transports and the typed `Hsm` client. */
export * from './constants';
export * from './errors';
export * from './hsm-types';
export { Hsm } from './hsm';
export { NIL_UUID, uuidFromBytes, uuidToBytes } from './hsm-uuid';
export { ConnectionPool, connectionFactory, defaultEndpoint, parseStreamEndpoint } from './transport';
export type {
  Endpoint,
  InProcessEndpoint,
  InProcessHandler,
  InProcessSession,
  RpcConnection,
} from './transport';
