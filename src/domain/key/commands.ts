/**
 * Key custody commands (docs/architecture.md §2 `key-<keyId>`, §4). Time (`at`) and every id (opId, copyId,
 * the HSM's key names) come in on the command; facts other streams hold (the HSM's KEK domain,
 * whether a blob's bytes are stored) are read by the handler and passed in.
 */
import type { IndexPath, Partition } from '../hashsig';
import type { Command } from '../message';
import type { BackupProvenance, Kekek, KeySpec } from './state';

/**
 * Generated on an HSM, or first recorded (an existing key taken into custody): `provenance` when it
 * came in from a cryptech_backup file (PKEY_IMPORT under the file's KEKEK), absent when generated.
 */
export type RecordGeneratedKey = Command<
  'RecordGeneratedKey',
  {
    readonly keyId: string;
    readonly hsmId: string;
    /** The HSM's UUID for the key (PKEY_GENERATE_* result). */
    readonly hsmName: string;
    readonly flags: number;
    readonly publicKey: string;
    readonly attributes: Readonly<Record<string, string>>;
    readonly copyId: string;
    readonly provenance?: BackupProvenance;
    readonly at: string;
  } & KeySpec
>;

/**
 * A cryptech_backup file brought a key the ledger already holds onto `hsmId` (PKEY_IMPORT done,
 * attributes re-applied): RSA/EC only, on an HSM that does not hold it yet.
 */
export type RecordBackupImport = Command<
  'RecordBackupImport',
  {
    readonly keyId: string;
    readonly hsmId: string;
    readonly hsmKeyName: string;
    readonly provenance: BackupProvenance;
    readonly at: string;
  }
>;

/**
 * The key was written to a cryptech_backup file (PKEY_EXPORT from `hsmId` under the file's
 * KEKEK): a copy of it now exists outside every HSM, readable by whoever holds that KEKEK.
 */
export type RecordBackupExport = Command<
  'RecordBackupExport',
  {
    readonly keyId: string;
    readonly hsmId: string;
    readonly fileSha256: string;
    readonly kekekSpkiSha256: string;
    /** The key's name on `hsmId`: the entry's `uuid` in the file. */
    readonly sourceUuid: string;
    readonly at: string;
  }
>;

/**
 * Why a key moved, when the move was not an operator's own request: `paging` (the pager made room
 * on an HSM or brought a key in to use it, docs/architecture.md §4 "Key paging").
 */
export type MoveReason = 'paging';

export const MOVE_REASONS: readonly MoveReason[] = ['paging'];

/** `hsmKekDomainId`: the HSM's KEK domain (`kekDomainOf`), which will wrap the blob. */
export type StartRawExport = Command<
  'StartRawExport',
  {
    readonly keyId: string;
    readonly opId: string;
    readonly hsmId: string;
    readonly hsmKekDomainId: string | null;
    readonly reason?: MoveReason;
    readonly at: string;
  }
>;

/** What `blob-<sha>` holds (`storedBlobFact` of the blob module); null when the stream is empty. */
export type StoredBlobFact = {
  readonly sha256: string;
  readonly keyId: string;
  readonly kind: 'raw' | 'transit';
};

export type CompleteRawExport = Command<
  'CompleteRawExport',
  {
    readonly keyId: string;
    readonly opId: string;
    readonly blobSha256: string;
    readonly kekDomainId: string;
    /** docs/architecture.md §4: the blob stream is written before KeyRawExported, so bytes never live only in memory. */
    readonly storedBlob: StoredBlobFact | null;
    readonly at: string;
  }
>;

/** PKEY_DELETE done (eviction, the raw-export obligation, zeroization, drift): a fact. */
export type RecordDeletedFromHsm = Command<
  'RecordDeletedFromHsm',
  { readonly keyId: string; readonly hsmId: string; readonly reason: string; readonly at: string }
>;

export type StartRawImport = Command<
  'StartRawImport',
  {
    readonly keyId: string;
    readonly opId: string;
    readonly hsmId: string;
    readonly blobSha256: string;
    readonly hsmKekDomainId: string | null;
    readonly reason?: MoveReason;
    readonly at: string;
  }
>;

export type CompleteRawImport = Command<
  'CompleteRawImport',
  { readonly keyId: string; readonly opId: string; readonly hsmKeyName: string; readonly at: string }
>;

/** Process manager after a crash, when what the HSM shows says the step did not happen. */
export type FailOperation = Command<
  'FailOperation',
  { readonly keyId: string; readonly opId: string; readonly reason: string; readonly at: string }
>;

/**
 * The intent of a transfer, recorded BEFORE the destination generates the KEKEK (docs/architecture.md §4), so
 * a crash right after PKEY_GENERATE_RSA leaves an open op the process manager finds.
 * `priorKekekNames`: the destination's RSA_PRIVATE keys with KEYENCIPHERMENT (PKEY_MATCH) just
 * before the KEKEK is generated; recovery treats only a key that appeared since (and that the
 * ledger does not know) as this op's orphaned KEKEK.
 */
