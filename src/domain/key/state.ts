/**
 * Custody state of one key: the fold of `key-<keyId>` (docs/architecture.md §3). Records are keyed by id in
 * plain objects (frozen in specs, JSON-friendly); `lookup`/`withEntry` read and copy them.
 */
import type { HashsigParams, IndexPath, Range, ReuseRule } from '../hashsig';
import type { MoveReason } from './commands';

export type RsaParams = { readonly bits: number };
export type EcParams = { readonly curve: 'P-256' | 'P-384' | 'P-521' };

/** What was generated: the discriminant of everything type-specific below. */
export type KeySpec =
  | { readonly keyType: 'rsa'; readonly params: RsaParams }
  | { readonly keyType: 'ec'; readonly params: EcParams }
  | { readonly keyType: 'hashsig'; readonly params: HashsigParams };
export type KeyType = KeySpec['keyType'];

/** libhal key flags (docs/libhal-rpc.md §4.3); EXPORTABLE gates EXPORT and EXPORT_RAW (§5.2, §9.2). */
export const FLAG_EXPORTABLE = 0x20;

/** Who holds a hashsig copy: exactly one of these at any time (docs/architecture.md §3 "Holder"). */
export type Holder =
  | { readonly kind: 'hsm'; readonly hsmId: string; readonly hsmKeyName: string; readonly since: string }
  | { readonly kind: 'blob'; readonly sha256: string; readonly since: string }
  | { readonly kind: 'none'; readonly since: string; readonly reason: string };

/** RSA/EC: one lineage; every resident instance and every blob is interchangeable. */
export type PlainCopy = { readonly kind: 'plain'; readonly copyId: string; readonly createdAt: string };

/** Hashsig: a lineage owning a disjoint range of top-level leaves, with its observed index log head. */
export type HashsigCopy = {
  readonly kind: 'hashsig';
  readonly copyId: string;
  readonly parentCopyId: string | null;
  /** Top-level leaves this copy may still start a subtree from (`[q, q_end)` as the ledger knows it). */
  readonly range: Range;
  readonly holder: Holder;
  /** Greatest index path used by this copy (released, withheld or flagged). */
  readonly lastPath: IndexPath | null;
  readonly released: number;
  readonly withheld: number;
  readonly createdAt: string;
};

export type Copy = PlainCopy | HashsigCopy;

/**
 * One HSM's instance of the key. `disabled`: a hashsig copy after raw export, which the HSM can no
 * longer sign with and which must be deleted — an open obligation (docs/architecture.md §3, docs/libhal-rpc.md §9.2).
 */
export type Residency = {
  readonly hsmId: string;
  readonly hsmKeyName: string;
  readonly copyId: string;
  readonly since: string;
  readonly status: 'live' | 'disabled';
  readonly disabledBy: { readonly blobSha256: string; readonly at: string } | null;
};

export type BlobStatus = 'current' | 'consumed' | 'superseded' | 'destroyed';

export type BlobRecord = {
  readonly sha256: string;
  readonly copyId: string;
  /** raw: wrapped under a KEK domain's master KEK; transit: under one destination's KEKEK. */
  readonly kind: 'raw' | 'transit';
  readonly status: BlobStatus;
  readonly statusSince: string;
  readonly kekDomainId: string | null;
  readonly producedBy: string;
  readonly opId: string;
  readonly at: string;
  readonly supersededBy: string | null;
  readonly consumedBy: string | null;
};

export type Kekek = { readonly hsmId: string; readonly kekekName: string; readonly spkiSha256: string };

/**
 * Where a key imported from a `cryptech_backup` file came from (docs/libhal-rpc.md §8): the file's
 * SHA-256, the key's name on the HSM that exported it, the flags the file gave it, and the KEKEK
 * it was wrapped to (its SPKI's SHA-256; `kekekName` for a KEKEK on an HSM, null for a software one).
 */
export type BackupProvenance = {
  readonly format: 'cryptech-backup';
  readonly fileSha256: string;
  readonly sourceUuid: string;
  readonly sourceFlags: number;
  readonly kekekSpkiSha256: string;
  readonly kekekName: string | null;
};

