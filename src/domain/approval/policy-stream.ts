/**
 * The `policy` stream: the approval policy in force, one `PolicyAdopted` per change. The first is
 * adopted when the ledger has none (from `KEYLEDGER_POLICY`, or the default); every later one only
 * through an approved `change-policy` request, so editing the file cannot bypass dual control.
 */
import { aInt, aOneOf, aText, aTime } from '../assert';
import { InvalidCommand } from '../errors';
import type { Command, Decider, Event } from '../message';
import {
  GATED_ACTIONS,
  MAX_APPROVALS,
  MAX_EXPIRY_SECONDS,
  MIN_EXPIRY_SECONDS,
  type ApprovalPolicy,
} from './policy';

/**
 * `initial`: the ledger had no policy; `approval`: an approved change-policy request (its id in the
 * metadata); `not-gated`: the policy in force asked no approval for changing it.
 */
export type PolicyBasis = 'initial' | 'approval' | 'not-gated';

export type AdoptPolicy = Command<
  'AdoptPolicy',
  {
    readonly policy: ApprovalPolicy;
    readonly basis: PolicyBasis;
    /** Where the text came from: `default`, the file, or `api`. */
    readonly source: string;
    readonly at: string;
  }
>;

export type PolicyAdopted = Event<
  'PolicyAdopted',
  {
    readonly policy: ApprovalPolicy;
    readonly basis: PolicyBasis;
    readonly source: string;
    readonly at: string;
  }
>;

export type PolicyState =
  | { readonly status: 'absent' }
  | {
      readonly status: 'adopted';
      readonly policy: ApprovalPolicy;
      readonly adoptedAt: string;
      readonly changes: number;
    };

export function isPolicyEvent(event: { readonly type: string }): event is PolicyAdopted {
  return event.type === 'PolicyAdopted';
}

const BASES: readonly PolicyBasis[] = ['initial', 'approval', 'not-gated'];

/**
 * The policy is recorded as given and read back by every later request, so the stream takes only
 * a complete one: version 1, an expiry within bounds, a count in [0, MAX_APPROVALS] for every
 * gated action and for no other. (The file's own schema, with line numbers, is the app's.)
 */
function aPolicy(value: unknown): asserts value is ApprovalPolicy {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new InvalidCommand('"policy" expected an object');
  const p = value as Record<string, unknown>;
  if (p.version !== 1)
    throw new InvalidCommand(`"policy.version" expected 1, got ${JSON.stringify(p.version) ?? 'nothing'}`);
  aInt('policy.expiresAfterSeconds', p.expiresAfterSeconds, MIN_EXPIRY_SECONDS, MAX_EXPIRY_SECONDS);
  const approvals = p.approvals;
  if (typeof approvals !== 'object' || approvals === null || Array.isArray(approvals))
    throw new InvalidCommand('"policy.approvals" expected an object');
  for (const action of Object.keys(approvals)) aOneOf('policy.approvals', action, GATED_ACTIONS);
  for (const action of GATED_ACTIONS)
    aInt(`policy.approvals.${action}`, (approvals as Record<string, unknown>)[action], 0, MAX_APPROVALS);
}

export const policyDecider: Decider<PolicyState, AdoptPolicy, PolicyAdopted> = {
  initialState: () => ({ status: 'absent' }),
  evolve(state, event) {
    return {
      status: 'adopted',
      policy: event.data.policy,
      adoptedAt: event.data.at,
      changes: state.status === 'absent' ? 0 : state.changes + 1,
    };
  },
  decide(command, state) {
    const { policy, basis, source, at } = command.data;
    aTime('at', at);
    aOneOf('basis', basis, BASES);
    aText('source', source);
    aPolicy(policy);
    if (basis === 'initial' && state.status !== 'absent')
      throw new InvalidCommand(
        'the ledger already has a policy: a change needs an approved change-policy request',
      );
    // A change needs a policy in force; the first policy is adopted as `initial`.
    if (basis !== 'initial' && state.status === 'absent')
      throw new InvalidCommand(
        `the ledger has no policy yet: the first one is adopted with basis initial, not ${basis}`,
      );
    return [{ type: 'PolicyAdopted', data: { policy, basis, source, at } }];
  },
};
