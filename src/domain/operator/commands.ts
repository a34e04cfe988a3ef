import type { Command } from '../message';
import type { Role } from './roles';

/**
 * Why an enrolment or a change of role needed no (further) approval, recorded on the event:
 * - `first-officer`: the service's bootstrap token on a ledger without operators;
 * - `bootstrap-phase`: an officer enrolled while the ledger held fewer than M + 1 officers;
 * - `approval`: an approved request (its id is in the event's metadata);
 * - `not-gated`: the policy asks no approval for it (operators, auditors, or M = 0).
 */
export type EnrolmentBasis = 'first-officer' | 'bootstrap-phase' | 'approval' | 'not-gated';

export type EnrolOperator = Command<
  'EnrolOperator',
  {
    readonly operatorId: string;
    readonly name: string;
    readonly role: Role;
    /** SHA-256 (hex) of the bearer token: the token itself never reaches the ledger. */
    readonly tokenHash: string;
    readonly basis: EnrolmentBasis;
    readonly at: string;
  }
>;

export type ChangeOperatorRole = Command<
  'ChangeOperatorRole',
  {
    readonly operatorId: string;
    readonly role: Role;
    readonly basis: EnrolmentBasis;
    readonly at: string;
  }
>;

export type RotateOperatorToken = Command<
  'RotateOperatorToken',
  { readonly operatorId: string; readonly tokenHash: string; readonly at: string }
>;

export type RevokeOperator = Command<'RevokeOperator', { readonly operatorId: string; readonly at: string }>;

export type OperatorCommand = EnrolOperator | ChangeOperatorRole | RotateOperatorToken | RevokeOperator;
