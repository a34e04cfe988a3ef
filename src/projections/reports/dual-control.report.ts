/**
 * `dual-control`: every approval request (docs/architecture.md §5) in the order it was recorded —
 * the action and its parameters, who asked and when, each officer's approval, a rejection, the
 * outcome — and counts per action and status. Each request is the domain's own fold of its stream
 * (the approval catalog). Its status is read at the report's time (the time of the last event
 * folded): a request still pending then, past its expiry, reads `expired`.
 */
import { approval } from '../../domain';
import { toDoc } from '../custody/key-state';
import { approvalCatalogProjection, type ApprovalCatalogDoc } from '../operators';
import type { Projection } from '../projection';
import { paramsText } from './key-facts';
import { NAME_PROJECTIONS, names, type Who } from './names';
import { docsOf, type Column, type ReportDefinition, type Row } from './report';

/** The position each request was recorded at: the report lists requests in ledger order. */
const requestPositionProjection: Projection = {
  name: 'reports.approval-requested-at',
  version: 1,
  handles(event) {
    return event.type === 'ApprovalRequested' && approval.isApprovalEvent(event)
      ? [String(event.data.approvalId)]
      : [];
  },
  evolve(_doc, event) {
    return toDoc({ position: event.position });
  },
};

type Status = approval.ApprovalStatus | 'expired';
const STATUSES: readonly Status[] = ['pending', 'approved', 'rejected', 'executed', 'failed', 'expired'];

export interface DualControlRequest {
  readonly approvalId: string;
  readonly action: string;
  readonly params: Readonly<Record<string, unknown>>;
  readonly status: Status;
  readonly requestedBy: Who;
  readonly requestedAt: string;
  readonly requestedPosition: number;
  readonly required: number;
  readonly expiresAt: string;
  readonly approvals: readonly { by: Who; role: string; at: string }[];
  readonly rejection: { by: Who; at: string; reason: string } | null;
  readonly outcome:
    | { status: 'executed'; by: Who; at: string; result: Readonly<Record<string, unknown>> }
    | { status: 'failed'; by: Who; at: string; reason: string }
    | null;
}

export const DUAL_CONTROL_COLUMNS: readonly Column[] = [
  { name: 'approvalId', title: 'Request' },
  { name: 'action', title: 'Action' },
  { name: 'params', title: 'Parameters' },
  { name: 'status', title: 'Status' },
  { name: 'requestedBy', title: 'Requested by (id)' },
  { name: 'requestedByName', title: 'Requested by (name)' },
  { name: 'requestedAt', title: 'Requested at' },
  { name: 'required', title: 'Approvals needed' },
  { name: 'approvedBy', title: 'Approved by (ids)' },
  { name: 'approvedByName', title: 'Approved by (names)' },
  { name: 'approvedAt', title: 'Approved at' },
  { name: 'rejectedBy', title: 'Rejected by' },
  { name: 'rejectedAt', title: 'Rejected at' },
  { name: 'rejectionReason', title: 'Rejection reason' },
  { name: 'outcome', title: 'Outcome' },
  { name: 'outcomeBy', title: 'Outcome by' },
  { name: 'outcomeAt', title: 'Outcome at' },
  { name: 'outcomeDetail', title: 'Result or reason' },
  { name: 'expiresAt', title: 'Expires' },
];

function requestRow(r: DualControlRequest): Row {
  return {
    approvalId: r.approvalId,
    action: r.action,
    params: paramsText(r.params),
    status: r.status,
    requestedBy: r.requestedBy.operatorId,
    requestedByName: r.requestedBy.name,
    requestedAt: r.requestedAt,
    required: r.required,
    approvedBy: r.approvals.map((a) => a.by.operatorId),
    approvedByName: r.approvals.map((a) => a.by.name ?? a.by.operatorId),
    approvedAt: r.approvals.map((a) => a.at),
    rejectedBy: r.rejection?.by.operatorId ?? null,
    rejectedAt: r.rejection?.at ?? null,
    rejectionReason: r.rejection?.reason ?? null,
    outcome: r.outcome?.status ?? null,
    outcomeBy: r.outcome?.by.operatorId ?? null,
    outcomeAt: r.outcome?.at ?? null,
    outcomeDetail:
      r.outcome === null
        ? null
        : r.outcome.status === 'executed'
          ? JSON.stringify(r.outcome.result)
          : r.outcome.reason,
    expiresAt: r.expiresAt,
  };
}

const COUNT_COLUMNS: readonly Column[] = [
  { name: 'action', title: 'Action' },
  { name: 'requests', title: 'Requests' },
  ...STATUSES.map((s) => ({ name: s, title: s[0]!.toUpperCase() + s.slice(1) })),
];

export const dualControlReport: ReportDefinition = {
  name: 'dual-control',
  title: 'Dual control: approval requests',
  description:
    'every approval request: action, parameters, who asked, who approved or rejected, outcome; counts',
  key: 'none',
  projections: () => [approvalCatalogProjection, requestPositionProjection, ...NAME_PROJECTIONS],
  build(models, input) {
    const n = names(models);
    const positions = docsOf<{ position: number }>(models, requestPositionProjection);
    const now = input.asOf.at;
    const requests: DualControlRequest[] = [
      ...docsOf<ApprovalCatalogDoc>(models, approvalCatalogProjection).values(),
    ]
      .map((doc) => ({ s: doc.state, position: positions.get(doc.approvalId)?.position ?? doc.lastPosition }))
      .sort((a, b) => a.position - b.position)
      .map(({ s, position }) => ({
        approvalId: s.approvalId,
        action: s.action,
        params: s.params,
        status: now === null ? s.status : approval.statusAt(s, now),
        requestedBy: n.who(s.requestedBy),
        requestedAt: s.requestedAt,
        requestedPosition: position,
        required: s.required,
        expiresAt: s.expiresAt,
        approvals: s.approvals.map((a) => ({ by: n.who(a.by), role: a.role, at: a.at })),
        rejection:
          s.rejection === null
            ? null
            : { by: n.who(s.rejection.by), at: s.rejection.at, reason: s.rejection.reason },
        outcome:
          s.outcome === null
            ? null
            : s.outcome.status === 'executed'
              ? { status: 'executed', by: n.who(s.outcome.by), at: s.outcome.at, result: s.outcome.result }
              : { status: 'failed', by: n.who(s.outcome.by), at: s.outcome.at, reason: s.outcome.reason },
      }));
    const actions = [...new Set(requests.map((r) => r.action))].sort();
    const countsFor = (rs: readonly DualControlRequest[]) => ({
      requests: rs.length,
      ...Object.fromEntries(STATUSES.map((s) => [s, rs.filter((r) => r.status === s).length])),
    });
    const counts = actions.map((action) => ({
      action,
      ...countsFor(requests.filter((r) => r.action === action)),
    }));
    const totals = countsFor(requests);
    return {
      body: {
        totals,
        counts,
        requests: requests as unknown as Record<string, unknown>[],
      },
      summary: [
        ['Requests', String(requests.length)],
        ...STATUSES.map(
          (s) => [s[0]!.toUpperCase() + s.slice(1), String((totals as Record<string, number>)[s])] as const,
        ),
      ],
      tables: [
        { title: 'Approval requests', columns: DUAL_CONTROL_COLUMNS, rows: requests.map(requestRow) },
        {
          title: 'Counts per action',
          columns: COUNT_COLUMNS,
          rows: [...counts, { action: 'all', ...totals }] as Row[],
        },
      ],
    };
  },
};
