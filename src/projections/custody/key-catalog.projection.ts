/**
 * Key catalog: one doc per key with what an inventory shows (docs/architecture.md §7) — type, parameters, label,
 * state, live holders, current blob, every blob's status, open operations. The domain's custody
 * state rides along in `custody` so the summary is always what the write side would decide.
 */
import type { RecordedEvent } from '../../event-store/event-store';
import {
  currentBlob,
  liveHolders,
  openObligations,
  type KeyGenerated,
  type KeyState,
} from '../../domain/key';
import type { Projection } from '../projection';
import { keyIdOf, labelOf, nextKeyState, toDoc } from './key-state';

/** What the key's generation recorded and its state may drop later (a destroyed key keeps only its id). */
export interface KeyFacts {
  readonly keyType: 'rsa' | 'ec' | 'hashsig';
  readonly params: Record<string, unknown>;
  /** SPKI DER, base64. */
  readonly publicKey: string;
  /** libhal attribute type -> base64 value, as generated. */
  readonly attributes: Readonly<Record<string, string>>;
}

export interface KeyCatalogDoc {
  readonly keyId: string;
  readonly type: 'rsa' | 'ec' | 'hashsig';
  readonly state: 'active' | 'frozen' | 'destroyed';
  readonly label: string | null;
  readonly params: Record<string, unknown>;
  readonly holders: readonly {
    kind: 'hsm' | 'blob';
    copyId: string;
    hsmId?: string;
    hsmKeyName?: string;
    blobSha256?: string;
    since: string;
  }[];
  readonly currentBlob: string | null;
  readonly blobs: readonly { sha256: string; status: string; copyId: string; kind: string }[];
  readonly openOperations: number;
  readonly obligations: number;
  /** Position of its KeyGenerated: lists show keys in the order the ledger first recorded them. */
  readonly firstPosition: number;
  /** Position of the last event of the key: its last movement. */
  readonly lastPosition: number;
  readonly lastEventType: string;
  readonly lastEventAt: string;
  readonly facts: KeyFacts;
  readonly custody: KeyState;
}

function factsOf(event: RecordedEvent, previous: KeyCatalogDoc | undefined): KeyFacts {
  if (previous !== undefined) return previous.facts;
  if (event.type !== 'KeyGenerated')
    throw new TypeError(`the first event of a key is ${event.type}, not KeyGenerated`);
  const d = event.data as unknown as KeyGenerated['data'];
  return {
    keyType: d.keyType,
    params: d.params as unknown as Record<string, unknown>,
    publicKey: d.publicKey,
    attributes: d.attributes,
  };
}

export function summarise(custody: KeyState, event: RecordedEvent, previous?: KeyCatalogDoc): KeyCatalogDoc {
  const last = {
    lastPosition: event.position,
    lastEventType: event.type,
    lastEventAt: (event.data.at as string | undefined) ?? event.recordedAt,
    firstPosition: previous?.firstPosition ?? event.position,
    facts: factsOf(event, previous),
  };
  if (custody.status === 'destroyed') {
    return {
      keyId: custody.keyId,
      type: custody.keyType,
      state: 'destroyed',
      label: previous?.label ?? null,
      params: previous?.params ?? {},
      holders: [],
      currentBlob: null,
      blobs: (previous?.blobs ?? []).map((b) => ({ ...b, status: 'destroyed' })),
      openOperations: 0,
      obligations: 0,
      ...last,
      custody,
    };
  }
  if (custody.status !== 'live') throw new TypeError(`key in state ${custody.status} after ${event.type}`);
  return {
    keyId: custody.keyId,
    type: custody.keyType,
    state: custody.frozen === null ? 'active' : 'frozen',
    label: labelOf(custody.attributes),
    params: custody.params as unknown as Record<string, unknown>,
    holders: liveHolders(custody).map((h) =>
      h.kind === 'hsm'
        ? { kind: 'hsm', copyId: h.copyId, hsmId: h.hsmId, hsmKeyName: h.hsmKeyName, since: h.since }
        : { kind: 'blob', copyId: h.copyId, blobSha256: h.sha256, since: h.since },
    ),
    currentBlob: currentBlob(custody)?.sha256 ?? null,
    blobs: Object.values(custody.blobs).map((b) => ({
      sha256: b.sha256,
      status: b.status,
      copyId: b.copyId,
      kind: b.kind,
    })),
    openOperations: Object.keys(custody.ops).length,
    obligations: openObligations(custody).length,
    ...last,
    custody,
  };
}

export const keyCatalogProjection: Projection = {
  name: 'custody.key-catalog',
  // 2: generation facts (public key, parameters, attributes) kept for every key, destroyed ones too.
  version: 2,
  handles(event) {
    const keyId = keyIdOf(event);
    return keyId === undefined ? [] : [keyId];
  },
  evolve(doc, event) {
    const previous = doc as unknown as KeyCatalogDoc | undefined;
    const custody = nextKeyState(previous === undefined ? undefined : toDoc(previous.custody), event);
    return toDoc(summarise(custody, event, previous));
  },
};
