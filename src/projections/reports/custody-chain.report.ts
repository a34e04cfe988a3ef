/**
 * `custody-chain`: one key's whole custody history as of the report's position — every event of
 * its stream but the routine signature records (counted instead), and every event of the approval
 * requests that name the key (`params.keyId`), in ledger order: who (operator id and name), what
 * (the event type and a sentence), when, which HSMs, which blobs, and for an approved action who
 * asked and who approved.
 */
import { unknownType } from '../../domain/errors';
import { isApprovalEvent, type ApprovalEvent } from '../../domain/approval';
import type { BackupProvenance, KeyEvent } from '../../domain/key';
import { abbr } from '../../domain/format';
import type { JsonObject, RecordedEvent } from '../../event-store/event-store';
import { keyCatalogProjection, type KeyCatalogDoc } from '../custody';
import { keyIdOf, toDoc } from '../custody/key-state';
import type { Projection } from '../projection';
import { ReportKeyNotFound } from './errors';
import { paramsText, reportParams } from './key-facts';
import { NAME_PROJECTIONS, label, names, type Names, type Who } from './names';
import { docsOf, eventTime, type Column, type ReportDefinition, type Row } from './report';

/** An event of the chain as folded: the facts; sentences and names are rendered when the report is built. */
interface ChainEvent {
  readonly position: number;
  readonly at: string;
  readonly stream: string;
  readonly type: string;
  readonly data: JsonObject;
  readonly metadata: JsonObject;
}

interface ChainDoc {
  readonly keyId: string;
  readonly events: readonly ChainEvent[];
  /** Approval requests naming the key: id → action and how many approvals it needs. */
  readonly approvals: Readonly<Record<string, { action: string; required: number; granted: number }>>;
  readonly signaturesReleased: number;
  readonly signatureRecords: number;
}

const keep = (event: RecordedEvent): ChainEvent => ({
  position: event.position,
  at: eventTime(event),
  stream: event.streamName,
  type: event.type,
  data: event.data,
  metadata: event.metadata,
});

/** The chain of `keyId` (its one document): the key's events and those of the approvals naming it. */
export function custodyChainProjection(keyId: string): Projection {
  return {
    name: 'reports.custody-chain',
    version: 1,
    handles(event) {
      return keyIdOf(event) === keyId || isApprovalEvent(event) ? [keyId] : [];
    },
    evolve(doc, event) {
      const chain = (doc as unknown as ChainDoc | undefined) ?? {
        keyId,
        events: [],
        approvals: {},
        signaturesReleased: 0,
        signatureRecords: 0,
      };
      if (!isApprovalEvent(event)) {
        if (event.type === 'HashsigSignaturesReleased')
          return toDoc({
            ...chain,
            signaturesReleased: chain.signaturesReleased + (event.data.indexPaths as unknown[]).length,
            signatureRecords: chain.signatureRecords + 1,
          });
        return toDoc({ ...chain, events: [...chain.events, keep(event)] });
      }
      const e = event as unknown as ApprovalEvent;
      const id = e.data.approvalId;
      if (e.type === 'ApprovalRequested') {
        if (e.data.params.keyId !== keyId) return doc;
        return toDoc({
          ...chain,
          events: [...chain.events, keep(event)],
          approvals: {
            ...chain.approvals,
            [id]: { action: e.data.action, required: e.data.required, granted: 0 },
          },
        });
      }
      const request = Object.hasOwn(chain.approvals, id) ? chain.approvals[id] : undefined;
      if (request === undefined) return doc;
      const granted = request.granted + (e.type === 'ApprovalGranted' ? 1 : 0);
      return toDoc({
        ...chain,
        events: [...chain.events, keep(event)],
        approvals: { ...chain.approvals, [id]: { ...request, granted } },
      });
    },
  };
}

/** Restricts a projection to the events of one key: a report about one key folds nothing else. */
function forKey(projection: Projection, keyId: string): Projection {
  return { ...projection, handles: (event) => (keyIdOf(event) === keyId ? projection.handles(event) : []) };
}

