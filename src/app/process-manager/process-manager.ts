import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { ApprovalsService } from '../approvals/approvals';
import { CustodyCore } from '../custody/custody-core';
import { checkFaultEnv } from './fault-points';
import { checkSkipIndexCheckEnv, SKIP_INDEX_CHECK_ENV, skipIndexCheck } from '../custody/index-check-switch';
import { recoverOpenOperations, recoveryLine, type RecoveryReport } from './recover';

/**
 * Runs the crash recovery once at start-up, before the API takes requests (docs/architecture.md §4):
 * open custody operations first, then approved requests whose outcome a crash kept from the ledger
 * (an approved transfer cut short is settled by the first, then recorded by the second).
 *
 * Every action is logged at `warn`, one line each (`recoveryLine`): `keyledger serve` prints only
 * error and warn (startServer's default levels keep Nest's `log` chatter, every route mapped, out of
 * the output), and an operator must see every recovery action there. `warn` also fits: each action
 * means the previous process died in the middle of an operation.
 */
@Injectable()
export class ProcessManager implements OnApplicationBootstrap {
  private readonly logger = new Logger('ProcessManager');
  lastReport: (RecoveryReport & { readonly approvals: readonly string[] }) | null = null;

  constructor(
    @Inject(CustodyCore) private readonly core: CustodyCore,
    @Inject(ApprovalsService) private readonly approvals: ApprovalsService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    checkFaultEnv(this.core.options.env);
    checkSkipIndexCheckEnv(this.core.options.env);
    if (skipIndexCheck(this.core.options.env))
      this.logger.error(
        `${SKIP_INDEX_CHECK_ENV}=1: hashsig index reuse is NOT checked (test-only broken build)`,
      );
    this.lastReport = await this.recover();
  }

  async recover(): Promise<RecoveryReport & { readonly approvals: readonly string[] }> {
    const report = await recoverOpenOperations(this.core, (action) => this.logger.warn(recoveryLine(action)));
    for (const line of report.errors) this.logger.warn(`recovery: ${line}`);
    const approvals = await this.approvals.recoverApproved();
    for (const line of approvals) this.logger.warn(`recovered ${line}`);
    return { ...report, approvals };
  }
}
