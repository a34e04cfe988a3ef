/**
 * What the custody use cases answer, as the REST API and the CLI see it (binary values are Buffers
 * here; the API encodes them as base64), and the one renderer of each view from folded state: the
 * write side renders the fold it has just appended to, the read side its projection docs, alike.
 * HSMs and keys may be named by id or by name wherever a `hsm` string is taken.
 */
import { kekDomain, key } from '../../domain';
import type { HsmCatalogDoc, KeyFacts } from '../../projections/custody';
import { hashsigSpkiToRfc8554 } from '../../lib/spki';
import { LABEL_ATTRIBUTE, LMOTS_TYPES, LMS_TYPES } from './hsm-calls';

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
  readonly blobs: readonly {
    sha256: string;
    status: 'current' | 'consumed' | 'superseded' | 'destroyed';
    copyId: string;
    kind: 'raw' | 'transit';
  }[];
  readonly currentBlob: string | null;
  readonly hashsig?: { signatures: number; lastIndex: number | null; remaining: number };
  readonly openOperations: readonly { opId: string; kind: string; hsmId: string; startedAt: string }[];
  readonly obligations: readonly string[];
  /** Kept resident by the pager (docs/architecture.md §4 "Key paging"). */
  readonly pinned: boolean;
  /** Present while the key is frozen: since when, the rule or observed alarm, and what happened. */
  readonly frozen?: {
    readonly at: string;
    readonly rule: string;
    readonly copyId: string | null;
    readonly detail: string;
  };
}

export interface SignResult {
  readonly signature: Buffer;
  /** Name of the HSM that signed. */
  readonly hsm: string;
  /** hashsig only: the top-level leaf index used. */
  readonly q?: number;
}

/**
 * What `POST /v1/keys/{keyId}/observed-signatures` answers (docs/architecture.md §3 "Observed signatures"):
 * how the index log accounts for the signature. `alarm` for every outcome but `released`;
 * `recorded` when this request appended the alarm (false for `released`, for a signature recorded
 * before, and past the bound on alarms of a frozen key); `verified` when the message came with it.
 */
export interface ObservedSignatureResult {
  readonly keyId: string;
  /** Top level first: the leaf `q` of each level and its tree's `I` (hex). */
  readonly indexPath: readonly { readonly q: number; readonly I: string }[];
  readonly signatureSha256: string;
  readonly outcome: 'released' | 'reused' | 'withheld' | 'unlogged';
  readonly alarm: boolean;
  readonly recorded: boolean;
  readonly verified: boolean;
  readonly detail: string;
  /** The key's state after the observation. */
  readonly state: 'active' | 'frozen';
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
  readonly drift: readonly {
    hsmKeyName: string;
    kind: 'missing-on-hsm' | 'unknown-to-ledger';
    keyId?: string;
  }[];
}

const LMS_NAME = Object.fromEntries(Object.entries(LMS_TYPES).map(([k, v]) => [v, k]));
const LMOTS_NAME = Object.fromEntries(Object.entries(LMOTS_TYPES).map(([k, v]) => [v, k]));

/** What `keyView` needs of a key's KeyGenerated event: what its state drops when it is destroyed. */
export function keyFacts(generated: key.KeyGenerated['data']): KeyFacts {
  return {
    keyType: generated.keyType,
    params: generated.params as unknown as Record<string, unknown>,
    publicKey: generated.publicKey,
    attributes: generated.attributes,
  };
}

