/**
 * The closed error taxonomy of the shared helpers. Each class names one refusal with a string
 * `type`; `halStatus` is the libhal `hal_error_t` a libhal server answers for it (libhal-rpc.md
 * §4.1), as the adapter's HsmProtocolError carries it, so a server converts with one lookup
 * instead of dispatching on class identity.
 *
 * The service parses with these helpers only what an HSM handed it (public keys, signatures), so
 * there a parse failure is the HSM answering badly (`hsm-failure`); a broken precondition is a bug.
 */
import type { ErrorCategory } from '../domain/error-category';

/** A caller broke a precondition (wrong length, out-of-range number): HAL_ERROR_BAD_ARGUMENTS. */
export class ArgumentError extends Error {
  static readonly category: ErrorCategory = 'internal';
  readonly type = 'bad-arguments';
  readonly halStatus = 1;
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

/** DER input is malformed, truncated or not the expected structure: HAL_ERROR_ASN1_PARSE_FAILED. */
export class DerError extends Error {
  static readonly category: ErrorCategory = 'hsm-failure';
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

/** Well-formed DER naming an algorithm or curve we do not support: HAL_ERROR_UNSUPPORTED_KEY. */
export class UnsupportedKeyError extends Error {
  static readonly category: ErrorCategory = 'hsm-failure';
  readonly type = 'unsupported-key';
  readonly halStatus = 2;
}

/** RFC 8554 signature or public key bytes that do not parse: HAL_ERROR_INVALID_SIGNATURE. */
export class HashsigMalformed extends Error {
  static readonly category: ErrorCategory = 'hsm-failure';
  readonly type = 'hashsig-malformed';
  readonly halStatus = 17;
  constructor(
    readonly what: string,
    detail: string,
  ) {
    super(`malformed ${what}: ${detail}`);
  }
}

/** An LMS or LM-OTS type code outside RFC 8554 §4.1 / §5.1 (or not supported): HAL_ERROR_BAD_ARGUMENTS. */
export class HashsigUnsupportedType extends Error {
  static readonly category: ErrorCategory = 'hsm-failure';
  readonly type = 'hashsig-unsupported-type';
  readonly halStatus = 1;
  constructor(
    readonly family: 'lms' | 'lmots',
    readonly code: number,
    detail: string,
  ) {
    super(`unsupported ${family === 'lms' ? 'LMS' : 'LM-OTS'} type ${code}: ${detail}`);
  }
}
