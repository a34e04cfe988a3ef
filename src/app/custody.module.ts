import { Module } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import type { EventStore } from '../event-store';
import type { KeyledgerConfig } from './config';
import { CLOCK, systemClock, type Clock } from './custody/clock';
import { CUSTODY_COMMAND_HANDLERS } from './custody/custody.commands';
import { CustodyCore, DEFAULT_CUSTODY_OPTIONS, type CustodyOptions } from './custody/custody-core';
import { CUSTODY_QUERY_HANDLERS } from './custody/custody.queries';
import { HsmRegistry } from './hsm-registry/hsm-registry';
import { ProcessManager } from './process-manager/process-manager';
import { Pager } from './paging/pager';
import { ReadSide } from './read-side/read-side';
import { SecretStore } from './secrets/secret-store';
import { EVENT_STORE, KEYLEDGER_CONFIG } from './tokens';
import { ApprovalsService } from './approvals/approvals';
import {
  ApproveHandler,
  GetApprovalHandler,
  ListApprovalsHandler,
  RejectHandler,
} from './approvals/approvals.commands';
import { APPROVALS_SERVICE, ApprovalGate } from './approvals/gate';
import { CONFIGURED_POLICY, PolicyService } from './approvals/policy';
import { ChangePolicyHandler, GetPolicyHandler } from './approvals/policy.commands';
import { OperatorsService } from './operators/operators';
import { OPERATOR_HANDLERS } from './operators/operators.commands';
import { AUDIT_PROVIDERS } from './audit/audit.queries';
import { REPORT_QUERY_HANDLERS } from './reports/reports.queries';

/** Options of the custody service (tests shrink the KEKEK; `KEYLEDGER_OPERATOR_ID` names the operator in metadata). */
export const CUSTODY_OPTIONS = Symbol('CUSTODY_OPTIONS');

/**
 * The keyledger application (docs/architecture.md §1): the command handlers (the one write path,
 * each behind the approval gate), the query handlers over the read side, operators, approvals and
 * the policy in force, the report query, the HSM registry, the local secret store and the crash recovery (runs on
 * bootstrap, after the read side has started). Needs the global `LedgerModule` (EVENT_STORE,
 * KEYLEDGER_CONFIG, BOOTSTRAP_TOKEN).
 */
@Module({
  imports: [CqrsModule.forRoot()],
  providers: [
    { provide: CLOCK, useValue: systemClock },
    {
      provide: CUSTODY_OPTIONS,
      useFactory: (): CustodyOptions => ({
        ...DEFAULT_CUSTODY_OPTIONS,
        operatorId: process.env.KEYLEDGER_OPERATOR_ID?.trim() || DEFAULT_CUSTODY_OPTIONS.operatorId,
        env: process.env,
      }),
    },
    {
      provide: SecretStore,
      useFactory: (config: KeyledgerConfig) => new SecretStore(config.dataDir),
      inject: [KEYLEDGER_CONFIG],
    },
    ReadSide,
    {
      provide: HsmRegistry,
      useFactory: (store: EventStore, secrets: SecretStore, reads: ReadSide) =>
        new HsmRegistry(store, secrets, reads),
      inject: [EVENT_STORE, SecretStore, ReadSide],
    },
    {
      provide: CustodyCore,
      useFactory: (
        store: EventStore,
        registry: HsmRegistry,
        reads: ReadSide,
        clock: Clock,
        options: CustodyOptions,
      ) => new CustodyCore(store, registry, reads, clock, options),
      inject: [EVENT_STORE, HsmRegistry, ReadSide, CLOCK, CUSTODY_OPTIONS],
    },
    {
      provide: Pager,
      useFactory: (core: CustodyCore, config: KeyledgerConfig) => new Pager(core, config.paging),
      inject: [CustodyCore, KEYLEDGER_CONFIG],
    },
    {
      provide: CONFIGURED_POLICY,
      useFactory: (config: KeyledgerConfig) => config.policy,
      inject: [KEYLEDGER_CONFIG],
    },
    PolicyService,
    OperatorsService,
    ApprovalsService,
    { provide: APPROVALS_SERVICE, useExisting: ApprovalsService },
    ApprovalGate,
    ProcessManager,
    ...CUSTODY_COMMAND_HANDLERS,
    ...CUSTODY_QUERY_HANDLERS,
    ...OPERATOR_HANDLERS,
    ...REPORT_QUERY_HANDLERS,
    ApproveHandler,
    RejectHandler,
    ListApprovalsHandler,
    GetApprovalHandler,
    ChangePolicyHandler,
    GetPolicyHandler,
    ...AUDIT_PROVIDERS,
  ],
  exports: [
    CustodyCore,
    HsmRegistry,
    ReadSide,
    SecretStore,
    ProcessManager,
    OperatorsService,
    ApprovalsService,
    PolicyService,
    CqrsModule,
  ],
})
export class CustodyModule {}
