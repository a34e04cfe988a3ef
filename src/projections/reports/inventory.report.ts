/**
 * `inventory`: every key the ledger knows as of the report's position, in the order the ledger
 * first recorded them — type, parameters, state, holders, current blob, KEK domains, last movement
 * and, for a live hashsig key, signatures released and remaining. The custody facts come from the
 * key catalog (the domain's own fold of each key) and the domain's queries; nothing is re-derived.
 */
import { key } from '../../domain';
import { keyCatalogProjection, type KeyCatalogDoc } from '../custody';
import { lastMovementProjection, type MovementDoc } from './last-movement.projection';
import { paramsText, reportParams } from './key-facts';
import { NAME_PROJECTIONS, names, type Names, type Who } from './names';
import { cmp, docsOf, type Column, type ReportDefinition, type Row } from './report';

export interface InventoryHolder {
  readonly kind: 'hsm' | 'blob';
  readonly copyId: string;
  readonly hsmId?: string;
  readonly hsm?: string | null;
  readonly hsmKeyName?: string;
  readonly blobSha256?: string;
  readonly since: string;
}

export interface InventoryKey {
  readonly keyId: string;
  readonly label: string | null;
  readonly type: 'rsa' | 'ec' | 'hashsig';
  readonly params: Record<string, unknown>;
  readonly state: 'active' | 'frozen' | 'destroyed';
  /** Position of the key's KeyGenerated. */
  readonly generatedPosition: number;
  readonly holders: readonly InventoryHolder[];
  readonly currentBlob: string | null;
  /** The KEK domains of its holders: each holding HSM's (as of the position) and each holding blob's. */
  readonly kekDomains: readonly { kekDomainId: string; name: string | null }[];
  readonly lastMovement: {
    readonly type: string;
    readonly at: string;
    readonly position: number;
    readonly by: Who | null;
    readonly approvalId: string | null;
  } | null;
  /** Live hashsig keys only: signatures released, and the upper bound on those still possible. */
  readonly hashsig: { readonly signatures: number; readonly remaining: number } | null;
}

function holdersOf(doc: KeyCatalogDoc, n: Names): InventoryHolder[] {
  return doc.holders
    .map((h): InventoryHolder =>
      h.kind === 'hsm'
        ? {
            kind: 'hsm',
            copyId: h.copyId,
            hsmId: h.hsmId!,
            hsm: n.hsm(h.hsmId!),
            hsmKeyName: h.hsmKeyName!,
            since: h.since,
          }
        : { kind: 'blob', copyId: h.copyId, blobSha256: h.blobSha256!, since: h.since },
    )
    .sort(
      (a, b) =>
        cmp(a.kind, b.kind) ||
        cmp(a.copyId, b.copyId) ||
        cmp(a.hsm ?? a.hsmId ?? a.blobSha256 ?? '', b.hsm ?? b.hsmId ?? b.blobSha256 ?? '') ||
        cmp(a.hsmId ?? '', b.hsmId ?? ''),
    );
}

function kekDomainsOf(custody: key.KeyState, holders: readonly InventoryHolder[], n: Names) {
  const ids = new Set<string>();
  for (const h of holders) {
    const id =
      h.kind === 'hsm'
        ? n.hsmKekDomain(h.hsmId!)
        : custody.status === 'live'
          ? (custody.blobs[h.blobSha256!]?.kekDomainId ?? null)
          : null;
    if (id !== null) ids.add(id);
  }
  return [...ids].sort().map((kekDomainId) => ({ kekDomainId, name: n.kekDomain(kekDomainId) }));
}

export function inventoryKey(doc: KeyCatalogDoc, movement: MovementDoc | undefined, n: Names): InventoryKey {
  const custody = doc.custody;
  const holders = holdersOf(doc, n);
  const usage = key.hashsigUsage(custody);
  return {
    keyId: doc.keyId,
    label: doc.label,
    type: doc.type,
    params: reportParams(doc.facts),
    state: doc.state,
    generatedPosition: doc.firstPosition,
    holders,
    currentBlob: custody.status === 'live' ? (key.keyCurrentBlob(custody)?.sha256 ?? null) : null,
    kekDomains: kekDomainsOf(custody, holders, n),
    lastMovement:
      movement === undefined
        ? null
        : {
            type: movement.type,
            at: movement.at,
            position: movement.position,
            by: movement.operatorId === null ? null : n.who(movement.operatorId),
            approvalId: movement.approvalId,
          },
    hashsig: usage === null ? null : { signatures: usage.signatures, remaining: usage.remaining },
  };
}