export interface ChainEntry {
  readonly position: number;
  readonly at: string;
  readonly stream: string;
  readonly type: string;
  readonly summary: string;
  readonly by: Who | null;
  readonly hsms: readonly { hsmId: string; name: string | null }[];
  readonly blobs: readonly string[];
  readonly copyId: string | null;
  readonly opId: string | null;
  /** The approval request the event belongs to or was run by: who asked and who approved. */
  readonly approval: { approvalId: string; requestedBy: Who | null; approvedBy: readonly Who[] } | null;
}

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const strs = (v: unknown): string[] =>
  Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];

function hsmIdsOf(data: JsonObject): string[] {
  return [...new Set([data.hsmId, data.fromHsm, data.toHsm].flatMap((v) => str(v) ?? []))];
}

function blobsOf(data: JsonObject): string[] {
  return [
    ...new Set([
      ...[data.blobSha256, data.transitBlobSha256, data.abandonedBlobSha256].flatMap((v) => str(v) ?? []),
      ...strs(data.blobSha256s),
    ]),
  ];
}

/** Where a key imported from a cryptech_backup file came from, for its sentence. */
function fromBackup(p: BackupProvenance): string {
  return `from cryptech_backup file ${abbr(p.fileSha256)} (source key ${p.sourceUuid}, KEKEK ${abbr(p.kekekSpkiSha256)})`;
}

/** One sentence per key event: what happened to the key (docs/architecture.md §2, §4). */
function describeKeyEvent(e: KeyEvent, hsm: (id: string) => string): string {
  switch (e.type) {
    case 'KeyGenerated':
      return e.data.provenance === undefined
        ? `generated as copy ${e.data.copyId} on ${hsm(e.data.hsmId)}`
        : `imported as copy ${e.data.copyId} onto ${hsm(e.data.hsmId)} ${fromBackup(e.data.provenance)}`;
    case 'KeyBackupImported':
      return `imported onto ${hsm(e.data.hsmId)} ${fromBackup(e.data.provenance)}`;
    case 'KeyBackupExported':
      return `exported from ${hsm(e.data.hsmId)} to cryptech_backup file ${abbr(e.data.fileSha256)} under the KEKEK ${abbr(e.data.kekekSpkiSha256)}`;
    case 'KeyRawExportStarted':
      return `raw export of copy ${e.data.copyId} from ${hsm(e.data.hsmId)} started (operation ${e.data.opId}${e.data.reason === undefined ? '' : `, ${e.data.reason}`})`;
    case 'KeyRawExported':
      return `copy ${e.data.copyId} raw-exported from ${hsm(e.data.hsmId)} into blob ${abbr(e.data.blobSha256)}${
        e.data.supersedes.length > 0
          ? `, superseding ${e.data.supersedes.map((s) => abbr(s)).join(', ')}`
          : ''
      }`;
    case 'KeyDeletedFromHsm':
      return `copy ${e.data.copyId} deleted from ${hsm(e.data.hsmId)}: ${e.data.reason}${
        e.data.lostCopyId === null ? '' : ` (copy ${e.data.lostCopyId} lost: no other holder)`
      }`;
    case 'KeyRawImportStarted':
      return `raw import of blob ${abbr(e.data.blobSha256)} onto ${hsm(e.data.hsmId)} started (operation ${e.data.opId}${e.data.reason === undefined ? '' : `, ${e.data.reason}`})`;
    case 'KeyRawImported':
      return `blob ${abbr(e.data.blobSha256)} raw-imported onto ${hsm(e.data.hsmId)} as copy ${e.data.copyId}`;
    case 'KeyOperationFailed':
      return `${e.data.kind} operation ${e.data.opId} failed: ${e.data.reason}${
        e.data.lostCopyId === null ? '' : ` (copy ${e.data.lostCopyId} lost)`
      }`;
    case 'KeyTransferPrepared':
      return `transfer of copy ${e.data.copyId} from ${hsm(e.data.fromHsm)} to ${hsm(e.data.toHsm)} prepared (operation ${e.data.opId})`;
    case 'KekekGenerated':
      return `transit key (KEKEK) generated on ${hsm(e.data.hsmId)} for operation ${e.data.opId}`;
    case 'KeyTransferStarted':
      return `transfer from ${hsm(e.data.fromHsm)} to ${hsm(e.data.toHsm)} started under the KEKEK`;
    case 'KeyTransitExported':
      return `copy ${e.data.sourceCopyId} exported from ${hsm(e.data.fromHsm)} for ${hsm(e.data.toHsm)} as copy ${e.data.copyId} (transit blob ${abbr(e.data.transitBlobSha256)})`;
    case 'KeyTransitImported':
      return `copy ${e.data.copyId} imported onto ${hsm(e.data.toHsm)} from transit blob ${abbr(e.data.transitBlobSha256)}`;
    case 'HashsigSignaturesReleased':
      return `${e.data.indexPaths.length} signature(s) released by ${hsm(e.data.hsmId)}`;
    case 'HashsigSignaturesWithheld':
      return `${e.data.indexPaths.length} signature(s) by ${hsm(e.data.hsmId)} withheld (${e.data.reason}): ${e.data.detail}`;
    case 'HashsigReuseDetected':
      return `hashsig state reuse detected (${e.data.offending.rule}); the key is frozen: ${e.data.detail}`;
    case 'HashsigReuseObserved':
      return `hashsig signature observed that the index log does not account for (${e.data.outcome}); the key is frozen: ${e.data.detail}`;
    case 'KeyUnfrozen':
      return `unfrozen by ${e.data.officerId}: ${e.data.reason}`;
    case 'KeyPinChanged':
      return e.data.pinned ? 'pinned: kept resident' : 'unpinned';
    case 'KeyDestroyed':
      return `destroyed (${e.data.blobSha256s.length} blob(s) destroyed): ${e.data.reason}`;
    default:
      return unknownType(e, 'key event');
  }
}

