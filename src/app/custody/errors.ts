/**
 * Errors the custody service adds to the domain's taxonomy: ids it cannot resolve, input it cannot
 * process, and conditions only an HSM call can reveal. Each has a string `type` and declares its
 * category (src/domain/error-category.ts), so the API maps them like the domain's.
 */
import { DomainError, type ErrorCategory } from '../../domain';

/** An id or name the ledger does not know (key, HSM, KEK domain, blob). */
export class CustodyNotFound extends Error {
  static readonly category: ErrorCategory = 'not-found';
  readonly type = 'not-found';
}

/** Input the custody rules cannot process (the DTOs have checked its shape). */
export class CustodyInvalidInput extends Error {
  static readonly category: ErrorCategory = 'invalid';
  readonly type = 'invalid-input';
}

/**
 * Registration could not prove the endpoint the caller gave: it could not be reached (no
 * connection, the connection closed, no answer in time) or what answered did not speak the libhal
 * RPC protocol. The caller picks the endpoint, so the answer names the class of failure only: the
 * connect error's errno and address would make the API a port scanner. The adapter's error, with
 * all of that, goes to the service log (src/app/custody/hsm-admin.ts).
 */
export class HsmEndpointFailed extends Error {
  static readonly category: ErrorCategory = 'hsm-failure';
  readonly type: 'hsm-transport-error' | 'hsm-protocol-error';

  constructor(hsmName: string, failure: 'unreachable' | 'not-libhal') {
    super(
      `${hsmName} was not registered: ` +
        (failure === 'unreachable'
          ? 'the HSM at the given endpoint could not be reached (no connection, the connection closed, or no answer in time)'
          : 'what answered at the given endpoint did not speak the libhal RPC protocol'),
    );
    this.type = failure === 'unreachable' ? 'hsm-transport-error' : 'hsm-protocol-error';
  }
}

/** IMPORT_RAW / generation answered NO_KEY_SLOTS_AVAILABLE: the operation was failed cleanly. */
export class HsmFull extends DomainError {
  static readonly category: ErrorCategory = 'conflict';
  readonly type = 'hsm-full';
  /** `answered`: the HSM itself said NO_KEY_SLOTS_AVAILABLE (false: the pager refused without asking it). */
  constructor(hsmName: string, refused: string, hint = 'raw-export and evict a key first', answered = true) {
    super(
      `${hsmName} has no free key slot${answered ? ' (NO_KEY_SLOTS_AVAILABLE)' : ''}: ${refused} refused; ${hint}`,
    );
  }
}

/** The HSM could not unwrap a blob or canary: its master KEK is not the one the blob was wrapped under. */
export class KekMismatch extends DomainError {
  static readonly category: ErrorCategory = 'conflict';
  readonly type = 'kek-mismatch';
  constructor(hsmName: string, what: string, status: string) {
    super(`${hsmName} cannot unwrap ${what} (${status}): its master KEK is not the KEK domain's`);
  }
}

/** A hashsig signature was made but the ledger did not release it (key frozen, reuse, signer not holder). */
export class SignatureWithheld extends DomainError {
  static readonly category: ErrorCategory = 'conflict';
  readonly type = 'signature-withheld';
  constructor(keyId: string, outcome: string, detail: string) {
    super(`signature of key ${keyId} withheld (${outcome}): ${detail}`);
  }
}

/** The HSM holds something other than what the ledger expects, so the step cannot go on. */
export class HsmStateMismatch extends DomainError {
  static readonly category: ErrorCategory = 'conflict';
  readonly type = 'hsm-state-mismatch';
}

/**
 * A signature handed in as observed (POST /v1/keys/{keyId}/observed-signatures) that is not one of
 * this key: it does not parse for the key's parameters, a lower-level public key is not signed by
 * the key, or it does not verify over the message it came with. Nothing is recorded.
 */
export class ObservedSignatureRejected extends DomainError {
  static readonly category: ErrorCategory = 'invalid';
  readonly type = 'observed-signature-rejected';
  constructor(keyId: string, reason: string) {
    super(`the observed signature is not one of key ${keyId}: ${reason}; nothing was recorded`);
  }
}
