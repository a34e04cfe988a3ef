/**
 * The refusals of the audit formats (docs/style.md §8): each has a string `type` and declares the
 * category the API answers it with (src/domain/error-category.ts). Notes and checkpoints are read
 * back from the ledger, which the service itself wrote, so one that does not parse or verify means
 * a tampered ledger or a bug: `internal`. A verifier key is typed in by an operator: `invalid`.
 * A caller's own bad arguments (text without its final newline, a size out of range) are the
 * shared ArgumentError of src/lib/errors.ts.
 */
import type { ErrorCategory } from '../domain/error-category';

/** A signed note that breaks c2sp.org/signed-note's format or our bounds. */
export class MalformedNote extends Error {
  static readonly category: ErrorCategory = 'internal';
  readonly type = 'malformed-note';
  constructor(readonly detail: string) {
    super(`malformed signed note: ${detail}`);
  }
}

/** No signature line of the note is by the verifier key (other keys' lines are ignored, per the spec). */
export class NoteNotVerified extends Error {
  static readonly category: ErrorCategory = 'internal';
  readonly type = 'note-not-verified';
  constructor(
    readonly key: string,
    readonly signatureCount: number,
  ) {
    super(`the note carries no signature by ${key} (it has ${signatureCount} signature lines by other keys)`);
  }
}

/** A signature line names the verifier key, but its signature does not verify: the whole note is refused. */
export class InvalidNoteSignature extends Error {
  static readonly category: ErrorCategory = 'internal';
  readonly type = 'invalid-note-signature';
  constructor(
    readonly key: string,
    readonly line: number,
    reason: string,
  ) {
    super(`signature line ${line} by ${key} does not verify: ${reason}`);
  }
}

/** A note signer (the HSM behind it) answered a signature that is not DER or does not verify. */
export class NoteSignerFailed extends Error {
  static readonly category: ErrorCategory = 'hsm-failure';
  readonly type = 'note-signer-failed';
  constructor(
    readonly key: string,
    reason: string,
  ) {
    super(`the signer of ${key} returned a bad signature: ${reason}`);
  }
}

/** A verifier key string that is not `<name>+<8 hex key ID>+<base64(0x02 ‖ P-256 SPKI)>`. */
export class MalformedVerifierKey extends Error {
  static readonly category: ErrorCategory = 'invalid';
  readonly type = 'malformed-verifier-key';
  constructor(readonly detail: string) {
    super(`malformed verifier key: ${detail}`);
  }
}

/** A note text that is not a c2sp.org/tlog-checkpoint body. */
export class MalformedCheckpoint extends Error {
  static readonly category: ErrorCategory = 'internal';
  readonly type = 'malformed-checkpoint';
  constructor(readonly detail: string) {
    super(`malformed checkpoint: ${detail}`);
  }
}
