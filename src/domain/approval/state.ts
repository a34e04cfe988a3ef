import { unknownType } from '../errors';
import type { Role } from '../operator';
import type { ApprovalParams } from './commands';
import type { ApprovalEvent } from './events';
import type { GatedAction } from './policy';

/**
 * `pending` until `required` officers approved (then `approved`: it runs next), `rejected`, or
 * run: `executed` or `failed`. Expiry is not a state: a pending request past `expiresAt` is
 * expired for anyone who asks (`statusAt`), and nothing can be recorded on it any more but a rejection.
 */
export type ApprovalStatus = 'pending' | 'approved' | 'rejected' | 'executed' | 'failed';

export type ApprovalRequest = {
  readonly status: ApprovalStatus;
  readonly approvalId: string;
  readonly action: GatedAction;
  readonly params: ApprovalParams;
  readonly requestedBy: string;
  readonly requestedAt: string;
  readonly required: number;
  readonly expiresAt: string;
  readonly approvals: readonly { readonly by: string; readonly role: Role; readonly at: string }[];
  readonly rejection: { readonly by: string; readonly reason: string; readonly at: string } | null;
  readonly outcome:
    | {
        readonly status: 'executed';
        readonly by: string;
        readonly at: string;
        readonly result: Readonly<Record<string, unknown>>;
      }
    | { readonly status: 'failed'; readonly by: string; readonly at: string; readonly reason: string }
    | null;
};

export type ApprovalState = { readonly status: 'absent' } | ApprovalRequest;

export function initialState(): ApprovalState {
  return { status: 'absent' };
}

export function evolve(state: ApprovalState, event: ApprovalEvent): ApprovalState {
  if (event.type === 'ApprovalRequested') {
    const d = event.data;
    return {
      status: 'pending',
      approvalId: d.approvalId,
      action: d.action,
      params: d.params,
      requestedBy: d.requestedBy,
      requestedAt: d.at,
      required: d.required,
      expiresAt: d.expiresAt,
      approvals: [],
      rejection: null,
      outcome: null,
    };
  }
  if (state.status === 'absent') return state;
  switch (event.type) {
    case 'ApprovalGranted': {
      const approvals = [...state.approvals, { by: event.data.by, role: event.data.role, at: event.data.at }];
      return { ...state, approvals, status: approvals.length >= state.required ? 'approved' : 'pending' };
    }
    case 'ApprovalRejected':
      return {
        ...state,
        status: 'rejected',
        rejection: { by: event.data.by, reason: event.data.reason, at: event.data.at },
      };
    case 'ApprovalExecuted':
      return {
        ...state,
        status: 'executed',
        outcome: { status: 'executed', by: event.data.by, at: event.data.at, result: event.data.result },
      };
    case 'ApprovalFailed':
      return {
        ...state,
        status: 'failed',
        outcome: { status: 'failed', by: event.data.by, at: event.data.at, reason: event.data.reason },
      };
    default:
      return unknownType(event, 'approval event');
  }
}

/** The status a reader sees at `now`: a pending request past its expiry is `expired`. */
export function statusAt(state: ApprovalRequest, now: string): ApprovalStatus | 'expired' {
  return state.status === 'pending' && isExpired(state, now) ? 'expired' : state.status;
}

export function isExpired(state: ApprovalRequest, now: string): boolean {
  return Date.parse(now) >= Date.parse(state.expiresAt);
}
