import type { Command } from 'commander';
import * as path from 'node:path';
import { ApiClient, UsageError, clientSettings, output, seg, table, type ApprovalJson } from './api-client';

type Json = { json?: boolean };

// The policy parser (yaml, ajv) loads only for `policy set` (see main.ts).
/* eslint-disable @typescript-eslint/no-require-imports */
const policyFileModule = (): typeof import('../app/approvals/policy-file') =>
  require('../app/approvals/policy-file');
/* eslint-enable @typescript-eslint/no-require-imports */

const STATUSES = ['pending', 'approved', 'rejected', 'executed', 'failed', 'expired'];
const client = () => new ApiClient(clientSettings());

function approvalText(a: ApprovalJson): string {
  const lines = [
    `approval ${a.approvalId}: ${a.action} ${a.status}`,
    `  params     ${JSON.stringify(a.params)}`,
    `  requested  ${a.requestedAt} by ${a.requestedBy}`,
    `  approvals  ${a.approvals.length} of ${a.required}${a.approvals.length ? `: ${a.approvals.map((x) => `${x.by} at ${x.at}`).join(', ')}` : ''}`,
    `  expires    ${a.expiresAt}`,
  ];
  if (a.rejection) lines.push(`  rejected   ${a.rejection.at} by ${a.rejection.by}: ${a.rejection.reason}`);
  if (a.outcome?.status === 'executed')
    lines.push(`  executed   ${a.outcome.at} by ${a.outcome.by}: ${JSON.stringify(a.outcome.result)}`);
  if (a.outcome?.status === 'failed')
    lines.push(`  failed     ${a.outcome.at} by ${a.outcome.by}: ${a.outcome.reason}`);
  if (a.token)
    lines.push(
      `  token      ${a.token}`,
      "             (the enrolled officer's, shown this once: hand it over, or rotate it)",
    );
  return lines.join('\n');
}

/** `keyledger approvals list | show | approve | reject`: dual control of the gated actions. */
export function registerApprovalsCommand(program: Command): void {
  const approvals = program
    .command('approvals')
    .description('requests for gated actions, approved by officers other than the requester');

  approvals
    .command('list')
    .description('list approval requests, oldest first')
    .option('--status <status>', `only ${STATUSES.join(', ')}`)
    .option('--json', 'print JSON')
    .action(async (options: { status?: string } & Json, command: Command) => {
      if (options.status !== undefined && !STATUSES.includes(options.status))
        command.error(`error: --status must be one of ${STATUSES.join(', ')}`, { exitCode: 2 });
      const query = options.status === undefined ? '' : `?status=${seg(options.status)}`;
      const list = await client().get<ApprovalJson[]>(`/v1/approvals${query}`);
      output(options.json, list, () =>
        list.length === 0
          ? 'no approval requests'
          : table([
              ['ID', 'ACTION', 'STATUS', 'APPROVALS', 'REQUESTED BY', 'EXPIRES'],
              ...list.map((a) => [
                a.approvalId,
                a.action,
                a.status,
                `${a.approvals.length}/${a.required}`,
                a.requestedBy,
                a.expiresAt,
              ]),
            ]),
      );
    });

  approvals
    .command('show')
    .description('one approval request')
    .argument('<id>', 'approval id')
    .option('--json', 'print JSON')
    .action(async (id: string, options: Json) => {
      const a = await client().get<ApprovalJson>(`/v1/approvals/${seg(id)}`);
      output(options.json, a, () => approvalText(a));
    });

  approvals
    .command('approve')
    .description(
      'approve a request (officers other than the requester); the approval that completes the quorum runs it',
    )
    .argument('<id>', 'approval id')
    .option('--json', 'print JSON')
    .action(async (id: string, options: Json) => {
      const a = await client().post<ApprovalJson>(`/v1/approvals/${seg(id)}/approve`);
      output(options.json, a, () => approvalText(a));
      if (a.status === 'failed') process.exitCode = 1;
    });

  approvals
    .command('reject')
    .description('reject a pending request: final, it never runs')
    .argument('<id>', 'approval id')
    .requiredOption('--reason <reason>', 'why, for the record')
    .option('--json', 'print JSON')
    .action(async (id: string, options: { reason: string } & Json) => {
      const a = await client().post<ApprovalJson>(`/v1/approvals/${seg(id)}/reject`, {
        reason: options.reason,
      });
      output(options.json, a, () => approvalText(a));
    });
}

interface PolicyJson {
  policy: Record<string, unknown>;
  summary: string[];
  adoptedAt: string | null;
  changes: number;
  position: number | null;
}

/** `keyledger policy show | set`: the approval policy in force. */
export function registerPolicyCommand(program: Command): void {
  const policy = program
    .command('policy')
    .description('the approval policy in force (which actions need how many officers)');

  policy
    .command('show')
    .description('the policy in force')
    .option('--json', 'print JSON')
    .action(async (options: Json) => {
      const view = await client().get<PolicyJson>('/v1/policy');
      output(options.json, view, () =>
        [
          `policy in force since ${view.adoptedAt ?? '-'} (${view.changes} change${view.changes === 1 ? '' : 's'} since the first)`,
          ...view.summary.map((line) => `  ${line}`),
        ].join('\n'),
      );
    });

  policy
    .command('set')
    .description(
      'propose a new policy from a YAML or JSON file (officers; an approved change-policy request)',
    )
    .argument('<file>', 'policy file, as KEYLEDGER_POLICY takes it')
    .option('--json', 'print JSON')
    .action(async (file: string, options: Json) => {
      // The file is checked here with the service's own parser, so a mistake names its line.
      const { PolicyFileError, loadPolicyFile, policyToDocument } = policyFileModule();
      let document;
      try {
        document = policyToDocument(loadPolicyFile(path.resolve(file)));
      } catch (error) {
        if (error instanceof PolicyFileError)
          throw new UsageError(
            `policy file ${error.source}${error.line === undefined ? '' : ` line ${error.line}, column ${error.column}`}: ${error.detail}`,
          );
        throw error;
      }
      const view = await client().put<PolicyJson>('/v1/policy', document);
      output(options.json, view, () =>
        [`policy changed`, ...view.summary.map((line) => `  ${line}`)].join('\n'),
      );
    });
}
