/**
 * The RPC dispatcher (libhal rpc_server.c hal_rpc_server_dispatch, docs/libhal-rpc.md §3.1, §1.5): one
 * decoded SLIP payload in, one response payload out, through the adapter's codec.
 *
 * - Unknown function (and 32/33 when raw export is off, and the DKS-only 66) → the 12-byte
 *   header with RPC_BAD_FUNCTION (30).
 * - Any failure → exactly the 12-byte header with the status.
 * - Truncated arguments → XDR_BUFFER_OVERFLOW (27), a key name that is not 16 bytes →
 *   KEY_NAME_TOO_LONG (31): answered, since function code and client word were readable.
 * - A frame shorter than 8 bytes has no client word to answer to: the caller must drop the
 *   connection (`{ drop: reason }`).
 * - Caller-sized results are pre-checked against the packet (RPC_PACKET_OVERFLOW, 29).
 */
import {
  decodeCall,
  decodeRequestHeader,
  encodeErrorResponse,
  RPC,
  type RpcCall,
} from '../../hsm-adapter/codec';
import type { Decoded } from '../../hsm-adapter/codec';
import type { RpcArgs, RpcResult } from '../../hsm-adapter/codec';
import {
  HAL_RPC_MAX_PKT_SIZE,
  RPC_RESPONSE_HEADER_SIZE,
  RpcFunc,
  type RpcName,
} from '../../hsm-adapter/constants';
import { HalStatus } from '../../hsm-adapter/errors';
import type { SoftHsm } from '../soft-hsm';
import { toStatusError } from '../status';

export type DispatchResult = { readonly reply: Buffer } | { readonly drop: string };

type Handler<N extends RpcName> = (
  hsm: SoftHsm,
  client: number,
  args: Decoded<RpcArgs<N>>,
) => RpcResult<N> | Promise<RpcResult<N>>;

/** The engine method behind each RPC the soft HSM serves. CHECK_TAMPER (DKS only) is not one. */
const HANDLERS: { readonly [N in RpcName]?: Handler<N> } = {
  GET_VERSION: (h, c, a) => h.getVersion(c, a),
  GET_RANDOM: (h, c, a) => h.getRandom(c, a),
  SET_PIN: (h, c, a) => h.setPin(c, a),
  LOGIN: (h, c, a) => h.login(c, a),
  LOGOUT: (h, c, a) => h.logout(c, a),
  LOGOUT_ALL: (h, c, a) => h.logoutAll(c, a),
  IS_LOGGED_IN: (h, c, a) => h.isLoggedIn(c, a),
  HASH_GET_DIGEST_LEN: (h, c, a) => h.hashGetDigestLen(c, a),
  HASH_GET_DIGEST_ALGORITHM_ID: (h, c, a) => h.hashGetDigestAlgorithmId(c, a),
  HASH_GET_ALGORITHM: (h, c, a) => h.hashGetAlgorithm(c, a),
  HASH_INITIALIZE: (h, c, a) => h.hashInitialize(c, a),
  HASH_UPDATE: (h, c, a) => h.hashUpdate(c, a),
  HASH_FINALIZE: (h, c, a) => h.hashFinalize(c, a),
  PKEY_LOAD: (h, c, a) => h.pkeyLoad(c, a),
  PKEY_OPEN: (h, c, a) => h.pkeyOpen(c, a),
  PKEY_GENERATE_RSA: (h, c, a) => h.pkeyGenerateRsa(c, a),
  PKEY_GENERATE_EC: (h, c, a) => h.pkeyGenerateEc(c, a),
  PKEY_CLOSE: (h, c, a) => h.pkeyClose(c, a),
  PKEY_DELETE: (h, c, a) => h.pkeyDelete(c, a),
  PKEY_GET_KEY_TYPE: (h, c, a) => h.pkeyGetKeyType(c, a),
  PKEY_GET_KEY_FLAGS: (h, c, a) => h.pkeyGetKeyFlags(c, a),
  PKEY_GET_PUBLIC_KEY_LEN: (h, c, a) => h.pkeyGetPublicKeyLen(c, a),
  PKEY_GET_PUBLIC_KEY: (h, c, a) => h.pkeyGetPublicKey(c, a),
  PKEY_SIGN: (h, c, a) => h.pkeySign(c, a),
  PKEY_VERIFY: (h, c, a) => h.pkeyVerify(c, a),
  PKEY_MATCH: (h, c, a) => h.pkeyMatch(c, a),
  PKEY_GET_KEY_CURVE: (h, c, a) => h.pkeyGetKeyCurve(c, a),
  PKEY_SET_ATTRIBUTES: (h, c, a) => h.pkeySetAttributes(c, a),
  PKEY_GET_ATTRIBUTES: (h, c, a) => h.pkeyGetAttributes(c, a),
  PKEY_EXPORT: (h, c, a) => h.pkeyExport(c, a),
  PKEY_IMPORT: (h, c, a) => h.pkeyImport(c, a),
  PKEY_GENERATE_HASHSIG: (h, c, a) => h.pkeyGenerateHashsig(c, a),
  EXPORT_RAW: (h, c, a) => h.exportRaw(c, a),
  IMPORT_RAW: (h, c, a) => h.importRaw(c, a),
};

