/** Key custody events (docs/architecture.md §2 `key-<keyId>`), past tense, each carrying `keyId` and `at`. */
import type { IndexPath, Partition, Range, ReuseRule } from '../hashsig';
import type { Event } from '../message';
import type { LoggedIndex, MoveReason } from './commands';
import type { BackupProvenance, KeySpec, ObservedAlarm, OpenOp } from './state';

/**
 * `range`: hashsig copy `copyId` owns `[0, 2^h)`; null for RSA/EC. `provenance`: the key was not
 * generated but imported from a cryptech_backup file (absent for a generated key).
 */
export type KeyGenerated = Event<
  'KeyGenerated',
  {
    readonly keyId: string;
    readonly hsmId: string;
    readonly hsmName: string;
    readonly flags: number;
    readonly publicKey: string;
    readonly attributes: Readonly<Record<string, string>>;
    readonly copyId: string;
    readonly range: Range | null;
    readonly provenance?: BackupProvenance;
    readonly at: string;
  } & KeySpec
>;

/** A known RSA/EC key arrived on `hsmId` from a cryptech_backup file (docs/libhal-rpc.md §8). */
export type KeyBackupImported = Event<
  'KeyBackupImported',
  {
    readonly keyId: string;
    readonly hsmId: string;
    readonly hsmName: string;
    readonly copyId: string;
    readonly provenance: BackupProvenance;
    readonly at: string;
  }
>;

/** The key left `hsmId` in a cryptech_backup file, wrapped to the KEKEK whose SPKI hashes to `kekekSpkiSha256`. */
export type KeyBackupExported = Event<
  'KeyBackupExported',
  {
    readonly keyId: string;
    readonly hsmId: string;
    readonly copyId: string;
    readonly fileSha256: string;
    readonly kekekSpkiSha256: string;
    readonly sourceUuid: string;
    readonly at: string;
  }
>;

/** `reason`: set when the move was not an operator's own request (`paging`). */
export type KeyRawExportStarted = Event<
  'KeyRawExportStarted',
  {
    readonly keyId: string;
    readonly opId: string;
    readonly hsmId: string;
    readonly copyId: string;
    readonly kekDomainId: string;
    readonly reason?: MoveReason;
    readonly at: string;
  }
>;

/**
 * The blob is current; `supersedes` lists the blobs of the same copy it replaces. Hashsig: the
 * blob holds `range` (the copy's whole remaining range) and the HSM's copy is disabled.
 */
export type KeyRawExported = Event<
  'KeyRawExported',
  {
    readonly keyId: string;
    readonly opId: string;
    readonly hsmId: string;
    readonly blobSha256: string;
    readonly kekDomainId: string;
    readonly copyId: string;
    readonly range: Range | null;
    readonly supersedes: readonly string[];
    readonly at: string;
  }
>;

/** `lostCopyId`: a hashsig copy whose only holder this was (deleted without a raw export). */
export type KeyDeletedFromHsm = Event<
  'KeyDeletedFromHsm',
  {
    readonly keyId: string;
    readonly hsmId: string;
    readonly hsmName: string;
    readonly copyId: string;
    readonly reason: string;
    readonly lostCopyId: string | null;
    readonly at: string;
  }
>;

export type KeyRawImportStarted = Event<
  'KeyRawImportStarted',
  {
    readonly keyId: string;
    readonly opId: string;
    readonly hsmId: string;
    readonly blobSha256: string;
    readonly copyId: string;
    readonly kekDomainId: string;
    readonly reason?: MoveReason;
    readonly at: string;
  }
>;

export type KeyRawImported = Event<
  'KeyRawImported',
  {
    readonly keyId: string;
    readonly opId: string;
    readonly hsmId: string;
    readonly hsmName: string;
    readonly blobSha256: string;
    readonly copyId: string;
    readonly at: string;
  }
>;

/**
 * The intent is released. A transfer that failed after its export abandons the transit blob and,
 * for hashsig, loses the exported copy: its range is never signed from again.
 */
export type KeyOperationFailed = Event<
  'KeyOperationFailed',
  {
    readonly keyId: string;
    readonly opId: string;
    readonly kind: OpenOp['kind'];
    readonly reason: string;
    readonly abandonedBlobSha256: string | null;
    readonly lostCopyId: string | null;
    readonly at: string;
  }
>;

/** A transfer's intent, before the KEKEK exists (see PrepareTransfer). */
export type KeyTransferPrepared = Event<
  'KeyTransferPrepared',
  {
    readonly keyId: string;
    readonly opId: string;
    readonly fromHsm: string;
    readonly toHsm: string;
    readonly copyId: string;
    readonly priorKekekNames: readonly string[];
    readonly at: string;
  }
>;

/** Provenance of the transit KEK (docs/architecture.md §4): which HSM generated it, when, its SPKI hash. */
export type KekekGenerated = Event<
  'KekekGenerated',
  {
    readonly keyId: string;
    readonly opId: string;
    readonly hsmId: string;
    readonly kekekName: string;
    readonly spkiSha256: string;
    readonly at: string;
  }
>;

