#!/usr/bin/env node
/**
 * The `keyledger` command. Each sub-command lives in its own file and registers itself here.
 *
 * Start-up: only commander, the command files and the HTTP client load before a command runs.
 * What a command needs beyond that (NestJS and the server for `serve`, the software HSM for
 * `soft-hsm`, the ledger for `audit`, cli-progress for a bar) is `require`d inside its action, so an operator command such
 * as `keyledger keys list` does not pay for the service (test/cli/startup.int.spec.ts checks it).
 *
 * Exit codes: 0 ok (`--help` and `--version` included), 1 failure, 2 usage (every error commander
 * reports, and every `command.error(…)` of the commands, which they use for usage only), 3 the
 * policy made the command an approval request (nothing ran yet).
 */
import { Command, CommanderError } from 'commander';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { AwaitingApproval, UsageError } from './api-client';
import { registerApprovalsCommand, registerPolicyCommand } from './approvals.command';
import { registerAuditCommand } from './audit.command';
import { registerBackupCommand } from './backup.command';
import { registerOperatorsCommand, registerWhoamiCommand } from './operators.command';
import { registerBlobsCommand } from './blobs.command';
import { registerHsmsCommand } from './hsms.command';
import { registerKekDomainsCommand } from './kek-domains.command';
import { registerKeysCommand } from './keys.command';
import { registerLedgerCommand } from './ledger.command';
import { registerReportCommand } from './reports.command';
import { registerServeCommand } from './serve.command';
import { registerSoftHsmCommand } from './soft-hsm.command';

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;
/** The command became an approval request: recorded, waiting for officers, nothing ran yet. */
export const EXIT_AWAITING_APPROVAL = 3;

// package.json sits two levels up from both src/cli (tests) and dist/cli (installed).
const { version } = JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as {
  version: string;
};

/**
 * Every command of the tree reports through a thrown CommanderError instead of exiting: 0 for help
 * and version, 2 for any usage error (commander's own exit code is 1 for those).
 */
function usageErrorsExit2(command: Command): void {
  command.exitOverride((error) => {
    throw error.exitCode === EXIT_OK ? error : new CommanderError(EXIT_USAGE, error.code, error.message);
  });
  for (const sub of command.commands) usageErrorsExit2(sub);
}

export function buildProgram(): Command {
  const program = new Command('keyledger')
    .description('Custody ledger and external keystore for Cryptech-style HSMs')
    .version(version)
    .showHelpAfterError();
  registerServeCommand(program);
  registerSoftHsmCommand(program);
  registerHsmsCommand(program);
  registerKekDomainsCommand(program);
  registerKeysCommand(program);
  registerBlobsCommand(program);
  registerBackupCommand(program);
  registerOperatorsCommand(program);
  registerWhoamiCommand(program);
  registerApprovalsCommand(program);
  registerPolicyCommand(program);
  registerReportCommand(program);
  registerAuditCommand(program);
  registerLedgerCommand(program);
  usageErrorsExit2(program);
  return program;
}

export async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) process.exit(error.exitCode);
    if (error instanceof AwaitingApproval) {
      console.log(error.message);
      process.exit(EXIT_AWAITING_APPROVAL);
    }
    // Known failures (bad configuration, unreadable ledger, ...) are reported as one line; never a stack.
    console.error(`keyledger: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(error instanceof UsageError ? EXIT_USAGE : EXIT_FAILURE);
  }
}

if (require.main === module) void main(process.argv);
