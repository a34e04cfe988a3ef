/** The `Hsm` client's public types and defaults (docs/libhal-rpc.md §3.3, §5.2). */
import { HAL_RPC_MAX_PKT_SIZE, RPC_RESPONSE_HEADER_SIZE, type User } from './constants';
import type { Endpoint } from './transport';

export type HalUser = typeof User.NORMAL | typeof User.SO | typeof User.WHEEL;

/** A key on the HSM: the handle to use it now, and its name. */
export interface KeyRef {
  readonly handle: number;
  readonly uuid: string;
}

/** What to sign or verify: the input bytes (RSA: DigestInfo; ECDSA: digest; hashsig: message), or a hash handle (§3.3). */
export type SignInput = { readonly data: Uint8Array } | { readonly hash: number };

export interface MatchFilter {
  /** Key type (KeyType), 0 = any. */
  readonly type?: number;
  /** Curve, 0 = any. */
  readonly curve?: number;
  /** Flag bits that must equal `flags`' (§3.3: `((flags ^ key.flags) & mask) == 0`). */
  readonly mask?: number;
  readonly flags?: number;
  /** Attributes the key must have with exactly these values. */
  readonly attributes?: readonly { readonly type: number; readonly value: Uint8Array }[];
  /** Names per PKEY_MATCH page (`result_max`). Default 64. */
  readonly pageSize?: number;
}

export interface AttributeUpdate {
  readonly type: number;
  /** null deletes the attribute (sent as NIL, §2). */
  readonly value: Uint8Array | null;
}

export interface HsmOptions {
  /** `unix:/path`, `tcp://host:port` or an in-process HSM. Default: muxd's socket (`defaultEndpoint()`). */
  readonly endpoint?: Endpoint;
  /** Log in as this user (default NORMAL when `pin` is given). */
  readonly user?: HalUser;
  readonly pin?: string | Uint8Array;
  /** Connections kept open. Default 3. */
  readonly poolSize?: number;
  /** Wait for a response, in ms. Default 30000. */
  readonly timeoutMs?: number;
  /** Wait for key generation, import and deletion (hashsig trees are rebuilt), in ms. Default 600000. */
  readonly slowTimeoutMs?: number;
  /** Wait for a socket to connect, in ms. Default 10000. */
  readonly connectTimeoutMs?: number;
}

export const DEFAULT_TIMEOUT_MS = 30_000;
export const DEFAULT_SLOW_TIMEOUT_MS = 600_000;
/** Names per PKEY_MATCH page unless the filter says otherwise. */
export const DEFAULT_MATCH_PAGE = 64;
/** Largest `result_max` whose page fits the response: 8 + 20·n ≤ 16372 (§3.3). */
export const MAX_MATCH_PAGE = Math.floor((HAL_RPC_MAX_PKT_SIZE - RPC_RESPONSE_HEADER_SIZE - 8) / 20);
/** Largest caller-sized byte result: a 4-byte length and the bytes after the 12-byte header (§1.5). */
export const MAX_RESULT_BYTES = HAL_RPC_MAX_PKT_SIZE - RPC_RESPONSE_HEADER_SIZE - 4;
/** Default `kek_max` for EXPORT: room for a KEKEK of up to 8000 bits (§5.2). */
export const DEFAULT_KEK_MAX = 1024;