export type RawExportOp = {
  readonly kind: 'raw-export';
  readonly opId: string;
  readonly hsmId: string;
  readonly copyId: string;
  readonly kekDomainId: string;
  readonly startedAt: string;
  /** `paging`: a page-out, whose copy leaves the HSM once the blob is stored (recovery too). */
  readonly reason?: MoveReason;
};
export type RawImportOp = {
  readonly kind: 'raw-import';
  readonly opId: string;
  readonly hsmId: string;
  readonly copyId: string;
  readonly blobSha256: string;
  readonly kekDomainId: string;
  readonly startedAt: string;
};
export type TransferOp = {
  readonly kind: 'transfer';
  readonly opId: string;
  readonly fromHsm: string;
  readonly toHsm: string;
  readonly copyId: string;
  /** Null while only prepared: the KEKEK may or may not exist on `toHsm` yet. */
  readonly kekek: Kekek | null;
  /** KeyTransferPrepared's snapshot of `toHsm`'s KEYENCIPHERMENT keys; [] for a transfer started without one. */
  readonly priorKekekNames: readonly string[];
  readonly startedAt: string;
  /** Set by KeyTransitExported: the copy now in transit and its blob. */
  readonly exported: {
    readonly copyId: string;
    readonly transitBlobSha256: string;
    readonly at: string;
  } | null;
};
/** An intent without its completion (docs/architecture.md §4). */
export type OpenOp = RawExportOp | RawImportOp | TransferOp;

/** What a finished operation produced, so a repeated completion can be recognised. */
export type ClosedOp = {
  readonly kind: OpenOp['kind'];
  readonly outcome: 'completed' | 'failed';
  readonly blobSha256: string | null;
  readonly hsmName: string | null;
  readonly at: string;
};

/**
 * An observed signature (POST /v1/keys/{keyId}/observed-signatures) that the index log does not
 * account for: `reused` (keyledger released another signature at that index path), `withheld`
 * (the index was used, its signature never released), `unlogged` (the index was never recorded).
 */
export type ObservedAlarm = 'reused' | 'withheld' | 'unlogged';

/** What froze the key: a reuse rule of the index log, or an alarm raised by an observed signature. */
export type FreezeRule = ReuseRule | `observed-${ObservedAlarm}`;

export type Frozen = {
  readonly at: string;
  /** The copy the offending index belongs to; null for an observed index no copy accounts for. */
  readonly copyId: string | null;
  readonly rule: FreezeRule;
  readonly detail: string;
};

export type LiveKey = {
  readonly status: 'live';
  readonly keyId: string;
  readonly flags: number;
  /** base64 SPKI */
  readonly publicKey: string;
  /** libhal attribute type (decimal) → base64 value; re-applied after every import (docs/architecture.md §2). */
  readonly attributes: Readonly<Record<string, string>>;
  readonly originCopyId: string;
  readonly generatedOn: string;
  readonly generatedAt: string;
  readonly copies: Readonly<Record<string, Copy>>;
  readonly blobs: Readonly<Record<string, BlobRecord>>;
  readonly residency: Readonly<Record<string, Residency>>;
  readonly ops: Readonly<Record<string, OpenOp>>;
  readonly closedOps: Readonly<Record<string, ClosedOp>>;
  /** Set by HashsigReuseDetected or HashsigReuseObserved: new intents and signing are refused until an officer acts. */
  readonly frozen: Frozen | null;
  /** Kept resident by the pager (KeyPinChanged); absent when not pinned. */
  readonly pinned?: true;
} & KeySpec;

export type DestroyedKey = {
  readonly status: 'destroyed';
  readonly keyId: string;
  readonly keyType: KeyType;
  readonly destroyedAt: string;
  readonly reason: string;
  readonly blobSha256s: readonly string[];
};

export type KeyState = { readonly status: 'absent' } | LiveKey | DestroyedKey;

export function initialState(): KeyState {
  return { status: 'absent' };
}