/** Bytes available for results after the 12-byte header (§1.5). */
const RESULT_SPACE = HAL_RPC_MAX_PKT_SIZE - RPC_RESPONSE_HEADER_SIZE;
const padded = (n: number) => n + ((4 - (n % 4)) % 4);

/**
 * §1.5: the result size a caller asked for must fit the packet, else RPC_PACKET_OVERFLOW before
 * the call runs. Returns the bytes the results would need, or undefined for calls with no
 * caller-sized result.
 */
function requestedResultSize(call: RpcCall): number | undefined {
  switch (call.rpc) {
    case 'GET_RANDOM':
    case 'HASH_FINALIZE':
      return 4 + padded(call.args.length);
    case 'HASH_GET_DIGEST_ALGORITHM_ID':
      return 4 + padded(call.args.lenMax);
    case 'PKEY_GET_PUBLIC_KEY':
    case 'EXPORT_RAW':
      return 4 + padded(call.args.derMax);
    case 'PKEY_SIGN':
      return 4 + padded(call.args.sigMax);
    case 'PKEY_EXPORT':
      return 8 + padded(call.args.pkcs8Max) + padded(call.args.kekMax);
    case 'PKEY_MATCH':
      return 8 + 20 * call.args.resultMax;
    case 'PKEY_GET_ATTRIBUTES':
      return 4 * (1 + 2 * call.args.types.length) + call.args.bufferLen;
    default:
      return undefined;
  }
}

export interface DispatcherOptions {
  /** One short line per unexpected failure (never secrets). */
  readonly log?: (line: string) => void;
}

export class RpcDispatcher {
  private readonly log: (line: string) => void;

  constructor(
    private readonly hsm: SoftHsm,
    options: DispatcherOptions = {},
  ) {
    this.log = options.log ?? (() => undefined);
  }

  /** Never throws: every outcome is a reply payload or a reason to drop the connection. */
  async dispatch(frame: Uint8Array): Promise<DispatchResult> {
    let header;
    try {
      header = decodeRequestHeader(frame);
    } catch {
      return { drop: `request of ${frame.length} bytes is shorter than the 8-byte header` };
    }
    const { func, client } = header;
    const error = (status: number) => ({ reply: encodeErrorResponse(func, client, status) });
    const rawOff = !this.hsm.rawExport && (func === RpcFunc.EXPORT_RAW || func === RpcFunc.IMPORT_RAW);
    if (rawOff || func === RpcFunc.CHECK_TAMPER) return error(HalStatus.RPC_BAD_FUNCTION);
    let call: RpcCall;
    try {
      call = decodeCall(header);
    } catch (e) {
      const status = (e as { halStatus?: unknown }).halStatus;
      return error(typeof status === 'number' && status > 0 ? status : HalStatus.RPC_PROTOCOL_ERROR);
    }
    const size = requestedResultSize(call);
    if (size !== undefined && size > RESULT_SPACE) return error(HalStatus.RPC_PACKET_OVERFLOW);
    const handler = HANDLERS[call.rpc] as Handler<RpcName> | undefined;
    if (!handler) return error(HalStatus.RPC_BAD_FUNCTION);
    try {
      const result = await handler(this.hsm, client, call.args as never);
      return { reply: this.encode(call, client, result) };
    } catch (e) {
      const { error: status, unexpected } = toStatusError(e, call.rpc);
      if (unexpected)
        this.log(
          `soft-hsm: ${call.rpc} failed unexpectedly: ${String((e as Error)?.message ?? e).slice(0, 200)}`,
        );
      return error(status.code);
    }
  }

  private encode(call: RpcCall, client: number, result: unknown): Buffer {
    const rpc = RPC[call.rpc] as { encodeResponse(client: number, result: unknown, args: unknown): Buffer };
    try {
      return rpc.encodeResponse(client, result, call.args);
    } catch {
      // A result larger than the packet despite the pre-checks (e.g. a PKEY_MATCH page of
      // names): answer what libhal's bounded encoder would.
      return encodeErrorResponse(RpcFunc[call.rpc], client, HalStatus.RPC_PACKET_OVERFLOW);
    }
  }
}
