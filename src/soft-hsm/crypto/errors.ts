/**
 * The soft HSM crypto layer's closed error taxonomy. Every error names the libhal status
 * (`hal_error_t`, libhal-rpc.md §4.1) it stands for, so the RPC layer converts with one lookup
 * instead of dispatching on class identity.
 */
export abstract class SoftCryptoError extends Error {
  abstract readonly type: string;
  /** The libhal status code this failure is reported as. */
  abstract readonly halStatus: number;
}

/** A caller broke a precondition (wrong length, out-of-range number): HAL_ERROR_BAD_ARGUMENTS. */
export class CryptoArgumentError extends SoftCryptoError {
  readonly type = 'bad-arguments';
  readonly halStatus = 1;
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

export type KeywrapErrorKind = 'bad-magic' | 'bad-length' | 'bad-padding';

const KEYWRAP_STATUS: Record<KeywrapErrorKind, number> = {
  'bad-magic': 9,
  'bad-length': 10,
  'bad-padding': 11,
};

/**
 * RFC 5649 unwrap failed (HAL_ERROR_KEYWRAP_BAD_MAGIC / _BAD_LENGTH / _BAD_PADDING). The three
 * kinds are told apart the way libhal's `hal_aes_keyunwrap` does; none of them says more.
 */
export class KeywrapError extends SoftCryptoError {
  readonly type = 'keywrap';
  readonly halStatus: number;
  constructor(
    readonly kind: KeywrapErrorKind,
    message: string,
  ) {
    super(message);
    this.halStatus = KEYWRAP_STATUS[kind];
  }
}

/** DER input is malformed, truncated or not the expected structure: HAL_ERROR_ASN1_PARSE_FAILED. */
export class DerError extends SoftCryptoError {
  readonly type = 'asn1-parse-failed';
  readonly halStatus = 15;
  constructor(
    /** Offset into the outermost input where the problem was seen. */
    readonly offset: number,
    message: string,
  ) {
    super(`${message} (at offset ${offset})`);
  }
}

/** Well-formed DER naming an algorithm or curve the HSM does not do: HAL_ERROR_UNSUPPORTED_KEY. */
export class UnsupportedKeyError extends SoftCryptoError {
  readonly type = 'unsupported-key';
  readonly halStatus = 2;
}

/** Input does not fit the operation (e.g. DigestInfo longer than k − 11): HAL_ERROR_RESULT_TOO_LONG. */
export class ResultTooLongError extends SoftCryptoError {
  readonly type = 'result-too-long';
  readonly halStatus = 14;
}

/** A self-check failed (a signature that does not verify before release): HAL_ERROR_IMPOSSIBLE. */
export class CryptoSelfCheckError extends SoftCryptoError {
  readonly type = 'impossible';
  readonly halStatus = 12;
}