function describeApprovalEvent(
  e: ApprovalEvent,
  request: { action: string; required: number } | undefined,
  who: (id: string) => string,
): string {
  switch (e.type) {
    case 'ApprovalRequested':
      return `${who(e.data.requestedBy)} asked for ${e.data.action} (${paramsText(e.data.params)}), needing ${e.data.required} officer approval(s) by ${e.data.expiresAt}`;
    case 'ApprovalGranted':
      return `${who(e.data.by)} approved ${request?.action ?? 'the request'}`;
    case 'ApprovalRejected':
      return `${who(e.data.by)} rejected ${request?.action ?? 'the request'}: ${e.data.reason}`;
    case 'ApprovalExecuted':
      return `${request?.action ?? 'the request'} executed by ${who(e.data.by)}`;
    case 'ApprovalFailed':
      return `${request?.action ?? 'the request'} run by ${who(e.data.by)} failed: ${e.data.reason}`;
    default:
      return unknownType(e, 'approval event');
  }
}

function chainEntries(chain: ChainDoc, n: Names): ChainEntry[] {
  const hsmText = (id: string) => n.hsm(id) ?? id;
  const whoText = (id: string) => {
    const w = n.who(id);
    return label(w.operatorId, w.name);
  };
  // Per approval: who asked, and the approvals recorded so far (as of each event, in ledger order).
  const requests = new Map<string, { requestedBy: Who | null; approvedBy: Who[] }>();
  return chain.events.map((event) => {
    const data = event.data;
    let summary: string;
    let by = n.actor(event.metadata);
    let approval: ChainEntry['approval'] = null;
    if (isApprovalEvent(event)) {
      const e = event as unknown as ApprovalEvent;
      const id = e.data.approvalId;
      const request = requests.get(id) ?? { requestedBy: null, approvedBy: [] };
      if (e.type === 'ApprovalRequested') request.requestedBy = n.who(e.data.requestedBy);
      if (e.type === 'ApprovalGranted') request.approvedBy.push(n.who(e.data.by));
      requests.set(id, request);
      const known = Object.hasOwn(chain.approvals, id) ? chain.approvals[id] : undefined;
      summary = describeApprovalEvent(e, known, whoText);
      by = n.who(e.type === 'ApprovalRequested' ? e.data.requestedBy : e.data.by);
      approval = { approvalId: id, requestedBy: request.requestedBy, approvedBy: [...request.approvedBy] };
    } else {
      summary = describeKeyEvent(event as unknown as KeyEvent, hsmText);
      const approvalId = str(event.metadata.approvalId);
      if (approvalId !== null) {
        const requestedBy = str(event.metadata.requestedBy);
        approval = {
          approvalId,
          requestedBy: requestedBy === null ? null : n.who(requestedBy),
          approvedBy: strs(event.metadata.approvedBy).map((id) => n.who(id)),
        };
      }
    }
    return {
      position: event.position,
      at: event.at,
      stream: event.stream,
      type: event.type,
      summary,
      by,
      hsms: hsmIdsOf(data).map((hsmId) => ({ hsmId, name: n.hsm(hsmId) })),
      blobs: blobsOf(data),
      copyId: str(data.copyId),
      opId: str(data.opId),
      approval,
    };
  });
}

