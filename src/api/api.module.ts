import { DynamicModule, Module, type ModuleMetadata } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_PIPE } from '@nestjs/core';
import { API_TOKEN, BearerAuthGuard } from './auth.guard';
import { BlobsController } from './blobs.controller';
import { HealthController } from './health.controller';
import { HsmsController, KekDomainsController } from './hsms.controller';
import { KeysController } from './keys.controller';
import { ProblemFilter } from './problem.filter';
import { createValidationPipe } from './validation';

/**
 * The REST API (docs/architecture.md §1 `src/api`): controllers that dispatch custody commands and
 * queries on the CQRS buses and nothing else, bearer-token auth on all but `/health` and `/docs`,
 * class-validator bodies, problem+json errors. `custody` is the module whose handlers answer them
 * (the custody application, or a test double).
 */
@Module({})
export class ApiModule {
  static forRoot(options: {
    token: string;
    custody: NonNullable<ModuleMetadata['imports']>[number];
  }): DynamicModule {
    return {
      module: ApiModule,
      imports: [options.custody],
      controllers: [HealthController, HsmsController, KekDomainsController, KeysController, BlobsController],
      providers: [
        { provide: API_TOKEN, useValue: options.token },
        { provide: APP_GUARD, useClass: BearerAuthGuard },
        { provide: APP_FILTER, useClass: ProblemFilter },
        { provide: APP_PIPE, useFactory: createValidationPipe },
      ],
    };
  }
}
