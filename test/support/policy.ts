/**
 * Policies for tests. Suites about custody mechanics run with `OPEN_POLICY` (no action waits for
 * officers), so registering an HSM or destroying a key happens at once as it did before dual
 * control; the dual-control suites run with the documented default.
 */
import { approval } from '../../src/domain';
import * as fs from 'node:fs';
import * as path from 'node:path';
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

/** Writes `OPEN_POLICY` as a policy file in `dir`, for a service started as a process (`KEYLEDGER_POLICY`). */
export function openPolicyFile(dir: string): string {
  const file = path.join(dir, 'open-policy.json');
  fs.writeFileSync(file, JSON.stringify({ version: 1, expiresAfter: '24h', approvals: {} }));
  return file;
}
