import { DynamicModule, Module } from '@nestjs/common';
import { HealthController } from '../api/health.controller';
import type { EventStore } from '../event-store/event-store';
import type { KeyledgerConfig } from './config';
import { LedgerModule } from './ledger.module';

@Module({})
export class AppModule {
  static forRoot(config: KeyledgerConfig, store: EventStore): DynamicModule {
    return { module: AppModule, imports: [LedgerModule.forRoot(config, store)], controllers: [HealthController] };
  }
}
