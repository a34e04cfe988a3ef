/**
 * The soft HSM crypto layer's own refusals. Every error names the libhal status (`hal_error_t`,
 * docs/libhal-rpc.md §4.1) it stands for, so the RPC layer converts with one lookup instead of
 * dispatching on class identity. Bad arguments and DER failures are src/lib/errors.ts.
 */
export abstract class SoftCryptoError extends Error {
  abstract readonly type: string;
  /** The libhal status code this failure is reported as. */
  abstract readonly halStatus: number;
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
