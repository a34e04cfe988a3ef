import type { Event } from '../message';
import type { Role } from '../operator';
import type { ApprovalParams } from './commands';
import type { GatedAction } from './policy';

export type ApprovalRequested = Event<
  'ApprovalRequested',
  {
    readonly approvalId: string;
    readonly action: GatedAction;
    readonly params: ApprovalParams;
    readonly requestedBy: string;
    readonly required: number;
    readonly expiresAt: string;
    readonly at: string;
  }
>;

/** One officer's approval; the one that reaches `required` makes the request approved. */
export type ApprovalGranted = Event<
  'ApprovalGranted',
  { readonly approvalId: string; readonly by: string; readonly role: Role; readonly at: string }
>;

/** Final: a rejected request never runs. */
export type ApprovalRejected = Event<
  'ApprovalRejected',
  {
    readonly approvalId: string;
    readonly by: string;
    readonly role: Role;
    readonly reason: string;
    readonly at: string;
  }
>;

export type ApprovalExecuted = Event<
  'ApprovalExecuted',
  {
    readonly approvalId: string;
    readonly by: string;
    readonly result: Readonly<Record<string, unknown>>;
    readonly at: string;
  }
>;

/** The approved action ran and was refused (or could not run): the reason, never retried. */
export type ApprovalFailed = Event<
  'ApprovalFailed',
  { readonly approvalId: string; readonly by: string; readonly reason: string; readonly at: string }
>;

export type ApprovalEvent =
  ApprovalRequested | ApprovalGranted | ApprovalRejected | ApprovalExecuted | ApprovalFailed;

const TYPES: Readonly<Record<ApprovalEvent['type'], true>> = {
  ApprovalRequested: true,
  ApprovalGranted: true,
  ApprovalRejected: true,
  ApprovalExecuted: true,
  ApprovalFailed: true,
};

export function isApprovalEvent(event: { readonly type: string }): event is ApprovalEvent {
  return Object.hasOwn(TYPES, event.type);
}
