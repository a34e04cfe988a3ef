/**
 * Policies for tests. Suites about custody mechanics run with `OPEN_POLICY` (no action waits for
 * officers), so registering an HSM or destroying a key happens at once as it did before dual
 * control; the dual-control suites run with the documented default.
 */
import { approval } from '../../src/domain';
import type { KeyledgerConfig } from '../../src/app/config';

export const OPEN_POLICY: approval.ApprovalPolicy = {
  ...approval.DEFAULT_POLICY,
  approvals: Object.fromEntries(
    approval.GATED_ACTIONS.map((a) => [a, 0]),
  ) as approval.ApprovalPolicy['approvals'],
};

/** `config` with `policy` as its configured policy (the ledger's first), unless `when` is false. */
export function withPolicy(
  config: KeyledgerConfig,
  policy: approval.ApprovalPolicy,
  when = true,
): KeyledgerConfig {
  return when ? { ...config, policy: { policy, source: 'test' } } : config;
}
