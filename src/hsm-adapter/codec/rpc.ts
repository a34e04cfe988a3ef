/**
 * Every libhal RPC's request and response layout (§3.3, §9.2), each described once as typed fields.
 * From that one description, `RPC.<NAME>` gives both sides' encoders and decoders:
 *
 *   client: `RPC.PKEY_OPEN.encodeRequest({ session, name })`, then
 *           `RPC.PKEY_OPEN.decodeResponse(frame, args)` -> `{ pkey }` or throws the status error;
 *   server: `decodeCall(decodeRequestHeader(frame))` -> `{ rpc: 'PKEY_OPEN', args }`, then
 *           `RPC.PKEY_OPEN.encodeResponse(client, { pkey }, args)`.
 *
 * The client word is not part of `args`: it is the header's (clients send 0 and muxd rewrites it,
 * §1.3). Where the C API has a session handle, `args.session` carries it. Results that the caller
 * sized (`*_max`, `length`, `result_max`, `buffer_len`) are bounded by what was asked for when
 * decoded, as the C client bounds them.
 */
import { HAL_HANDLE_NONE, HAL_RPC_MAX_PKT_SIZE, RpcFunc, RpcName, rpcName } from '../constants';
import { HalStatus, HsmProtocolError } from '../errors';
import { bytes, bytesOrNil, Decoded, Field, list, Shape, ShapeValue, struct, u32, uuid } from './fields';
import { decodeResponse, RequestHeader } from './header';
import { XdrReader } from './xdr-reader';
import { XdrWriter } from './xdr-writer';

export interface Rpc<N extends RpcName, A, R> {
  readonly name: N;
  readonly code: (typeof RpcFunc)[N];
  /** Client: the request payload (func, client, args), not yet SLIP-encoded. */
  encodeRequest(args: A, client?: number): Buffer;
  /** Server: the arguments, read after `decodeRequestHeader`. Trailing bytes are ignored, as libhal does (§3.1). */
  decodeRequest(reader: XdrReader): Decoded<A>;
  /** Server: a successful (status 0) response. `args` are the request's: some layouts depend on them. */
  encodeResponse(client: number, result: R, args: A): Buffer;
  /** Client: the results after `decodeResponse`'s header, bounded by `args`; trailing bytes are refused. */
  decodeResults(reader: XdrReader, args: A): Decoded<R>;
  /** Client: header, status and results of a response frame; a non-zero status throws its taxonomy error. */
  decodeResponse(frame: Uint8Array, args: A): Decoded<R>;
}

function defineRpc<const N extends RpcName, Q extends Shape, S extends Shape>(
  name: N,
  requestShape: Q,
  responseShape: S | ((args: ShapeValue<Q>) => S),
): Rpc<N, ShapeValue<Q>, ShapeValue<S>> {
  const code = RpcFunc[name];
  const request = struct(requestShape);
  const response = (args: ShapeValue<Q>) =>
    struct(typeof responseShape === 'function' ? responseShape(args) : responseShape);
  const decodeResults = (reader: XdrReader, args: ShapeValue<Q>) => {
    const result = response(args).read(reader, `${name} response`);
    reader.end(`${name} response`);
    return result;
  };
  return {
    name,
    code,
    encodeRequest(args, client = HAL_HANDLE_NONE) {
      const w = new XdrWriter(HAL_RPC_MAX_PKT_SIZE).u32('request.func', code).u32('request.client', client);
      request.write(w, args, `${name} request`);
      return w.finish();
    },
    decodeRequest: (reader) => request.read(reader, `${name} request`),
    encodeResponse(client, result, args) {
      const w = new XdrWriter(HAL_RPC_MAX_PKT_SIZE)
        .u32('response.func', code)
        .u32('response.client', client)
        .u32('response.status', 0);
      response(args).write(w, result, `${name} response`);
      return w.finish();
    },
    decodeResults,
    decodeResponse: (frame, args) => decodeResults(decodeResponse(frame, code).reader, args),
  };
}

/** PKEY_MATCH filter: the key must have this attribute with exactly this value (§3.3). */
const attribute = struct({ type: u32, value: bytes() });
/** PKEY_SET_ATTRIBUTES entry: a null value is sent as NIL and deletes the attribute (§3.3). */
const attributeOrNil = struct({ type: u32, value: bytesOrNil });

export interface AttributeLength {
  type: number;
  /** 0 if the key lacks the attribute. */
  length: number;
}
export interface AttributeValue {
  type: number;
  value: Uint8Array;
}

/** How to read and write what follows each echoed type; made afresh per frame, so it may keep a tally. */
interface AttributeRest<E> {
  read(r: XdrReader, path: string, type: number): Decoded<E>;
  write(w: XdrWriter, e: E, path: string): void;
}

/**
 * PKEY_GET_ATTRIBUTES results (§3.3): the requested types echoed in order, each followed by a
 * length (buffer_len 0) or a value (the values together at most buffer_len bytes). Like the C
 * client, a count or type that differs from the request is a protocol error.
 */
