/** Refusals of the key custody decider (docs/style.md §8): what was refused, and why, with ids and times. */
import type { ErrorCategory } from '../error-category';
import { DomainError } from '../errors';
import { abbr } from '../format';

export class KeyNotFound extends DomainError {
  static readonly category: ErrorCategory = 'not-found';
  readonly type = 'key-not-found';
  constructor(readonly keyId: string) {
    super(`key ${keyId} is not in the ledger`);
  }
}

export class KeyAlreadyRecorded extends DomainError {
  static readonly category: ErrorCategory = 'conflict';
  readonly type = 'key-already-recorded';
  constructor(
    readonly keyId: string,
    at: string,
  ) {
    super(`key ${keyId} is already in the ledger (recorded ${at})`);
  }
}

export class KeyIsDestroyed extends DomainError {
  static readonly category: ErrorCategory = 'conflict';
  readonly type = 'key-destroyed';
  constructor(
    readonly keyId: string,
    at: string,
    refused: string,
  ) {
    super(`key ${keyId} was destroyed at ${at}: ${refused} refused`);
  }
}

export class KeyFrozen extends DomainError {
  static readonly category: ErrorCategory = 'conflict';
  readonly type = 'key-frozen';
  constructor(
    readonly keyId: string,
    at: string,
    detail: string,
    refused: string,
  ) {
    super(
      `key ${keyId} is frozen since ${at} (hashsig state reuse: ${detail}): ${refused} refused until an officer acts`,
    );
  }
}

export class KeyNotFrozen extends DomainError {
  static readonly category: ErrorCategory = 'conflict';
  readonly type = 'key-not-frozen';
  constructor(readonly keyId: string) {
    super(`key ${keyId} is not frozen`);
  }
}

export class NotExportable extends DomainError {
  static readonly category: ErrorCategory = 'conflict';
  readonly type = 'not-exportable';
  constructor(
    readonly keyId: string,
    refused: string,
  ) {
    super(
      `key ${keyId} was generated without EXPORTABLE: ${refused} refused (the HSM would answer FORBIDDEN)`,
    );
  }
}

export class NotHashsig extends DomainError {
  static readonly category: ErrorCategory = 'conflict';
  readonly type = 'not-hashsig';
  constructor(
    readonly keyId: string,
    keyType: string,
  ) {
    super(`key ${keyId} is an ${keyType} key: it has no hashsig index log`);
  }
}

export class UnknownCopy extends DomainError {
  static readonly category: ErrorCategory = 'not-found';
  readonly type = 'unknown-copy';
  constructor(
    readonly keyId: string,
    readonly copyId: string,
  ) {
    super(`key ${keyId} has no copy ${copyId}`);
  }
}

export class NotResident extends DomainError {
  static readonly category: ErrorCategory = 'conflict';
  readonly type = 'not-resident';
  constructor(
    readonly keyId: string,
    readonly hsmId: string,
    refused: string,
    detail?: string,
  ) {
    super(`${refused} refused: ${detail ?? `${hsmId} holds no copy of key ${keyId}`}`);
  }
}

export class AlreadyResident extends DomainError {
  static readonly category: ErrorCategory = 'conflict';
  readonly type = 'already-resident';
  constructor(
    readonly keyId: string,
    readonly hsmId: string,
    hsmKeyName: string,
    since: string,
    refused: string,
  ) {
    super(`${refused} refused: ${hsmId} already holds key ${keyId} (key name ${hsmKeyName}, since ${since})`);
  }
}

export class NoKekDomain extends DomainError {
  static readonly category: ErrorCategory = 'conflict';
  readonly type = 'no-kek-domain';
  constructor(
    readonly hsmId: string,
    refused: string,
  ) {
    super(
      `${refused} refused: ${hsmId} is in no KEK domain (join it by canary first, docs/architecture.md §4)`,
    );
  }
}

