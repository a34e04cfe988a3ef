/** The libhal RPC codec: the only code that touches the RPC's raw bytes (docs/style.md §6). */
export { slipEncode, SlipDecoder, SLIP_END, SLIP_ESC, SLIP_ESC_END, SLIP_ESC_ESC } from './slip';
export { XdrReader } from './xdr-reader';
export { XdrWriter } from './xdr-writer';
export type { Decoded, Field } from './fields';
export { decodeRequestHeader, decodeResponse, encodeErrorResponse, peekFunc } from './header';
export type { RequestHeader, ResponseHeader } from './header';
export { RPC, decodeCall } from './rpc';
export type { AttributeLength, AttributeValue, Rpc, RpcArgs, RpcCall, RpcResult, RpcTable } from './rpc';