function echoedAttributes<E extends { type: number }>(
  types: readonly number[],
  rest: () => AttributeRest<E>,
): Field<readonly E[]> {
  return {
    read(r, path) {
      const n = r.u32(`${path}.count`);
      if (n !== types.length)
        throw new HsmProtocolError(`"${path}" has ${n} attributes, ${types.length} were requested`);
      const each = rest();
      return types.map((type, i) => {
        const got = r.u32(`${path}[${i}].type`);
        if (got !== type)
          throw new HsmProtocolError(`"${path}[${i}].type" is ${got}, the request asked for ${type} there`);
        return each.read(r, `${path}[${i}]`, type);
      }) as Decoded<readonly E[]>;
    },
    write(w, entries, path) {
      if (entries.length !== types.length || entries.some((e, i) => e.type !== types[i]))
        throw new RangeError(`"${path}" must answer the requested types [${types.join(', ')}] in order`);
      w.u32(`${path}.count`, entries.length);
      const each = rest();
      entries.forEach((e, i) => {
        w.u32(`${path}[${i}].type`, e.type);
        each.write(w, e, `${path}[${i}]`);
      });
    },
  };
}

const attributeLength = (): AttributeRest<AttributeLength> => ({
  read: (r, path, type) => ({ type, length: r.u32(`${path}.length`) }),
  write: (w, e, path) => void w.u32(`${path}.length`, e.length),
});

/** Values share one buffer of `bufferLen` bytes, as in the C client: each is bounded by what is left. */
const attributeValue = (bufferLen: number) => (): AttributeRest<AttributeValue> => {
  let left = bufferLen;
  return {
    read(r, path, type) {
      const value = r.opaque(`${path}.value`, left);
      left -= value.length;
      return { type, value };
    },
    write(w, e, path) {
      if (e.value.length > left)
        throw new RangeError(`"${path}.value" overflows the ${bufferLen}-byte buffer_len`);
      left -= e.value.length;
      w.opaque(`${path}.value`, e.value);
    },
  };
};

function getAttributesResponse(args: {
  types: readonly number[];
  bufferLen: number;
}): { lengths: Field<readonly AttributeLength[]> } | { attributes: Field<readonly AttributeValue[]> } {
  return args.bufferLen === 0
    ? { lengths: echoedAttributes(args.types, attributeLength) }
    : { attributes: echoedAttributes(args.types, attributeValue(args.bufferLen)) };
}

/** HASH_GET_DIGEST_ALGORITHM_ID (§3.3): len_max 0 asks for the DER length only. */
function digestAlgorithmIdResponse(args: {
  lenMax: number;
}): { length: Field<number> } | { der: Field<Uint8Array> } {
  return args.lenMax === 0 ? { length: u32 } : { der: bytes(args.lenMax) };
}

const created = { pkey: u32, name: uuid };

