import { Module } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import type { EventStore } from '../event-store';
import type { KeyledgerConfig } from './config';
import { CLOCK, systemClock, type Clock } from './custody/clock';
import { CUSTODY_COMMAND_HANDLERS } from './custody/custody.commands';
import { CustodyCore, DEFAULT_CUSTODY_OPTIONS, type CustodyOptions } from './custody/custody-core';
import { CUSTODY } from './custody/custody.port';
import { CustodyService } from './custody/custody.service';
import { LedgerIndex } from './custody/ledger-index';
import { HsmRegistry } from './hsm-registry/hsm-registry';
import { ProcessManager } from './process-manager/process-manager';
import { SecretStore } from './secrets/secret-store';
import { EVENT_STORE, KEYLEDGER_CONFIG } from './tokens';

/** Options of the custody service (tests shrink the KEKEK; `KEYLEDGER_OPERATOR_ID` names the operator in metadata). */
export const CUSTODY_OPTIONS = Symbol('CUSTODY_OPTIONS');

/**
 * The custody write side (issue 4): `CUSTODY` (the service), the HSM registry, the local secret
 * store, the process manager (runs on bootstrap) and the CQRS command handlers. Needs the global
 * `LedgerModule` (EVENT_STORE, KEYLEDGER_CONFIG).
 */
@Module({
  imports: [CqrsModule.forRoot()],
  providers: [
    { provide: CLOCK, useValue: systemClock },
    {
      provide: CUSTODY_OPTIONS,
      useFactory: (): CustodyOptions => ({ ...DEFAULT_CUSTODY_OPTIONS, operatorId: process.env.KEYLEDGER_OPERATOR_ID?.trim() || 'operator', env: process.env }),
    },
    { provide: SecretStore, useFactory: (config: KeyledgerConfig) => new SecretStore(config.dataDir), inject: [KEYLEDGER_CONFIG] },
    { provide: LedgerIndex, useFactory: (store: EventStore) => new LedgerIndex(store), inject: [EVENT_STORE] },
    {
      provide: HsmRegistry,
      useFactory: (store: EventStore, secrets: SecretStore, index: LedgerIndex) => new HsmRegistry(store, secrets, index),
      inject: [EVENT_STORE, SecretStore, LedgerIndex],
    },
    {
      provide: CustodyCore,
      useFactory: (store: EventStore, registry: HsmRegistry, index: LedgerIndex, clock: Clock, options: CustodyOptions) =>
        new CustodyCore(store, registry, index, clock, options),
      inject: [EVENT_STORE, HsmRegistry, LedgerIndex, CLOCK, CUSTODY_OPTIONS],
    },
    CustodyService,
    { provide: CUSTODY, useExisting: CustodyService },
    ProcessManager,
    ...CUSTODY_COMMAND_HANDLERS,
  ],
  exports: [CUSTODY, CustodyService, HsmRegistry, SecretStore, ProcessManager, CqrsModule],
})
export class CustodyModule {}
