import type { Command } from '../message';
import type { BlobVerdict } from '../key';

/** Written before KeyRawExported / KeyTransitExported, so the bytes are never only in memory (docs/architecture.md §4). */
export type StoreBlob = Command<
  'StoreBlob',
  {
    readonly sha256: string;
    readonly keyId: string;
    /** Wrapped key material (never plaintext); never logged (docs/architecture.md §5). */
    readonly bytesBase64: string;
    readonly kind: 'raw' | 'transit';
    readonly at: string;
  }
>;

/**
 * A blob handed in from outside (a backup file, an operator's upload). `verdict` is the key's
 * `blobVerdict` for it; `keyId` null when no key claims it.
 */
export type PresentBlob = Command<
  'PresentBlob',
  {
    readonly sha256: string;
    readonly keyId: string | null;
    readonly presentedBy: string;
    readonly verdict: BlobVerdict;
    readonly at: string;
  }
>;

/**
 * Recorded on each blob stream of a key being destroyed (docs/architecture.md §2). The bytes stay
 * in the ledger, covered by the hash chain (§6.1); from then on nothing serves or stores them.
 */
export type DestroyBlob = Command<
  'DestroyBlob',
  {
    readonly sha256: string;
    readonly keyId: string;
    readonly reason: string;
    readonly at: string;
  }
>;

export type BlobCommand = StoreBlob | PresentBlob | DestroyBlob;