/** The RPC table, by name. Comments give the section of the reference that defines each layout. */
export const RPC = {
  // §3.3 misc / login
  GET_VERSION: defineRpc('GET_VERSION', {}, { version: u32 }),
  GET_RANDOM: defineRpc('GET_RANDOM', { length: u32 }, (a) => ({ random: bytes(a.length) })),
  SET_PIN: defineRpc('SET_PIN', { user: u32, pin: bytes() }, {}),
  LOGIN: defineRpc('LOGIN', { user: u32, pin: bytes() }, {}),
  LOGOUT: defineRpc('LOGOUT', {}, {}),
  LOGOUT_ALL: defineRpc('LOGOUT_ALL', {}, {}),
  IS_LOGGED_IN: defineRpc('IS_LOGGED_IN', { user: u32 }, {}),

  // §3.3 hash / HMAC
  HASH_GET_DIGEST_LEN: defineRpc('HASH_GET_DIGEST_LEN', { alg: u32 }, { length: u32 }),
  HASH_GET_DIGEST_ALGORITHM_ID: defineRpc(
    'HASH_GET_DIGEST_ALGORITHM_ID',
    { alg: u32, lenMax: u32 },
    digestAlgorithmIdResponse,
  ),
  HASH_GET_ALGORITHM: defineRpc('HASH_GET_ALGORITHM', { hash: u32 }, { alg: u32 }),
  HASH_INITIALIZE: defineRpc('HASH_INITIALIZE', { session: u32, alg: u32, key: bytes() }, { hash: u32 }),
  HASH_UPDATE: defineRpc('HASH_UPDATE', { hash: u32, data: bytes() }, {}),
  HASH_FINALIZE: defineRpc('HASH_FINALIZE', { hash: u32, length: u32 }, (a) => ({ digest: bytes(a.length) })),

  // §3.3 public-key calls
  PKEY_LOAD: defineRpc('PKEY_LOAD', { session: u32, der: bytes(), flags: u32 }, created),
  PKEY_OPEN: defineRpc('PKEY_OPEN', { session: u32, name: uuid }, { pkey: u32 }),
  PKEY_GENERATE_RSA: defineRpc(
    'PKEY_GENERATE_RSA',
    { session: u32, keyBits: u32, publicExponent: bytes(), flags: u32 },
    created,
  ),
  PKEY_GENERATE_EC: defineRpc('PKEY_GENERATE_EC', { session: u32, curve: u32, flags: u32 }, created),
  PKEY_CLOSE: defineRpc('PKEY_CLOSE', { pkey: u32 }, {}),
  PKEY_DELETE: defineRpc('PKEY_DELETE', { pkey: u32 }, {}),
  PKEY_GET_KEY_TYPE: defineRpc('PKEY_GET_KEY_TYPE', { pkey: u32 }, { type: u32 }),
  PKEY_GET_KEY_FLAGS: defineRpc('PKEY_GET_KEY_FLAGS', { pkey: u32 }, { flags: u32 }),
  /** Status is always 0; a length of 0 means the HSM could not answer (§3.3). */
  PKEY_GET_PUBLIC_KEY_LEN: defineRpc('PKEY_GET_PUBLIC_KEY_LEN', { pkey: u32 }, { length: u32 }),
  PKEY_GET_PUBLIC_KEY: defineRpc('PKEY_GET_PUBLIC_KEY', { pkey: u32, derMax: u32 }, (a) => ({
    der: bytes(a.derMax),
  })),
  PKEY_SIGN: defineRpc('PKEY_SIGN', { pkey: u32, hash: u32, input: bytes(), sigMax: u32 }, (a) => ({
    signature: bytes(a.sigMax),
  })),
  PKEY_VERIFY: defineRpc('PKEY_VERIFY', { pkey: u32, hash: u32, input: bytes(), signature: bytes() }, {}),
  PKEY_MATCH: defineRpc(
    'PKEY_MATCH',
    {
      session: u32,
      type: u32,
      curve: u32,
      mask: u32,
      flags: u32,
      attributes: list(attribute, 8),
      state: u32,
      resultMax: u32,
      previous: uuid,
    },
    (a) => ({ state: u32, names: list(uuid, 20, a.resultMax) }),
  ),
  PKEY_GET_KEY_CURVE: defineRpc('PKEY_GET_KEY_CURVE', { pkey: u32 }, { curve: u32 }),
  PKEY_SET_ATTRIBUTES: defineRpc(
    'PKEY_SET_ATTRIBUTES',
    { pkey: u32, attributes: list(attributeOrNil, 8) },
    {},
  ),
  PKEY_GET_ATTRIBUTES: defineRpc(
    'PKEY_GET_ATTRIBUTES',
    { pkey: u32, types: list(u32, 4), bufferLen: u32 },
    getAttributesResponse,
  ),
  // §5 transit-KEK export/import
  PKEY_EXPORT: defineRpc('PKEY_EXPORT', { pkey: u32, kekek: u32, pkcs8Max: u32, kekMax: u32 }, (a) => ({
    pkcs8: bytes(a.pkcs8Max),
    kek: bytes(a.kekMax),
  })),
  PKEY_IMPORT: defineRpc(
    'PKEY_IMPORT',
    { session: u32, kekek: u32, pkcs8: bytes(), kek: bytes(), flags: u32 },
    created,
  ),
  // §7.5
  PKEY_GENERATE_HASHSIG: defineRpc(
    'PKEY_GENERATE_HASHSIG',
    { session: u32, hssLevels: u32, lmsType: u32, lmotsType: u32, flags: u32 },
    created,
  ),
  // §9.2 (project definition): EXPORT and IMPORT without the KEKEK and KEK arguments
  EXPORT_RAW: defineRpc('EXPORT_RAW', { pkey: u32, derMax: u32 }, (a) => ({ blob: bytes(a.derMax) })),
  IMPORT_RAW: defineRpc('IMPORT_RAW', { session: u32, blob: bytes(), flags: u32 }, created),
  // §3.3, DKS only
  CHECK_TAMPER: defineRpc('CHECK_TAMPER', {}, {}),
} satisfies { [N in RpcName]: { name: N } };

export type RpcTable = typeof RPC;
/** What a client passes to `RPC[N].encodeRequest`. */
export type RpcArgs<N extends RpcName> = Parameters<RpcTable[N]['encodeRequest']>[0];
/** What a server passes to `RPC[N].encodeResponse`. */
export type RpcResult<N extends RpcName> = Parameters<RpcTable[N]['encodeResponse']>[1];
/** One decoded request, discriminated by `rpc`: `switch (call.rpc)` narrows `args`. */
export type RpcCall = { [N in RpcName]: { rpc: N; args: Decoded<RpcArgs<N>> } }[RpcName];

/**
 * Server side: decodes a request's arguments by its function code. An unknown code throws
 * `HsmProtocolError` with `halStatus` RPC_BAD_FUNCTION (30), truncated arguments throw `XdrOverflow`
 * (27), a key name that is not 16 bytes throws with KEY_NAME_TOO_LONG (31): answer each with
 * `encodeErrorResponse(header.func, header.client, err.halStatus)`, as libhal does (§3.1).
 */
export function decodeCall(header: RequestHeader): RpcCall {
  const name = rpcName(header.func);
  if (name === undefined)
    throw new HsmProtocolError(
      `function code ${header.func} is not a libhal RPC`,
      HalStatus.RPC_BAD_FUNCTION,
    );
  return { rpc: name, args: RPC[name].decodeRequest(header.reader) } as RpcCall;
}
