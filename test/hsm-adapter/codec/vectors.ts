/** Loads test/vectors/rpc-frames.json and turns its JSON values into codec values. */
import { RpcName } from '../../../src/hsm-adapter/constants';
import { Rpc, RPC } from '../../../src/hsm-adapter/codec/rpc';
import raw from '../../vectors/rpc-frames.json';

export interface FrameCase {
  label: string;
  source: string;
  rpc: RpcName;
  client: number;
  args: Record<string, unknown>;
  request: string;
  requestSlip?: string;
  responseClient: number;
  result: Record<string, unknown>;
  response: string;
  responseSlip?: string;
}

export interface ErrorCase {
  label: string;
  rpc: RpcName;
  client: number;
  status: number;
  response: string;
}

/** In vector args and results every string is hex bytes; numbers, null, arrays and objects are as-is. */
export function fromJson(v: unknown): unknown {
  if (typeof v === 'string') return Buffer.from(v, 'hex');
  if (Array.isArray(v)) return v.map(fromJson);
  if (v !== null && typeof v === 'object')
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fromJson(x)]));
  return v;
}

/** Hex with the vectors' grouping (spaces) removed. */
export const bytesOf = (hex: string) => Buffer.from(hex.replace(/\s+/g, ''), 'hex');

export const cases = raw.cases as FrameCase[];
export const errorCases = raw.errors as ErrorCase[];

/** The table entry for a name chosen at run time, with its argument types erased. */
export function rpcOf(name: RpcName): Rpc<RpcName, unknown, unknown> {
  return RPC[name] as unknown as Rpc<RpcName, unknown, unknown>;
}