export type PrepareTransfer = Command<
  'PrepareTransfer',
  {
    readonly keyId: string;
    readonly opId: string;
    readonly fromHsm: string;
    readonly toHsm: string;
    readonly priorKekekNames: readonly string[];
    readonly at: string;
  }
>;

/**
 * The destination generated the KEKEK (`kekek.hsmId` = `toHsm`) after PrepareTransfer for the
 * same `opId`, before the source exports to it.
 */
export type StartTransfer = Command<
  'StartTransfer',
  {
    readonly keyId: string;
    readonly opId: string;
    readonly fromHsm: string;
    readonly toHsm: string;
    readonly kekek: Kekek;
    readonly at: string;
  }
>;

/**
 * PKEY_EXPORT done and its output stored. Hashsig: `partition` as libhal split the source
 * (docs/libhal-rpc.md §7.6; `transitPartition` computes it) and `newCopyId` for the exported range;
 * both null for RSA/EC.
 */
export type CompleteTransitExport = Command<
  'CompleteTransitExport',
  {
    readonly keyId: string;
    readonly opId: string;
    readonly transitBlobSha256: string;
    readonly storedBlob: StoredBlobFact | null;
    readonly partition: Partition | null;
    readonly newCopyId: string | null;
    readonly at: string;
  }
>;

export type CompleteTransitImport = Command<
  'CompleteTransitImport',
  { readonly keyId: string; readonly opId: string; readonly hsmName: string; readonly at: string }
>;

/**
 * Before a hashsig signature is released (docs/architecture.md §3 "Index log"): its index path and SHA-256.
 * The handler releases the signatures only if the decision is HashsigSignaturesReleased.
 */
export type RecordHashsigSignatures = Command<
  'RecordHashsigSignatures',
  {
    readonly keyId: string;
    readonly copyId: string;
    readonly hsmId: string;
    readonly indexPaths: readonly IndexPath[];
    readonly signatureSha256s: readonly string[];
    readonly at: string;
    /**
     * Test-only (`KEYLEDGER_TEST_SKIP_INDEX_CHECK`, docs/architecture.md §3 "Index log"): release without judging the
     * paths against the index log — the deliberately broken build the model-based test must catch.
     */
    readonly unsafeSkipIndexCheck?: true;
  }
>;

/** One record of an index path in the key's index log, as `observationHistory` finds it. */
export type LoggedIndex = {
  /** Released, or used but not released (withheld, or part of a batch flagged as reuse). */
  readonly recordedAs: 'HashsigSignaturesReleased' | 'HashsigSignaturesWithheld' | 'HashsigReuseDetected';
  readonly copyId: string;
  readonly hsmId: string;
  readonly signatureSha256: string;
  readonly at: string;
};

/**
 * What the key's own stream says about one observed signature, read by the handler with the
 * domain's `observationHistory` over the key's events (the state keeps only each copy's log head).
 */
export type ObservationHistory = {
  /** Every record of this exact index path in the index log, oldest first (at most MAX_LOGGED_PER_PATH). */
  readonly logged: readonly LoggedIndex[];
  /** When this same signature (by SHA-256) was recorded as observed before; null if never. */
  readonly observedAt: string | null;
  /** HashsigReuseObserved events the key has. */
  readonly alarmsRecorded: number;
};

/**
 * A signature of the key seen outside the ledger (a relying party or monitor handed it in,
 * docs/architecture.md §3 "Observed signatures"). The handler has parsed it for the key's parameters and, when
 * the message came with it, verified it; `messageSha256` is null for a signature observed without
 * its message (judged on its index path and hash alone).
 */
export type RecordObservedSignature = Command<
  'RecordObservedSignature',
  {
    readonly keyId: string;
    readonly indexPath: IndexPath;
    readonly signatureSha256: string;
    readonly messageSha256: string | null;
    readonly history: ObservationHistory;
    readonly at: string;
  }
>;

/** The officer's act that ends a freeze (docs/architecture.md §3; dual control is the app's, docs/architecture.md §5). */
export type UnfreezeKey = Command<
  'UnfreezeKey',
  { readonly keyId: string; readonly officerId: string; readonly reason: string; readonly at: string }
>;

/** A pinned key is kept resident: the pager never pages it out (docs/architecture.md §4 "Key paging"). */
export type SetPinned = Command<
  'SetPinned',
  { readonly keyId: string; readonly pinned: boolean; readonly at: string }
>;

export type DestroyKey = Command<
  'DestroyKey',
  { readonly keyId: string; readonly reason: string; readonly at: string }
>;

export type KeyCommand =
  | RecordGeneratedKey
  | RecordBackupImport
  | RecordBackupExport
  | StartRawExport
  | CompleteRawExport
  | RecordDeletedFromHsm
  | StartRawImport
  | CompleteRawImport
  | FailOperation
  | PrepareTransfer
  | StartTransfer
  | CompleteTransitExport
  | CompleteTransitImport
  | RecordHashsigSignatures
  | RecordObservedSignature
  | UnfreezeKey
  | SetPinned
  | DestroyKey;
