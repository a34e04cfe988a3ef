import type { Command } from '../message';
import type { Role } from '../operator';
import type { GatedAction } from './policy';

/** The parameters of a gated action, as JSON: what will run, fixed when the request is recorded. */
export type ApprovalParams = Readonly<Record<string, unknown>>;

export type RequestApproval = Command<
  'RequestApproval',
  {
    readonly approvalId: string;
    readonly action: GatedAction;
    readonly params: ApprovalParams;
    readonly requestedBy: string;
    /** Distinct officer approvals needed, from the policy in force when requested. */
    readonly required: number;
    readonly expiresAt: string;
    readonly at: string;
  }
>;

export type GrantApproval = Command<
  'GrantApproval',
  { readonly approvalId: string; readonly by: string; readonly role: Role; readonly at: string }
>;

export type RejectApproval = Command<
  'RejectApproval',
  {
    readonly approvalId: string;
    readonly by: string;
    readonly role: Role;
    readonly reason: string;
    readonly at: string;
  }
>;

/** What came of running an approved action: recorded once, by whoever ran it. */
export type RecordApprovalOutcome = Command<
  'RecordApprovalOutcome',
  {
    readonly approvalId: string;
    readonly by: string;
    readonly outcome:
      | { readonly status: 'executed'; readonly result: Readonly<Record<string, unknown>> }
      | { readonly status: 'failed'; readonly reason: string };
    readonly at: string;
  }
>;

export type ApprovalCommand = RequestApproval | GrantApproval | RejectApproval | RecordApprovalOutcome;
