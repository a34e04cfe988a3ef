/**
 * The `policy` stream: the approval policy in force, one `PolicyAdopted` per change. The first is
 * adopted when the ledger has none (from `KEYLEDGER_POLICY`, or the default); every later one only
 * through an approved `change-policy` request, so editing the file cannot bypass dual control.
 */
import { aTime } from '../assert';
import { InvalidCommand } from '../errors';
import type { Command, Decider, Event } from '../message';
import type { ApprovalPolicy } from './policy';

/** `initial`: the ledger had no policy; `approval`: an approved change-policy request (id in metadata). */
export type PolicyBasis = 'initial' | 'approval';

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
    if (basis === 'initial' && state.status !== 'absent')
      throw new InvalidCommand(
        'the ledger already has a policy: a change needs an approved change-policy request',
      );
    if (basis !== 'initial' && basis !== 'approval')
      throw new InvalidCommand(`"basis" expected initial or approval, got ${JSON.stringify(basis)}`);
    return [{ type: 'PolicyAdopted', data: { policy, basis, source, at } }];
  },
};