export function keyView(
  state: key.LiveKey | key.DestroyedKey,
  facts: KeyFacts,
  hsmName: (hsmId: string) => string,
): KeyView {
  const publicKey = Buffer.from(facts.publicKey, 'base64');
  const labelB64 = Object.hasOwn(facts.attributes, String(LABEL_ATTRIBUTE))
    ? facts.attributes[String(LABEL_ATTRIBUTE)]
    : undefined;
  const params: Record<string, unknown> = { ...facts.params };
  if (facts.keyType === 'hashsig') {
    params.lms = LMS_NAME[params.lmsType as number];
    params.lmots = LMOTS_NAME[params.lmotsType as number];
  }
  const base = {
    keyId: state.keyId,
    type: state.keyType,
    label: labelB64 === undefined ? null : Buffer.from(labelB64, 'base64').toString('utf8'),
    params,
    publicKey,
    ...(facts.keyType === 'hashsig'
      ? { publicKeyRfc8554: Buffer.from(hashsigSpkiToRfc8554(publicKey)) }
      : {}),
  };
  if (state.status === 'destroyed') {
    return {
      ...base,
      state: 'destroyed',
      holders: [],
      blobs: state.blobSha256s.map((sha256) => ({
        sha256,
        status: 'destroyed',
        copyId: '',
        kind: 'raw' as const,
      })),
      currentBlob: null,
      openOperations: [],
      obligations: [],
      pinned: false,
    };
  }
  const holders: KeyHolderView[] = key.liveHolders(state).map((h) =>
    h.kind === 'hsm'
      ? {
          kind: 'hsm',
          copyId: h.copyId,
          hsmId: h.hsmId,
          hsm: hsmName(h.hsmId),
          hsmKeyName: h.hsmKeyName,
          since: h.since,
        }
      : { kind: 'blob', copyId: h.copyId, blobSha256: h.sha256, since: h.since },
  );
  const usage = key.hashsigUsage(state);
  return {
    ...base,
    state: state.frozen !== null ? 'frozen' : 'active',
    holders,
    blobs: Object.values(state.blobs).map((b) => ({
      sha256: b.sha256,
      status: b.status,
      copyId: b.copyId,
      kind: b.kind,
    })),
    currentBlob: currentBlobOf(state)?.sha256 ?? null,
    ...(usage === null
      ? {}
      : {
          hashsig: { signatures: usage.signatures, lastIndex: usage.lastIndex, remaining: usage.remaining },
        }),
    openOperations: Object.values(state.ops).map((op) => ({
      opId: op.opId,
      kind: op.kind,
      hsmId: op.kind === 'transfer' ? op.fromHsm : op.hsmId,
      startedAt: op.startedAt,
    })),
    obligations: key
      .openObligations(state)
      .map(
        (o) =>
          `delete the disabled copy ${o.copyId} (key name ${o.hsmKeyName}) from ${hsmName(o.hsmId)}: raw-exported to blob ${o.blobSha256} at ${o.since}`,
      ),
    pinned: state.pinned === true,
    ...(state.frozen === null ? {} : { frozen: { ...state.frozen } }),
  };
}

/** The origin copy's current blob, else any copy's (hashsig after a transfer). */
export function currentBlobOf(state: key.LiveKey): key.BlobRecord | undefined {
  return key.keyCurrentBlob(state);
}

export function hsmView(doc: HsmCatalogDoc, residentKeys: number): HsmView {
  const { state, registered } = doc;
  if (state.status === 'absent') throw new TypeError(`HSM ${doc.hsmId} has a catalog doc but no state`);
  const status =
    state.status === 'decommissioned'
      ? 'decommissioned'
      : state.tamper !== null
        ? 'tampered'
        : state.zeroizedAt !== null && state.kekDomainId === null
          ? 'zeroized'
          : 'active';
  return {
    hsmId: state.hsmId,
    name: state.name,
    endpoint: registered.endpoint,
    kekDomainId: state.status === 'active' ? state.kekDomainId : null,
    capacity: registered.capacity,
    status,
    residentKeys,
    registeredAt: registered.at,
  };
}

export function kekDomainView(
  state: kekDomain.KekDomainState & { status: 'active' | 'retired' },
): KekDomainView {
  return {
    kekDomainId: state.kekDomainId,
    name: state.name,
    members: Object.keys(state.members).sort(),
    canaryKeyId: state.canaryKeyId,
    canaryBlobSha256: state.canaryBlobSha256,
  };
}
