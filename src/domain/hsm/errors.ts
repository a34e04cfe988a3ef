import type { ErrorCategory } from '../error-category';
import { DomainError } from '../errors';
import { abbr } from '../format';

export class HsmNotRegistered extends DomainError {
  static readonly category: ErrorCategory = 'not-found';
  readonly type = 'hsm-not-registered';
  constructor(readonly hsmId: string) {
    super(`HSM ${hsmId} is not registered`);
  }
}

export class HsmAlreadyRegistered extends DomainError {
  static readonly category: ErrorCategory = 'conflict';
  readonly type = 'hsm-already-registered';
  constructor(
    readonly hsmId: string,
    registeredAt: string,
  ) {
    super(`HSM ${hsmId} is already registered (since ${registeredAt})`);
  }
}

export class HsmIsDecommissioned extends DomainError {
  static readonly category: ErrorCategory = 'conflict';
  readonly type = 'hsm-decommissioned';
  constructor(
    readonly hsmId: string,
    at: string,
    refused: string,
  ) {
    super(`HSM ${hsmId} was decommissioned at ${at}: ${refused} refused`);
  }
}

export class HsmTampered extends DomainError {
  static readonly category: ErrorCategory = 'conflict';
  readonly type = 'hsm-tampered';
  constructor(
    readonly hsmId: string,
    at: string,
    detail: string,
    refused: string,
  ) {
    super(`HSM ${hsmId} reported tamper at ${at} (${detail}): ${refused} refused until it is zeroized`);
  }
}

/** An HSM's MKM holds one KEK: it leaves a domain only by zeroization. */
export class HsmInOtherKekDomain extends DomainError {
  static readonly category: ErrorCategory = 'conflict';
  readonly type = 'hsm-in-other-kek-domain';
  constructor(
    readonly hsmId: string,
    current: string,
    wanted: string,
  ) {
    super(`HSM ${hsmId} holds the master KEK of KEK domain ${current}; zeroize it before it joins ${wanted}`);
  }
}

export class HsmStillInKekDomain extends DomainError {
  static readonly category: ErrorCategory = 'conflict';
  readonly type = 'hsm-still-in-kek-domain';
  constructor(
    readonly hsmId: string,
    kekDomainId: string,
  ) {
    super(
      `HSM ${hsmId} cannot be decommissioned while it holds the master KEK of KEK domain ${kekDomainId} (it could still unwrap that domain's blobs); zeroize it first`,
    );
  }
}

/** The join's proof does not match the domain's canary. */
export class CanaryProofMismatch extends DomainError {
  static readonly category: ErrorCategory = 'conflict';
  readonly type = 'canary-proof-mismatch';
  constructor(
    readonly hsmId: string,
    kekDomainId: string,
    what: 'blob' | 'public key',
    presented: string,
    expected: string,
  ) {
    super(
      what === 'blob'
        ? `HSM ${hsmId} cannot join KEK domain ${kekDomainId}: it imported blob ${abbr(presented)}, but the domain's canary blob is ${abbr(expected)}`
        : `HSM ${hsmId} cannot join KEK domain ${kekDomainId}: the canary yielded public key ${abbr(presented)}, but the domain's canary public key is ${abbr(expected)}; ${hsmId} does not hold this domain's master KEK`,
    );
  }
}
