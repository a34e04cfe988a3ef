import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { CustodyCore } from '../custody/custody-core';
import { checkFaultEnv } from './fault-points';
import { recoverOpenOperations, type RecoveryReport } from './recover';

/** Runs the crash recovery once at start-up, before the API takes requests (docs/architecture.md §4). */
@Injectable()
export class ProcessManager implements OnApplicationBootstrap {
  private readonly logger = new Logger('ProcessManager');
  lastReport: RecoveryReport | null = null;

  constructor(@Inject(CustodyCore) private readonly core: CustodyCore) {}

  async onApplicationBootstrap(): Promise<void> {
    checkFaultEnv(this.core.options.env);
    this.lastReport = await this.recover();
  }

  async recover(): Promise<RecoveryReport> {
    const report = await recoverOpenOperations(this.core);
    const { completed, failed, cleaned, errors } = report;
    if (completed.length + failed.length + cleaned.length > 0) {
      this.logger.log(
        `recovered: ${completed.length} completed, ${failed.length} failed, ${cleaned.length} cleaned up`,
      );
    }
    for (const line of errors) this.logger.warn(`recovery: ${line}`);
    return report;
  }
}
