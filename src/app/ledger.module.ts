import { DynamicModule, Global, Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import type { EventStore } from '../event-store/event-store';
import type { KeyledgerConfig } from './config';
import { EVENT_STORE, KEYLEDGER_CONFIG } from './tokens';

/** Provides the configuration and the opened ledger (`EVENT_STORE`) to the whole application. */
@Global()
@Module({})
export class LedgerModule implements OnApplicationShutdown {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  /** `store` is opened before Nest starts, so a bad ledger fails start-up with one clear line. */
  static forRoot(config: KeyledgerConfig, store: EventStore): DynamicModule {
    return {
      module: LedgerModule,
      providers: [
        { provide: KEYLEDGER_CONFIG, useValue: config },
        { provide: EVENT_STORE, useValue: store },
      ],
      exports: [KEYLEDGER_CONFIG, EVENT_STORE],
    };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.store.close();
  }
}
