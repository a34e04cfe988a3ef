import { DynamicModule, Module, type ModuleMetadata } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_PIPE } from '@nestjs/core';
import { API_TOKEN, BearerAuthGuard } from './auth.guard';
import { BlobsController } from './blobs.controller';
import { HealthController } from './health.controller';
import { HsmsController, KekDomainsController } from './hsms.controller';
import { KeysController } from './keys.controller';
import { ProblemFilter } from './problem.filter';
import { ReadSide } from './read-side';
import { createValidationPipe } from './validation';

/**
 * The REST API (DESIGN §1 `src/api`): controllers over the custody port, bearer-token auth on all
 * but `/health` and `/docs`, class-validator bodies, problem+json errors. `custody` is the module
 * that exports `CUSTODY`.
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
        ReadSide,
        { provide: API_TOKEN, useValue: options.token },
        { provide: APP_GUARD, useClass: BearerAuthGuard },
        { provide: APP_FILTER, useClass: ProblemFilter },
        { provide: APP_PIPE, useFactory: createValidationPipe },
      ],
      exports: [ReadSide],
    };
  }
}
