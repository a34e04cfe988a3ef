/** Refusals of a report request (docs/architecture.md §7), each with its category (docs/style.md §8). */
import type { ErrorCategory } from '../../domain/error-category';

/** No report has that name; the message lists the ones there are. */
export class UnknownReport extends Error {
  static readonly category: ErrorCategory = 'not-found';
  readonly type = 'unknown-report';
  constructor(name: string, known: readonly string[]) {
    super(
      `there is no report named ${JSON.stringify(name.slice(0, 80))}; the reports are: ${known.join(', ')}`,
    );
  }
}

/** The key a report is about is not in the ledger as of the report's position. */
export class ReportKeyNotFound extends Error {
  static readonly category: ErrorCategory = 'not-found';
  readonly type = 'key-not-found';
  constructor(keyId: string, position: number) {
    super(`key ${JSON.stringify(keyId.slice(0, 128))} is not in the ledger as of position ${position}`);
  }
}

/** A report asked for with a parameter it does not take, or without one it needs. */
export class ReportInputInvalid extends Error {
  static readonly category: ErrorCategory = 'invalid';
  readonly type = 'invalid-input';
}