/** A raw blob only unwraps under the master KEK it was exported under (docs/libhal-rpc.md §9.2). */
export class WrongKekDomain extends DomainError {
  static readonly category: ErrorCategory = 'conflict';
  readonly type = 'wrong-kek-domain';
  constructor(
    readonly blobSha256: string,
    blobDomain: string,
    readonly hsmId: string,
    hsmDomain: string | null,
  ) {
    super(
      `wrong KEK domain: blob ${abbr(blobSha256)} is wrapped under KEK domain ${blobDomain}'s master KEK, but ${hsmId} is ${
        hsmDomain === null ? 'in no KEK domain' : `in KEK domain ${hsmDomain}`
      }; it cannot unwrap it`,
    );
  }
}

export class UnknownBlob extends DomainError {
  static readonly category: ErrorCategory = 'not-found';
  readonly type = 'unknown-blob';
  constructor(
    readonly keyId: string,
    readonly blobSha256: string,
  ) {
    super(`blob ${abbr(blobSha256)} is not a blob of key ${keyId}`);
  }
}

export class BlobNotImportable extends DomainError {
  static readonly category: ErrorCategory = 'conflict';
  readonly type = 'blob-not-importable';
  constructor(
    readonly blobSha256: string,
    why: string,
  ) {
    super(`blob ${abbr(blobSha256)} cannot be raw-imported: ${why}`);
  }
}

/** Hashsig: only the current blob of a copy may be imported (docs/architecture.md §3); `reason` names the holder. */
export class StaleBlob extends DomainError {
  static readonly category: ErrorCategory = 'conflict';
  readonly type = 'stale-blob';
  constructor(
    readonly blobSha256: string,
    reason: string,
  ) {
    super(`${reason}; importing it would reuse hashsig state`);
  }
}

export class BlobNotStored extends DomainError {
  static readonly category: ErrorCategory = 'conflict';
  readonly type = 'blob-not-stored';
  constructor(
    readonly blobSha256: string,
    why: string,
  ) {
    super(
      `blob ${abbr(blobSha256)} ${why}: store it in blob-${abbr(blobSha256)} before recording the export (docs/architecture.md §4)`,
    );
  }
}

export class BlobConflict extends DomainError {
  static readonly category: ErrorCategory = 'conflict';
  readonly type = 'blob-conflict';
  constructor(
    readonly blobSha256: string,
    why: string,
  ) {
    super(`blob ${abbr(blobSha256)} ${why}`);
  }
}

export class OperationInProgress extends DomainError {
  static readonly category: ErrorCategory = 'conflict';
  readonly type = 'operation-in-progress';
  constructor(
    readonly opId: string,
    refused: string,
    busy: string,
  ) {
    super(`${refused} refused: ${busy}; it must complete or fail first`);
  }
}

export class DuplicateOperation extends DomainError {
  static readonly category: ErrorCategory = 'conflict';
  readonly type = 'duplicate-operation';
  constructor(
    readonly opId: string,
    state: string,
  ) {
    super(`operation ${opId} already exists (${state}); each intent needs a fresh opId`);
  }
}

export class UnknownOperation extends DomainError {
  static readonly category: ErrorCategory = 'not-found';
  readonly type = 'unknown-operation';
  constructor(
    readonly opId: string,
    why: string,
  ) {
    super(`operation ${opId} ${why}`);
  }
}

/** A completion that contradicts the one already recorded for the operation. */
export class OperationClosed extends DomainError {
  static readonly category: ErrorCategory = 'conflict';
  readonly type = 'operation-closed';
  constructor(
    readonly opId: string,
    why: string,
  ) {
    super(`operation ${opId} ${why}`);
  }
}

export class HashsigExhausted extends DomainError {
  static readonly category: ErrorCategory = 'conflict';
  readonly type = 'hashsig-exhausted';
  constructor(
    readonly copyId: string,
    why: string,
  ) {
    super(`copy ${copyId} ${why}`);
  }
}

export class PartitionMismatch extends DomainError {
  static readonly category: ErrorCategory = 'conflict';
  readonly type = 'partition-mismatch';
  constructor(
    readonly opId: string,
    why: string,
  ) {
    super(`transfer ${opId}: ${why}`);
  }
}

export class StillResident extends DomainError {
  static readonly category: ErrorCategory = 'conflict';
  readonly type = 'still-resident';
  constructor(
    readonly keyId: string,
    holders: string,
  ) {
    super(
      `destroying key ${keyId} refused: it is still on ${holders}; delete it there first (RecordDeletedFromHsm)`,
    );
  }
}
