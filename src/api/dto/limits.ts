/** Size limits of request fields (bytes after base64 decoding for binary fields). */
export const MAX_NAME = 128;
export const MAX_ENDPOINT = 1024;
export const MAX_PIN = 4096;
export const MAX_LABEL = 256;
/** A libhal RPC packet is at most 16 KiB (docs/libhal-rpc.md §1.5), so no blob can be larger. */
export const MAX_BLOB_BYTES = 16384;
/** RSA/EC sign a SHA-256 of the data; hashsig signs the data itself (libhal caps it at 16 KiB). */
export const MAX_SIGN_BYTES = 512 * 1024;
/** HSM and KEK domain references: an id or a name. */
export const REF = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
