/**
 * libhal RPC constants, exactly as in docs/libhal-rpc.md. Section numbers below refer to it.
 * Values are plain numbers on the wire; the objects only give them names.
 */

/** RPC function codes (§3.2). 32/33 are the project's EXPORT_RAW/IMPORT_RAW (§9.2, inferred); 66 is DKS only. */
export const RpcFunc = {
  GET_VERSION: 0,
  GET_RANDOM: 1,
  SET_PIN: 2,
  LOGIN: 3,
  LOGOUT: 4,
  LOGOUT_ALL: 5,
  IS_LOGGED_IN: 6,
  HASH_GET_DIGEST_LEN: 7,
  HASH_GET_DIGEST_ALGORITHM_ID: 8,
  HASH_GET_ALGORITHM: 9,
  HASH_INITIALIZE: 10,
  HASH_UPDATE: 11,
  HASH_FINALIZE: 12,
  PKEY_LOAD: 13,
  PKEY_OPEN: 14,
  PKEY_GENERATE_RSA: 15,
  PKEY_GENERATE_EC: 16,
  PKEY_CLOSE: 17,
  PKEY_DELETE: 18,
  PKEY_GET_KEY_TYPE: 19,
  PKEY_GET_KEY_FLAGS: 20,
  PKEY_GET_PUBLIC_KEY_LEN: 21,
  PKEY_GET_PUBLIC_KEY: 22,
  PKEY_SIGN: 23,
  PKEY_VERIFY: 24,
  PKEY_MATCH: 25,
  PKEY_GET_KEY_CURVE: 26,
  PKEY_SET_ATTRIBUTES: 27,
  PKEY_GET_ATTRIBUTES: 28,
  PKEY_EXPORT: 29,
  PKEY_IMPORT: 30,
  PKEY_GENERATE_HASHSIG: 31,
  EXPORT_RAW: 32,
  IMPORT_RAW: 33,
  CHECK_TAMPER: 66,
} as const;
export type RpcName = keyof typeof RpcFunc;
export type RpcCode = (typeof RpcFunc)[RpcName];

const rpcNames = new Map<number, RpcName>(
  (Object.keys(RpcFunc) as RpcName[]).map((name) => [RpcFunc[name], name]),
);

/** The name of an RPC function code, or undefined for a code libhal does not define. */
export function rpcName(code: number): RpcName | undefined {
  return rpcNames.get(code);
}

/** `hal_key_type_t` (§4.2). 7 and 8 are internal hashsig records that PKEY_MATCH can return. */
export const KeyType = {
  NONE: 0,
  RSA_PRIVATE: 1,
  RSA_PUBLIC: 2,
  EC_PRIVATE: 3,
  EC_PUBLIC: 4,
  HASHSIG_PRIVATE: 5,
  HASHSIG_PUBLIC: 6,
  HASHSIG_LMS: 7,
  HASHSIG_LMOTS: 8,
} as const;

/** `hal_curve_name_t` (§4.2). */
export const Curve = { NONE: 0, P256: 1, P384: 2, P521: 3 } as const;

/** `hal_user_t` (§4.2). */
export const User = { NONE: 0, NORMAL: 1, SO: 2, WHEEL: 3 } as const;

/** `hal_digest_algorithm_t` (§4.2). */
export const DigestAlg = {
  NONE: 0,
  SHA1: 1,
  SHA224: 2,
  SHA256: 3,
  SHA512_224: 4,
  SHA512_256: 5,
  SHA384: 6,
  SHA512: 7,
} as const;

/** `hal_key_flags_t` bits (§4.3). */
export const KeyFlag = {
  USAGE_DIGITALSIGNATURE: 0x01,
  USAGE_KEYENCIPHERMENT: 0x02,
  USAGE_DATAENCIPHERMENT: 0x04,
  TOKEN: 0x08,
  PUBLIC: 0x10,
  EXPORTABLE: 0x20,
} as const;

/** Every defined flag bit; any other bit in a LOAD/GENERATE/IMPORT flags argument is BAD_ARGUMENTS (§4.3). */
export const KEY_FLAGS_ALL = 0x3f;

/** LMS type codes, RFC 8554 registry values (§4.4). */
export const LmsType = {
  RESERVED: 0,
  SHA256_N32_H5: 5,
  SHA256_N32_H10: 6,
  SHA256_N32_H15: 7,
  SHA256_N32_H20: 8,
  SHA256_N32_H25: 9,
} as const;

/** LM-OTS type codes, RFC 8554 registry values (§4.4). */
export const LmotsType = {
  RESERVED: 0,
  SHA256_N32_W1: 1,
  SHA256_N32_W2: 2,
  SHA256_N32_W4: 3,
  SHA256_N32_W8: 4,
} as const;

/** PKEY_MATCH scan state (§3.3 "Semantics worth knowing"). */
export const MatchState = { START: 0, TOKEN: 1, VOLATILE: 2, DONE: 3 } as const;

/** The "no handle" value for client, session, hash and pkey handles (§4.5). */
export const HAL_HANDLE_NONE = 0;

/** In PKEY_SET_ATTRIBUTES, this word in place of a value's length deletes the attribute (§2, §4.5). */
export const HAL_PKEY_ATTRIBUTE_NIL = 0xffffffff;

/** What GET_VERSION returns: "1.1.1.0" (§3.2). */
export const RPC_VERSION = 0x01010100;

/** Largest decoded payload, request or response (§1.5). */
export const HAL_RPC_MAX_PKT_SIZE = 16384;

/** Response header: function code, client handle, status (§3.1). */
export const RPC_RESPONSE_HEADER_SIZE = 12;

/** Request header: function code, client handle (§3.1). */
export const RPC_REQUEST_HEADER_SIZE = 8;

/** Key names are RFC 4122 UUIDs, sent as variable opaque of exactly this length (§2). */
export const HAL_UUID_SIZE = 16;

/** PIN length limits in bytes (§4.5). */
export const HAL_PIN_MIN_LENGTH = 4;
export const HAL_PIN_MAX_LENGTH = 4096;

/** The factory ("last-gasp") WHEEL PIN a blank HSM starts with (§4.5). */
export const HAL_FACTORY_WHEEL_PIN = 'YouReallyNeedToChangeThisPINRightNowWeAreNotKidding';

/** Largest wrapped key the firmware sizes buffers for; the usual `pkcs8_max`/`der_max` (§4.5, §5.2). */
export const HAL_KS_WRAPPED_KEYSIZE = 5480;
