import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { ApprovalsService } from '../approvals/approvals';
import { CustodyCore } from '../custody/custody-core';
import { checkFaultEnv } from './fault-points';
import { recoverOpenOperations, type RecoveryReport } from './recover';

/**
 * Runs the crash recovery once at start-up, before the API takes requests (docs/architecture.md §4):
 * open custody operations first, then approved requests whose outcome a crash kept from the ledger
 * (an approved transfer cut short is settled by the first, then recorded by the second).
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
    this.lastReport = await this.recover();
  }

  async recover(): Promise<RecoveryReport & { readonly approvals: readonly string[] }> {
    const report = await recoverOpenOperations(this.core);
    const { completed, failed, cleaned, errors } = report;
    if (completed.length + failed.length + cleaned.length > 0) {
      this.logger.log(
        `recovered: ${completed.length} completed, ${failed.length} failed, ${cleaned.length} cleaned up`,
      );
    }
    for (const line of errors) this.logger.warn(`recovery: ${line}`);
    const approvals = await this.approvals.recoverApproved();
    for (const line of approvals) this.logger.log(`recovered ${line}`);
    return { ...report, approvals };
  }
}
