/**
 * Request and response headers (§3.1). A request is `func, client, args…`; a response is
 * `func, client, status, results…` with results only when status is 0, so an error response is
 * exactly the 12-byte header.
 */
import { RPC_REQUEST_HEADER_SIZE, RPC_RESPONSE_HEADER_SIZE, rpcName } from '../constants';
import { HalStatus, HsmProtocolError, halError } from '../errors';
import { XdrReader } from './xdr-reader';
import { XdrWriter } from './xdr-writer';

export interface RequestHeader {
  func: number;
  client: number;
  /** Positioned at the first argument after the client word. */
  reader: XdrReader;
}

export interface ResponseHeader {
  func: number;
  client: number;
  /** Positioned at the first result after the status word (status is always 0 here). */
  reader: XdrReader;
}

/**
 * Server side: splits a request frame into function code, client word and argument reader.
 * A frame shorter than 8 bytes has no client word to answer to (libhal's dispatcher fails before
 * building a response, §3.1): it throws `HsmProtocolError`, and the server sends nothing.
 */
export function decodeRequestHeader(frame: Uint8Array): RequestHeader {
  if (frame.length < RPC_REQUEST_HEADER_SIZE)
    throw new HsmProtocolError(
      `request frame of ${frame.length} bytes is shorter than the ${RPC_REQUEST_HEADER_SIZE}-byte header`,
      HalStatus.XDR_BUFFER_OVERFLOW,
    );
  const reader = new XdrReader(frame);
  const func = reader.u32('request.func');
  const client = reader.u32('request.client');
  return { func, client, reader };
}

/** Server side: the 12-byte response for a failed call (§3.1). `status` must be a non-zero u32. */
export function encodeErrorResponse(func: number, client: number, status: number): Buffer {
  if (status === 0) throw new RangeError('encodeErrorResponse: status 0 is HAL_OK, not an error');
  return new XdrWriter(RPC_RESPONSE_HEADER_SIZE)
    .u32('response.func', func)
    .u32('response.client', client)
    .u32('response.status', status)
    .finish();
}

/**
 * Client side: checks a response frame's header. Throws `HsmProtocolError` if the frame is shorter
 * than 12 bytes or answers another function, and the status's taxonomy error (see `halError`) if
 * the status is not 0. A failed call's bytes after the header are ignored: the status is the news.
 */
export function decodeResponse(frame: Uint8Array, expectedFunc: number): ResponseHeader {
  const rpc = rpcName(expectedFunc) ?? `function ${expectedFunc}`;
  if (frame.length < RPC_RESPONSE_HEADER_SIZE)
    throw new HsmProtocolError(
      `${rpc} response of ${frame.length} bytes is shorter than the ${RPC_RESPONSE_HEADER_SIZE}-byte header`,
      HalStatus.RPC_PROTOCOL_ERROR,
      rpc,
    );
  const reader = new XdrReader(frame);
  const func = reader.u32(`${rpc} response.func`);
  if (func !== expectedFunc)
    throw new HsmProtocolError(
      `expected a response to ${rpc}, got one to function ${func}`,
      HalStatus.RPC_PROTOCOL_ERROR,
      rpc,
    );
  const client = reader.u32(`${rpc} response.client`);
  const status = reader.u32(`${rpc} response.status`);
  if (status !== 0) throw halError(status, rpc);
  return { func, client, reader };
}

/**
 * The function code of a response frame, or undefined if the frame cannot hold two words. The C
 * and Python clients skip frames that are too short or answer another function (§1.2); a
 * transport that wants the same tolerance can filter with this before `decodeResponse`.
 */
export function peekFunc(frame: Uint8Array): number | undefined {
  return frame.length < RPC_REQUEST_HEADER_SIZE ? undefined : new XdrReader(frame).u32('func');
}
