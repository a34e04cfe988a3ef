/**
 * One approval request (docs/architecture.md §5): requested once, approved by distinct officers
 * other than the requester until `required` is reached, or rejected; then run exactly once, its
 * outcome recorded. The expected revision of the stream makes concurrent approvals safe: only one
 * of them can be the one that reaches `required`, and only that one runs the action.
 */
import { aId, aInt, aOneOf, aText, aTime } from '../assert';
import { InvalidCommand, unknownType } from '../errors';
import { ROLES } from '../operator';
import type { ApprovalCommand } from './commands';
import {
  AlreadyApproved,
  ApprovalAlreadyRequested,
  ApprovalExpired,
  ApprovalNotFound,
  ApprovalNotPending,
  ApproverNotOfficer,
  RequesterCannotApprove,
} from './errors';
import type { ApprovalEvent } from './events';
import { GATED_ACTIONS, MAX_APPROVALS } from './policy';
import { isExpired, type ApprovalState } from './state';

const OUTCOMES: readonly ('executed' | 'failed')[] = ['executed', 'failed'];

/** Params and results are stored as given: a JSON object, never an array or a scalar. */
function aObject(field: string, value: unknown): asserts value is Readonly<Record<string, unknown>> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new InvalidCommand(
      `"${field}" expected a JSON object, got ${value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value}`,
    );
}

export function decide(command: ApprovalCommand, state: ApprovalState): ApprovalEvent[] {
  const { approvalId, at } = command.data;
  aId('approvalId', approvalId);
  aTime('at', at);
  if (state.status !== 'absent' && state.approvalId !== approvalId)
    throw new InvalidCommand(
      `"approvalId" is ${approvalId}, but this stream is approval ${state.approvalId}`,
    );

  if (command.type === 'RequestApproval') {
    const c = command.data;
    aOneOf('action', c.action, GATED_ACTIONS);
    aId('requestedBy', c.requestedBy);
    aInt('required', c.required, 1, MAX_APPROVALS);
    aTime('expiresAt', c.expiresAt);
    aObject('params', c.params);
    if (Date.parse(c.expiresAt) <= Date.parse(at))
      throw new InvalidCommand(`"expiresAt" ${c.expiresAt} is not after the request (${at})`);
    if (state.status !== 'absent') throw new ApprovalAlreadyRequested(approvalId);
    return [
      {
        type: 'ApprovalRequested',
        data: {
          approvalId,
          action: c.action,
          params: c.params,
          requestedBy: c.requestedBy,
          required: c.required,
          expiresAt: c.expiresAt,
          at,
        },
      },
    ];
  }

  if (state.status === 'absent') throw new ApprovalNotFound(approvalId);

  switch (command.type) {
    case 'GrantApproval':
    case 'RejectApproval': {
      const c = command.data;
      const what = command.type === 'GrantApproval' ? 'approving' : 'rejecting';
      aId('by', c.by);
      aOneOf('role', c.role, ROLES);
      if (command.type === 'RejectApproval') aText('reason', command.data.reason);
      if (state.status !== 'pending') throw new ApprovalNotPending(approvalId, state.status, what);
      if (c.role !== 'officer') throw new ApproverNotOfficer(approvalId, c.by, c.role);
      if (command.type === 'RejectApproval') {
        // Expiry stops approvals, not rejections: an officer may still close an expired request
        // (state.ts), and a rejection never runs anything.
        return [
          {
            type: 'ApprovalRejected',
            data: { approvalId, by: c.by, role: c.role, reason: command.data.reason, at },
          },
        ];
      }
      if (isExpired(state, at)) throw new ApprovalExpired(approvalId, state.expiresAt, what);
      if (c.by === state.requestedBy) throw new RequesterCannotApprove(approvalId, c.by);
      const earlier = state.approvals.find((a) => a.by === c.by);
      if (earlier !== undefined) throw new AlreadyApproved(approvalId, c.by, earlier.at);
      return [{ type: 'ApprovalGranted', data: { approvalId, by: c.by, role: c.role, at } }];
    }
    case 'RecordApprovalOutcome': {
      const c = command.data;
      aId('by', c.by);
      aObject('outcome', c.outcome);
      aOneOf('outcome.status', c.outcome.status, OUTCOMES);
      if (c.outcome.status === 'executed') aObject('outcome.result', c.outcome.result);
      else aText('outcome.reason', c.outcome.reason);
      // Only an approved request runs, and it runs once: a second outcome is refused.
      if (state.status !== 'approved')
        throw new ApprovalNotPending(approvalId, state.status, 'recording an outcome');
      if (c.outcome.status === 'executed')
        return [{ type: 'ApprovalExecuted', data: { approvalId, by: c.by, result: c.outcome.result, at } }];
      return [{ type: 'ApprovalFailed', data: { approvalId, by: c.by, reason: c.outcome.reason, at } }];
    }
    default:
      return unknownType(command, 'approval command');
  }
}
