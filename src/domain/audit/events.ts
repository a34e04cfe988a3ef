import type { Command, Event } from '../message';

/** The checkpoint signing key: EC P-256 inside an HSM, never exportable (docs/architecture.md §6). */
export type AuditKey = {
  /** C2SP signed-note key id (hex): the first four bytes of SHA-256 of the SPKI. */
  readonly keyId: string;
  /** SubjectPublicKeyInfo DER, base64. */
  readonly spki: string;
  /** C2SP verifier key `<origin>+<key id>+<base64(0x02 || SPKI)>`. */
  readonly verifierKey: string;
  /** The checkpoints' origin line, naming this ledger. */
  readonly origin: string;
  readonly hsmId: string;
  /** The key's name (UUID) on that HSM. */
  readonly hsmKeyName: string;
  readonly at: string;
};

export type RecordAuditKey = Command<'RecordAuditKey', AuditKey>;

/**
 * Most leaves one checkpoint lists (a longer stretch is signed in several checkpoints): 16,384
 * hashes are 512 KiB, about 700 KB of base64, under the ledger's 1 MiB event limit.
 */
export const MAX_CHECKPOINT_SPAN = 16_384;

export type RecordCheckpoint = Command<
  'RecordCheckpoint',
  {
    /** The previous checkpoint's tree size (0 for the first): this one adds leaves from..treeSize. */
    readonly from: number;
    /**
     * The leaf data it adds, in order: the chain hashes of the events at leaf indices from..treeSize,
     * 32 bytes each, concatenated, base64. Authenticated by the signed root, they let a verifier name
     * the first event that is not what was signed (a swap across streams breaks no hash chain).
     */
    readonly leaves: string;
    readonly treeSize: number;
    /** RFC 6962 root hash of the first `treeSize` event hashes in ledger order, hex. */
    readonly rootHash: string;
    /** The whole C2SP signed note (tlog-checkpoint body and its signature line). */
    readonly note: string;
    readonly keyId: string;
    readonly at: string;
  }
>;

/** What a verification of the whole ledger found (`keyledger audit verify`, POST /v1/audit/verify). */
export type Verification = {
  readonly ok: boolean;
  readonly events: number;
  readonly headPosition: number;
  readonly checkpointsVerified: number;
  readonly findings: number;
  readonly firstBadPosition: number | null;
  /** Where the checked key came from: given out of band, or the ledger's own record. */
  readonly keySource: 'given' | 'ledger' | 'none';
  readonly at: string;
};

export type RecordVerification = Command<'RecordVerification', Verification>;

export type AuditCommand = RecordAuditKey | RecordCheckpoint | RecordVerification;

export type AuditKeyGenerated = Event<'AuditKeyGenerated', AuditKey>;

export type AuditCheckpointSigned = Event<'AuditCheckpointSigned', RecordCheckpoint['data']>;

export type AuditLedgerVerified = Event<'AuditLedgerVerified', Verification>;

export type AuditEvent = AuditKeyGenerated | AuditCheckpointSigned | AuditLedgerVerified;

export function isAuditEvent(event: { readonly type: string }): event is AuditEvent {
  return (
    event.type === 'AuditKeyGenerated' ||
    event.type === 'AuditCheckpointSigned' ||
    event.type === 'AuditLedgerVerified'
  );
}
