import type { ErrorCategory } from '../error-category';
import { DomainError } from '../errors';
import { abbr } from '../format';

export class KekDomainNotFound extends DomainError {
  static readonly category: ErrorCategory = 'not-found';
  readonly type = 'kek-domain-not-found';
  constructor(readonly kekDomainId: string) {
    super(`KEK domain ${kekDomainId} does not exist`);
  }
}

export class KekDomainAlreadyExists extends DomainError {
  static readonly category: ErrorCategory = 'conflict';
  readonly type = 'kek-domain-already-exists';
  constructor(
    readonly kekDomainId: string,
    createdAt: string,
  ) {
    super(`KEK domain ${kekDomainId} already exists (created ${createdAt})`);
  }
}

export class KekDomainIsRetired extends DomainError {
  static readonly category: ErrorCategory = 'conflict';
  readonly type = 'kek-domain-retired';
  constructor(
    readonly kekDomainId: string,
    retiredAt: string,
    refused: string,
  ) {
    super(`KEK domain ${kekDomainId} was retired at ${retiredAt}: ${refused} refused`);
  }
}

/** The HSM imported some other blob than the domain's canary: it proves nothing about this domain. */
export class WrongCanaryBlob extends DomainError {
  static readonly category: ErrorCategory = 'conflict';
  readonly type = 'wrong-canary-blob';
  constructor(
    readonly kekDomainId: string,
    readonly hsmId: string,
    presented: string,
    canary: string,
  ) {
    super(
      `${hsmId} cannot join KEK domain ${kekDomainId} with blob ${abbr(presented)}: the domain's canary blob is ${abbr(canary)}`,
    );
  }
}

/** The canary imported, but yielded another key: the HSM's master KEK is not the domain's. */
export class CanaryMismatch extends DomainError {
  static readonly category: ErrorCategory = 'conflict';
  readonly type = 'canary-mismatch';
  constructor(
    readonly kekDomainId: string,
    readonly hsmId: string,
    canaryBlobSha256: string,
    observedSha256: string,
    expectedSha256: string,
  ) {
    super(
      `${hsmId} cannot join KEK domain ${kekDomainId}: canary blob ${abbr(canaryBlobSha256)} yielded public key ${abbr(observedSha256)} on ${hsmId}, but the domain's canary public key is ${abbr(expectedSha256)}; ${hsmId} does not hold this domain's master KEK`,
    );
  }
}
