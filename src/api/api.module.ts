import { DynamicModule, Module, type ModuleMetadata } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_PIPE } from '@nestjs/core';
import { ApprovalsController, PolicyController } from './approvals.controller';
import { AuditController } from './audit.controller';
import { BackupsController } from './backups.controller';
import { BearerAuthGuard } from './auth.guard';
import { BlobsController } from './blobs.controller';
import { HealthController } from './health.controller';
import { HsmsController, KekDomainsController } from './hsms.controller';
import { KeysController } from './keys.controller';
import { OperatorsController } from './operators.controller';
import { ProblemFilter } from './problem.filter';
import { ReportsController } from './reports/reports.controller';
import { SignBatchController } from './sign-batch.controller';
import { createValidationPipe } from './validation';

/**
 * The REST API (docs/architecture.md §1 `src/api`): controllers that dispatch custody commands and
 * queries on the CQRS buses and nothing else, operator bearer tokens and the route → role table
 * (roles.ts) on all but `/health` and `/docs`,
 * class-validator bodies, problem+json errors. `custody` is the module whose handlers answer them
 * (the custody application, or a test double).
 */
@Module({})
export class ApiModule {
  static forRoot(options: { custody: NonNullable<ModuleMetadata['imports']>[number] }): DynamicModule {
    return {
      module: ApiModule,
      imports: [options.custody],
      controllers: [
        HealthController,
        HsmsController,
        KekDomainsController,
        KeysController,
        SignBatchController,
        BlobsController,
        BackupsController,
        OperatorsController,
        ApprovalsController,
        PolicyController,
        AuditController,
        ReportsController,
      ],
      providers: [
        { provide: APP_GUARD, useClass: BearerAuthGuard },
        { provide: APP_FILTER, useClass: ProblemFilter },
        { provide: APP_PIPE, useFactory: createValidationPipe },
      ],
    };
  }
}
