/**
 * The custody use cases as the REST API and the CLI see them (issue 4). `CustodyService` in this
 * folder implements it: each method loads the key's stream, decides with `src/domain`, appends the
 * events (intent before the first HSM call, completion after the last, DESIGN §4), then calls the HSM.
 * HSMs and keys may be named by id or by name wherever a `hsm` string is taken.
 *
 * Binary values are Buffers here; the API encodes them as base64. Errors thrown are the domain's
 * `DomainError` subclasses, `CustodyNotFound`, `CustodyInvalidInput`, or the HSM taxonomy's errors;
 * the API maps them to problem+json.
 */

export type KeyType = 'rsa' | 'ec' | 'hashsig';

export interface RegisterHsmInput {
  readonly name: string;
  /** `unix:/path` or `tcp://host:port`. */
  readonly endpoint: string;
  /** Kept in the local secret store only; never in an event, a log or a response. */
  readonly pin: string;
  readonly capacity?: number;
}

export interface HsmView {
  readonly hsmId: string;
  readonly name: string;
  readonly endpoint: string;
  readonly kekDomainId: string | null;
  readonly capacity: number;
  readonly status: 'active' | 'tampered' | 'zeroized' | 'decommissioned';
  readonly residentKeys: number;
  readonly registeredAt: string;
}

export interface KekDomainView {
  readonly kekDomainId: string;
  readonly name: string;
  readonly members: readonly string[];
  readonly canaryKeyId: string;
  readonly canaryBlobSha256: string;
}

export interface GenerateKeyInput {
  readonly hsm: string;
  readonly type: KeyType;
  /** rsa: 1024..8192, multiple of 8; default 2048. */
  readonly bits?: number;
  /** ec: default P-256. */
  readonly curve?: 'P-256' | 'P-384' | 'P-521';
  /** hashsig: HSS levels 1..8, default 1. */
  readonly levels?: number;
  /** hashsig: default H5. */
  readonly lms?: 'H5' | 'H10' | 'H15' | 'H20' | 'H25';
  /** hashsig: default W8. */
  readonly lmots?: 'W2' | 'W4' | 'W8';
  readonly label?: string;
}

export interface KeyHolderView {
  readonly kind: 'hsm' | 'blob';
  readonly copyId: string;
  readonly hsmId?: string;
  readonly hsm?: string;
  readonly hsmKeyName?: string;
  readonly blobSha256?: string;
  readonly since: string;
}

export interface KeyView {
  readonly keyId: string;
  readonly type: KeyType;
  readonly state: 'active' | 'frozen' | 'destroyed';
  readonly label: string | null;
  readonly params: Record<string, unknown>;
  /** SPKI DER. */
  readonly publicKey: Buffer;
  /** hashsig only: RFC 8554 `u32str(L) || pub[0]`. */
  readonly publicKeyRfc8554?: Buffer;
  readonly holders: readonly KeyHolderView[];
  readonly blobs: readonly { sha256: string; status: 'current' | 'consumed' | 'superseded' | 'destroyed'; copyId: string; kind: 'raw' | 'transit' }[];
  readonly currentBlob: string | null;
  readonly hashsig?: { signatures: number; lastIndex: number | null; remaining: number };
  readonly openOperations: readonly { opId: string; kind: string; hsmId: string; startedAt: string }[];
  readonly obligations: readonly string[];
}

export interface SignResult {
  readonly signature: Buffer;
  /** Name of the HSM that signed. */
  readonly hsm: string;
  /** hashsig only: the top-level leaf index used. */
  readonly q?: number;
}

export interface BlobView {
  readonly sha256: string;
  readonly keyId: string;
  readonly status: 'current' | 'consumed' | 'superseded' | 'destroyed';
  readonly blob: Buffer;
}

export interface PresentBlobResult {
  readonly sha256: string;
  readonly keyId: string;
  readonly accepted: boolean;
  /** When refused: why, and for hashsig which blob is current and who holds the copy. */
  readonly reason?: string;
  readonly currentBlob?: string | null;
  readonly currentHolder?: string | null;
}

export interface ReconcileReport {
  readonly hsm: string;
  readonly expected: readonly string[];
  readonly observed: readonly string[];
  readonly drift: readonly { hsmKeyName: string; kind: 'missing-on-hsm' | 'unknown-to-ledger'; keyId?: string }[];
}

export interface CustodyPort {
  registerHsm(input: RegisterHsmInput): Promise<HsmView>;
  listHsms(): Promise<HsmView[]>;
  getHsm(hsm: string): Promise<HsmView>;
  /** Creates a KEK domain founded by `hsm`: generates and raw-exports its canary key. */
  createKekDomain(input: { name: string; hsm: string }): Promise<KekDomainView>;
  /** Proves `hsm` holds the domain's KEK by importing the canary blob and comparing public keys. */
  joinKekDomain(input: { kekDomain: string; hsm: string }): Promise<KekDomainView>;
  /** Records that an HSM was zeroized (tamper response): it leaves its KEK domain, its keys are gone. */
  recordZeroized(hsm: string): Promise<HsmView>;
  reconcile(hsm: string): Promise<ReconcileReport>;

  generateKey(input: GenerateKeyInput): Promise<KeyView>;
  listKeys(): Promise<KeyView[]>;
  getKey(keyId: string): Promise<KeyView>;
  keyEvents(keyId: string): Promise<{ type: string; revision: number; position: number; data: unknown; metadata: unknown }[]>;
  rawExport(keyId: string, input: { hsm: string; evict?: boolean }): Promise<{ blobSha256: string }>;
  rawImport(keyId: string, input: { hsm: string; blobSha256?: string }): Promise<{ hsm: string; hsmKeyName: string; blobSha256: string }>;
  transfer(keyId: string, input: { from: string; to: string }): Promise<KeyView>;
  deleteFromHsm(keyId: string, input: { hsm: string }): Promise<KeyView>;
  destroyKey(keyId: string): Promise<KeyView>;
  sign(keyId: string, input: { data: Buffer; hsm?: string }): Promise<SignResult>;

  getBlob(sha256: string): Promise<BlobView>;
  presentBlob(input: { keyId: string; blob: Buffer }): Promise<PresentBlobResult>;
}

export const CUSTODY = Symbol('CUSTODY');
