/**
 * RPC frames as data (test/vectors/rpc-frames.json): every case is encoded to its exact bytes and
 * decoded back to the same values, on both the client and the server side (§3, §9.2).
 */
import { RpcFunc, RpcName } from '../../../src/hsm-adapter/constants';
import { HAL_STATUS_NAMES, HalStatusError, HsmError } from '../../../src/hsm-adapter/errors';
import { decodeCall, RPC } from '../../../src/hsm-adapter/codec/rpc';
import {
  decodeRequestHeader,
  decodeResponse,
  encodeErrorResponse,
} from '../../../src/hsm-adapter/codec/header';
import { slipEncode, SlipDecoder } from '../../../src/hsm-adapter/codec/slip';
import { bytesOf, cases, errorCases, fromJson, rpcOf } from './vectors';

describe.each(cases)('$label', (c) => {
  const rpc = rpcOf(c.rpc);
  const args = fromJson(c.args);
  const result = fromJson(c.result);
  const request = bytesOf(c.request);
  const response = bytesOf(c.response);

  it('client: encodes the request to the exact bytes', () => {
    expect(rpc.encodeRequest(args, c.client).toString('hex')).toBe(request.toString('hex'));
  });

  it('server: decodes the request header and arguments to the same values', () => {
    const header = decodeRequestHeader(request);
    expect(header.func).toBe(RpcFunc[c.rpc]);
    expect(header.client).toBe(c.client);
    expect(decodeCall(header)).toEqual({ rpc: c.rpc, args });
  });

  it('server: encodes the response to the exact bytes', () => {
    expect(rpc.encodeResponse(c.responseClient, result, args).toString('hex')).toBe(response.toString('hex'));
  });

  it('client: decodes the response to the same result', () => {
    expect(rpc.decodeResponse(response, args)).toEqual(result);
    expect(decodeResponse(response, RpcFunc[c.rpc]).client).toBe(c.responseClient);
  });

  if (c.requestSlip !== undefined && c.responseSlip !== undefined) {
    const requestSlip = bytesOf(c.requestSlip);
    const responseSlip = bytesOf(c.responseSlip);
    it('SLIP: frames both payloads to the exact bytes and back', () => {
      expect(slipEncode(request).toString('hex')).toBe(requestSlip.toString('hex'));
      expect(slipEncode(response).toString('hex')).toBe(responseSlip.toString('hex'));
      expect(new SlipDecoder().push(Buffer.concat([requestSlip, responseSlip]))).toEqual([request, response]);
    });
  }
});

describe.each(errorCases)('error response: $label', (c) => {
  const frame = bytesOf(c.response);

  it('server: is exactly the 12-byte header', () => {
    const bytes = encodeErrorResponse(RpcFunc[c.rpc], c.client, c.status);
    expect(bytes.length).toBe(12);
    expect(bytes.toString('hex')).toBe(frame.toString('hex'));
  });

  it('client: throws the taxonomy error naming the status and the RPC', () => {
    let thrown: unknown;
    try {
      decodeResponse(frame, RpcFunc[c.rpc]);
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(HsmError);
    expect(thrown).toBeInstanceOf(HalStatusError);
    const err = thrown as HalStatusError;
    expect(err.code).toBe(c.status);
    expect(err.status).toBe(HAL_STATUS_NAMES[c.status]);
    expect(err.rpc).toBe(c.rpc);
    expect(err.message).toContain(c.rpc);
  });
});

describe('the vector file', () => {
  it('covers every RPC in the table with at least one request and response', () => {
    const covered = new Set(cases.map((c) => c.rpc));
    expect([...(Object.keys(RPC) as RpcName[])].filter((n) => !covered.has(n))).toEqual([]);
  });

  it('has a distinct label per case', () => {
    const labels = [...cases, ...errorCases].map((c) => c.label);
    expect(new Set(labels).size).toBe(labels.length);
  });
});
