import { DynamicModule, Module } from '@nestjs/common';
import { ApiModule } from '../api/api.module';
import type { EventStore } from '../event-store/event-store';
import type { KeyledgerConfig } from '../app/config';
import { CustodyModule } from '../app/custody.module';
import { LedgerModule } from '../app/ledger.module';

export interface AppOptions {
  /** The bootstrap token (src/api/api-token.ts): the first officer's on a ledger without operators. */
  readonly apiToken: string;
}

@Module({})
export class AppModule {
  static forRoot(config: KeyledgerConfig, store: EventStore, options: AppOptions): DynamicModule {
    return {
      module: AppModule,
      imports: [
        LedgerModule.forRoot(config, store, { bootstrapToken: options.apiToken }),
        ApiModule.forRoot({ custody: CustodyModule }),
      ],
    };
  }
}
