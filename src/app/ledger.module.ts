import { DynamicModule, Global, Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import type { EventStore } from '../event-store/event-store';
import type { KeyledgerConfig } from './config';
import { BOOTSTRAP_TOKEN, EVENT_STORE, KEYLEDGER_CONFIG } from './tokens';

/** Provides the configuration and the opened ledger (`EVENT_STORE`) to the whole application. */
@Global()
@Module({})
export class LedgerModule implements OnApplicationShutdown {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  /**
   * `store` is opened before Nest starts, so a bad ledger fails start-up with one clear line.
   * `bootstrapToken` (`KEYLEDGER_TOKEN` or the generated api-token) becomes the first officer's on
   * a ledger without operators.
   */
  static forRoot(
    config: KeyledgerConfig,
    store: EventStore,
    options: { bootstrapToken?: string } = {},
  ): DynamicModule {
    return {
      module: LedgerModule,
      providers: [
        { provide: KEYLEDGER_CONFIG, useValue: config },
        { provide: EVENT_STORE, useValue: store },
        { provide: BOOTSTRAP_TOKEN, useValue: options.bootstrapToken },
      ],
      exports: [KEYLEDGER_CONFIG, EVENT_STORE, BOOTSTRAP_TOKEN],
    };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.store.close();
  }
}
