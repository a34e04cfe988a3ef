/** Folded write-side state → the port's views (the read-side projections may replace the lists). */
import { hsm, kekDomain, key } from '../../domain';
import type { RecordedEvent } from '../../event-store';
import { hashsigSpkiToRfc8554 } from '../../lib/spki';
import type { HsmView, KekDomainView, KeyHolderView, KeyView } from './custody.port';
import { LABEL_ATTRIBUTE, LMOTS_TYPES, LMS_TYPES } from './hsm-calls';

const LMS_NAME = Object.fromEntries(Object.entries(LMS_TYPES).map(([k, v]) => [v, k]));
const LMOTS_NAME = Object.fromEntries(Object.entries(LMOTS_TYPES).map(([k, v]) => [v, k]));

export function keyView(
  state: key.LiveKey | key.DestroyedKey,
  events: readonly RecordedEvent[],
  hsmName: (hsmId: string) => string,
): KeyView {
  // The first event is KeyGenerated: it keeps the public facts a destroyed key's state drops.
  const generated = events.find((e) => e.type === 'KeyGenerated')?.data as key.KeyGenerated['data'];
  const publicKey = Buffer.from(generated.publicKey, 'base64');
  const labelB64 = generated.attributes[String(LABEL_ATTRIBUTE)];
  const params: Record<string, unknown> = { ...generated.params };
  if (generated.keyType === 'hashsig') {
    params.lms = LMS_NAME[generated.params.lmsType];
    params.lmots = LMOTS_NAME[generated.params.lmotsType];
  }
  const base = {
    keyId: state.keyId,
    type: state.keyType,
    label: labelB64 === undefined ? null : Buffer.from(labelB64, 'base64').toString('utf8'),
    params,
    publicKey,
    ...(generated.keyType === 'hashsig' ? { publicKeyRfc8554: Buffer.from(hashsigSpkiToRfc8554(publicKey)) } : {}),
  };
  if (state.status === 'destroyed') {
    return {
      ...base,
      state: 'destroyed',
      holders: [],
      blobs: state.blobSha256s.map((sha256) => ({ sha256, status: 'destroyed', copyId: '', kind: 'raw' as const })),
      currentBlob: null,
      openOperations: [],
      obligations: [],
    };
  }
  const holders: KeyHolderView[] = key.liveHolders(state).map((h) =>
    h.kind === 'hsm'
      ? { kind: 'hsm', copyId: h.copyId, hsmId: h.hsmId, hsm: hsmName(h.hsmId), hsmKeyName: h.hsmKeyName, since: h.since }
      : { kind: 'blob', copyId: h.copyId, blobSha256: h.sha256, since: h.since },
  );
  const usage = key.hashsigUsage(state);
  return {
    ...base,
    state: state.frozen !== null ? 'frozen' : 'active',
    holders,
    blobs: Object.values(state.blobs).map((b) => ({ sha256: b.sha256, status: b.status, copyId: b.copyId, kind: b.kind })),
    currentBlob: currentBlobOf(state)?.sha256 ?? null,
    ...(usage === null ? {} : { hashsig: { signatures: usage.signatures, lastIndex: usage.lastIndex, remaining: usage.remaining } }),
    openOperations: Object.values(state.ops).map((op) => ({
      opId: op.opId,
      kind: op.kind,
      hsmId: op.kind === 'transfer' ? op.fromHsm : op.hsmId,
      startedAt: op.startedAt,
    })),
    obligations: key
      .openObligations(state)
      .map((o) => `delete the disabled copy ${o.copyId} (key name ${o.hsmKeyName}) from ${hsmName(o.hsmId)}: raw-exported to blob ${o.blobSha256} at ${o.since}`),
  };
}

/** The origin copy's current blob, else any copy's (hashsig after a transfer). */
export function currentBlobOf(state: key.LiveKey): key.BlobRecord | undefined {
  return key.currentBlob(state) ?? Object.keys(state.copies).map((c) => key.currentBlob(state, c)).find((b) => b !== undefined);
}

export function hsmView(state: hsm.HsmState & { status: 'active' | 'decommissioned' }, registered: hsm.HsmRegistered['data'], residentKeys: number): HsmView {
  const status =
    state.status === 'decommissioned' ? 'decommissioned' : state.tamper !== null ? 'tampered' : state.zeroizedAt !== null && state.kekDomainId === null ? 'zeroized' : 'active';
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

export function kekDomainView(state: kekDomain.KekDomainState & { status: 'active' | 'retired' }): KekDomainView {
  return {
    kekDomainId: state.kekDomainId,
    name: state.name,
    members: Object.keys(state.members).sort(),
    canaryKeyId: state.canaryKeyId,
    canaryBlobSha256: state.canaryBlobSha256,
  };
}