export const CUSTODY_CHAIN_COLUMNS: readonly Column[] = [
  { name: 'position', title: 'Position' },
  { name: 'at', title: 'At' },
  { name: 'type', title: 'Event' },
  { name: 'summary', title: 'What' },
  { name: 'by', title: 'By (operator id)' },
  { name: 'byName', title: 'By (name)' },
  { name: 'hsms', title: 'HSMs' },
  { name: 'blobs', title: 'Blobs' },
  { name: 'copyId', title: 'Copy' },
  { name: 'approvalId', title: 'Approval' },
  { name: 'requestedBy', title: 'Requested by' },
  { name: 'approvedBy', title: 'Approved by' },
];

function chainRow(e: ChainEntry): Row {
  return {
    position: e.position,
    at: e.at,
    type: e.type,
    summary: e.summary,
    by: e.by?.operatorId ?? null,
    byName: e.by?.name ?? null,
    hsms: e.hsms.map((h) => h.name ?? h.hsmId),
    blobs: e.blobs,
    copyId: e.copyId,
    approvalId: e.approval?.approvalId ?? null,
    requestedBy: e.approval?.requestedBy?.operatorId ?? null,
    approvedBy: e.approval?.approvedBy.map((w) => w.operatorId) ?? [],
  };
}

export const custodyChainReport: ReportDefinition = {
  name: 'custody-chain',
  title: 'Custody chain of one key',
  description:
    "one key's every move with who, what, when, which HSM and blob, and the approval requests naming it (needs key)",
  key: 'required',
  projections: (keyId) => [
    forKey(keyCatalogProjection, keyId!),
    custodyChainProjection(keyId!),
    ...NAME_PROJECTIONS,
  ],
  build(models, input) {
    const keyId = input.key!;
    const doc = docsOf<KeyCatalogDoc>(models, keyCatalogProjection).get(keyId);
    const chain = docsOf<ChainDoc>(models, custodyChainProjection(keyId)).get(keyId);
    if (doc === undefined || doc.custody.status === 'absent' || chain === undefined)
      throw new ReportKeyNotFound(keyId, input.asOf.position);
    const n = names(models);
    const entries = chainEntries(chain, n);
    const subject = {
      keyId,
      label: doc.label,
      type: doc.type,
      params: reportParams(doc.facts),
      state: doc.state,
    };
    const approvals = Object.keys(chain.approvals).length;
    return {
      body: {
        key: subject,
        signaturesReleased: { signatures: chain.signaturesReleased, records: chain.signatureRecords },
        approvalRequests: approvals,
        entries: entries as unknown as Record<string, unknown>[],
      },
      summary: [
        ['Key', keyId],
        ['Label', doc.label ?? '—'],
        ['Type', `${doc.type} (${paramsText(subject.params)})`],
        ['State', doc.state],
        ['Approval requests naming it', String(approvals)],
        [
          'Signatures released (not listed)',
          `${chain.signaturesReleased} in ${chain.signatureRecords} record(s)`,
        ],
      ],
      tables: [{ title: 'Custody chain', columns: CUSTODY_CHAIN_COLUMNS, rows: entries.map(chainRow) }],
    };
  },
};
