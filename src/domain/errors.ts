import type { ErrorCategory } from './error-category';

/**
 * The root of the domain's closed error taxonomy (docs/style.md §8): one class per refusal, each with a
 * string `type` (callers and the API map on it, never on class identity across a wire), a
 * `static readonly category` (see error-category.ts) and a message that says what was refused and
 * why. The root declares no category, so a refusal without one is caught by the categories spec
 * instead of silently becoming a 409.
 */
export abstract class DomainError extends Error {
  abstract readonly type: string;
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** A command field is missing or malformed (docs/style.md §9: name the field and the expectation). */
export class InvalidCommand extends DomainError {
  static readonly category: ErrorCategory = 'invalid';
  readonly type = 'invalid-command';
}

/**
 * The ledger's own history breaks an invariant (docs/architecture.md §3, e.g. two copies owning one hashsig
 * index). Never a user error: a bug or a tampered ledger, so it is not a `DomainError`.
 */
export class InvariantViolated extends Error {
  static readonly category: ErrorCategory = 'internal';
  readonly type = 'invariant-violated';
  constructor(message: string) {
    super(`ledger invariant violated: ${message}`);
    this.name = 'InvariantViolated';
  }
}

/** A command or event type the decider does not know: the `never` branch of every dispatch. */
export function unknownType(value: never, what: string): never {
  const type = (value as { type?: unknown } | null)?.type;
  throw new InvalidCommand(`unknown ${what} type ${JSON.stringify(type)}`);
}
