import type { ErrorCategory } from '../error-category';
import { DomainError } from '../errors';
import { abbr } from '../format';

/** The stream already holds other bytes, or the bytes of another key, under this hash. */
export class BlobMismatch extends DomainError {
  static readonly category: ErrorCategory = 'conflict';
  readonly type = 'blob-mismatch';
  constructor(
    readonly sha256: string,
    why: string,
  ) {
    super(`blob ${abbr(sha256)} is already stored ${why}; a SHA-256 names one content`);
  }
}

/** The blob's key was destroyed: the stream takes no bytes any more (docs/architecture.md §2). */
export class BlobIsDestroyed extends DomainError {
  static readonly category: ErrorCategory = 'conflict';
  readonly type = 'blob-destroyed';
  constructor(
    readonly sha256: string,
    readonly keyId: string,
    at: string,
    refused: string,
  ) {
    super(`blob ${abbr(sha256)} was destroyed with key ${keyId} at ${at}: ${refused} refused`);
  }
}
