/**
 * Who a command acts for (docs/architecture.md §5): every command on the bus carries its actor, and
 * every event it appends names the actor's operator id in its metadata. An approved action also
 * names its request, requester and approvers.
 */
import type { operator } from '../domain';

export interface ApprovedBy {
  readonly approvalId: string;
  readonly requestedBy: string;
  /** The officers whose approvals made the request approved, in order. */
  readonly approvedBy: readonly string[];
}

export interface Actor {
  readonly operatorId: string;
  readonly role: operator.Role;
  /** Present when the command runs an approved request (the approval gate checks it). */
  readonly approval?: ApprovedBy;
  /**
   * The service itself (demo HSMs at start-up, crash recovery): never reachable from a request,
   * so never gated — what it runs was either configured by whoever started it or already approved.
   */
  readonly system?: true;
}

/** The service's own actor; `operatorId` is `KEYLEDGER_OPERATOR_ID` (default `keyledger`). */
export function systemActor(operatorId: string): Actor {
  return { operatorId, role: 'officer', system: true };
}

/** The event metadata that names an actor. */
export function actorMetadata(actor: Actor): Record<string, string | string[]> {
  if (actor.approval === undefined) return { operatorId: actor.operatorId };
  return {
    operatorId: actor.operatorId,
    approvalId: actor.approval.approvalId,
    requestedBy: actor.approval.requestedBy,
    approvedBy: [...actor.approval.approvedBy],
  };
}
