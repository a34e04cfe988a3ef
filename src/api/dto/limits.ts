/** Size limits of requests and their fields (bytes after base64 decoding for binary fields). */

/**
 * JSON request bodies above this are refused with 413 (src/api/http.ts). Kept here, with no import,
 * so the CLI can pack `POST /v1/sign` batches under it without loading Nest.
 */
export const BODY_LIMIT_BYTES = 1024 * 1024;
export const MAX_NAME = 128;
export const MAX_ENDPOINT = 1024;
export const MAX_PIN = 4096;
export const MAX_LABEL = 256;
/** A libhal RPC packet is at most 16 KiB (docs/libhal-rpc.md §1.5), so no blob can be larger. */
export const MAX_BLOB_BYTES = 16384;
/** RSA/EC sign a SHA-256 of the data; hashsig signs the data itself (libhal caps it at 16 KiB). */
export const MAX_SIGN_BYTES = 512 * 1024;
/** An observed HSS signature: above the largest one a libhal key makes (L = 8, H25, W2: 41,196 bytes). */
export const MAX_OBSERVED_SIGNATURE_BYTES = 48 * 1024;
/** HSM and KEK domain references: an id or a name. */
export const REF = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
/** Items of one `POST /v1/sign` batch (the whole body still stays within the 1 MiB body limit). */
export const MAX_SIGN_BATCH = 256;