export const INVENTORY_COLUMNS: readonly Column[] = [
  { name: 'keyId', title: 'Key' },
  { name: 'label', title: 'Label' },
  { name: 'type', title: 'Type' },
  { name: 'params', title: 'Parameters' },
  { name: 'state', title: 'State' },
  { name: 'holderHsms', title: 'On HSMs' },
  { name: 'holderBlobs', title: 'Held by blobs' },
  { name: 'currentBlob', title: 'Current blob' },
  { name: 'kekDomains', title: 'KEK domains' },
  { name: 'lastMovement', title: 'Last movement' },
  { name: 'lastMovementAt', title: 'At' },
  { name: 'lastMovementPosition', title: 'Position' },
  { name: 'lastMovementBy', title: 'By (operator id)' },
  { name: 'lastMovementByName', title: 'By (name)' },
  { name: 'hashsigSignatures', title: 'Signatures' },
  { name: 'hashsigRemaining', title: 'Remaining' },
];

function inventoryRow(k: InventoryKey): Row {
  return {
    keyId: k.keyId,
    label: k.label,
    type: k.type,
    params: paramsText(k.params),
    state: k.state,
    holderHsms: k.holders.filter((h) => h.kind === 'hsm').map((h) => h.hsm ?? h.hsmId!),
    holderBlobs: k.holders.filter((h) => h.kind === 'blob').map((h) => h.blobSha256!),
    currentBlob: k.currentBlob,
    kekDomains: k.kekDomains.map((d) => d.name ?? d.kekDomainId),
    lastMovement: k.lastMovement?.type ?? null,
    lastMovementAt: k.lastMovement?.at ?? null,
    lastMovementPosition: k.lastMovement?.position ?? null,
    lastMovementBy: k.lastMovement?.by?.operatorId ?? null,
    lastMovementByName: k.lastMovement?.by?.name ?? null,
    hashsigSignatures: k.hashsig?.signatures ?? null,
    hashsigRemaining: k.hashsig?.remaining ?? null,
  };
}

export const inventoryReport: ReportDefinition = {
  name: 'inventory',
  title: 'Key inventory',
  description:
    'every key: type, parameters, state, holders, current blob, KEK domains, last movement, hashsig signatures left',
  key: 'none',
  projections: () => [keyCatalogProjection, lastMovementProjection, ...NAME_PROJECTIONS],
  build(models) {
    const n = names(models);
    const movements = docsOf<MovementDoc>(models, lastMovementProjection);
    const keys = [...docsOf<KeyCatalogDoc>(models, keyCatalogProjection).values()]
      .filter((d) => d.custody.status !== 'absent')
      .sort((a, b) => a.firstPosition - b.firstPosition)
      .map((d) => inventoryKey(d, movements.get(d.keyId), n));
    const count = (pred: (k: InventoryKey) => boolean) => keys.filter(pred).length;
    const totals = {
      keys: keys.length,
      active: count((k) => k.state === 'active'),
      frozen: count((k) => k.state === 'frozen'),
      destroyed: count((k) => k.state === 'destroyed'),
      rsa: count((k) => k.type === 'rsa'),
      ec: count((k) => k.type === 'ec'),
      hashsig: count((k) => k.type === 'hashsig'),
    };
    return {
      body: { totals, keys: keys as unknown as Record<string, unknown>[] },
      summary: [
        [
          'Keys',
          `${totals.keys} (${totals.active} active, ${totals.frozen} frozen, ${totals.destroyed} destroyed)`,
        ],
        ['By type', `${totals.rsa} RSA, ${totals.ec} EC, ${totals.hashsig} hashsig`],
      ],
      tables: [{ title: 'Keys', columns: INVENTORY_COLUMNS, rows: keys.map(inventoryRow) }],
    };
  },
};