export type KeyTransferStarted = Event<
  'KeyTransferStarted',
  {
    readonly keyId: string;
    readonly opId: string;
    readonly fromHsm: string;
    readonly toHsm: string;
    readonly copyId: string;
    readonly kekekName: string;
    readonly kekekSpkiSha256: string;
    readonly at: string;
  }
>;

/** Hashsig: the source copy now owns `partition.sourceRange`; new copy `copyId` owns the rest. */
export type KeyTransitExported = Event<
  'KeyTransitExported',
  {
    readonly keyId: string;
    readonly opId: string;
    readonly fromHsm: string;
    readonly toHsm: string;
    readonly sourceCopyId: string;
    readonly copyId: string;
    readonly partition: Partition | null;
    readonly transitBlobSha256: string;
    readonly at: string;
  }
>;

export type KeyTransitImported = Event<
  'KeyTransitImported',
  {
    readonly keyId: string;
    readonly opId: string;
    readonly toHsm: string;
    readonly hsmName: string;
    readonly copyId: string;
    readonly transitBlobSha256: string;
    readonly at: string;
  }
>;

type SignatureBatch = {
  readonly keyId: string;
  readonly copyId: string;
  readonly hsmId: string;
  readonly indexPaths: readonly IndexPath[];
  readonly signatureSha256s: readonly string[];
  readonly at: string;
};

export type HashsigSignaturesReleased = Event<'HashsigSignaturesReleased', SignatureBatch>;

/** Indices used but signatures not released: the key is frozen, or the signer is not the copy's holder. */
export type HashsigSignaturesWithheld = Event<
  'HashsigSignaturesWithheld',
  SignatureBatch & { readonly reason: 'key-frozen' | 'signer-not-holder'; readonly detail: string }
>;

/** Proof of state reuse (docs/architecture.md §3): nothing in the batch is released and the key is frozen. */
export type HashsigReuseDetected = Event<
  'HashsigReuseDetected',
  SignatureBatch & {
    readonly offending: {
      readonly position: number;
      readonly indexPath: IndexPath;
      readonly rule: ReuseRule;
    };
    readonly detail: string;
  }
>;

/**
 * A signature of the key seen outside the ledger that its index log does not account for
 * (docs/architecture.md §3 "Observed signatures"): the key is frozen. `outcome` says why (`ObservedAlarm`);
 * `logged` is what the index log holds for the path; `copyId` the copy the path belongs to, null
 * when none accounts for it; `messageSha256` null when the signature came without its message and
 * was not verified.
 */
export type HashsigReuseObserved = Event<
  'HashsigReuseObserved',
  {
    readonly keyId: string;
    readonly copyId: string | null;
    readonly indexPath: IndexPath;
    readonly signatureSha256: string;
    readonly messageSha256: string | null;
    readonly outcome: ObservedAlarm;
    readonly logged: readonly LoggedIndex[];
    readonly detail: string;
    readonly at: string;
  }
>;

export type KeyUnfrozen = Event<
  'KeyUnfrozen',
  { readonly keyId: string; readonly officerId: string; readonly reason: string; readonly at: string }
>;

export type KeyPinChanged = Event<
  'KeyPinChanged',
  { readonly keyId: string; readonly pinned: boolean; readonly at: string }
>;

/** Every blob listed is destroyed: the handler tombstones their `blob-<sha>` streams (docs/architecture.md §2). */
export type KeyDestroyed = Event<
  'KeyDestroyed',
  {
    readonly keyId: string;
    readonly blobSha256s: readonly string[];
    readonly reason: string;
    readonly at: string;
  }
>;

export type KeyEvent =
  | KeyGenerated
  | KeyBackupImported
  | KeyBackupExported
  | KeyRawExportStarted
  | KeyRawExported
  | KeyDeletedFromHsm
  | KeyRawImportStarted
  | KeyRawImported
  | KeyOperationFailed
  | KeyTransferPrepared
  | KekekGenerated
  | KeyTransferStarted
  | KeyTransitExported
  | KeyTransitImported
  | HashsigSignaturesReleased
  | HashsigSignaturesWithheld
  | HashsigReuseDetected
  | HashsigReuseObserved
  | KeyUnfrozen
  | KeyPinChanged
  | KeyDestroyed;

const TYPES: Readonly<Record<KeyEvent['type'], true>> = {
  KeyGenerated: true,
  KeyBackupImported: true,
  KeyBackupExported: true,
  KeyRawExportStarted: true,
  KeyRawExported: true,
  KeyDeletedFromHsm: true,
  KeyRawImportStarted: true,
  KeyRawImported: true,
  KeyOperationFailed: true,
  KeyTransferPrepared: true,
  KekekGenerated: true,
  KeyTransferStarted: true,
  KeyTransitExported: true,
  KeyTransitImported: true,
  HashsigSignaturesReleased: true,
  HashsigSignaturesWithheld: true,
  HashsigReuseDetected: true,
  HashsigReuseObserved: true,
  KeyUnfrozen: true,
  KeyPinChanged: true,
  KeyDestroyed: true,
};

/** For handlers narrowing events read from `key-<keyId>`. */
export function isKeyEvent(event: { readonly type: string }): event is KeyEvent {
  return Object.hasOwn(TYPES, event.type);
}
