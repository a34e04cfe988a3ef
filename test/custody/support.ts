/** Real soft HSMs on Unix sockets and a real SQLite ledger for the custody integration specs. */
import type { Actor } from '../../src/app/actor';
import { OPEN_POLICY, withPolicy } from '../support/policy';
import 'reflect-metadata';
import type { INestApplicationContext } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { Test } from '@nestjs/testing';
import { verify as nodeVerify } from 'node:crypto';
import { join } from 'node:path';
import { loadConfig } from '../../src/app/config';
import { CUSTODY_OPTIONS, CustodyModule } from '../../src/app/custody.module';
import { CLOCK, type Clock } from '../../src/app/custody/clock';
import {
  CreateKekDomainCommand,
  DeleteFromHsmCommand,
  DestroyKeyCommand,
  GenerateKeyCommand,
  JoinKekDomainCommand,
  PresentBlobCommand,
  RawExportCommand,
  RawImportCommand,
  ReconcileHsmCommand,
  RecordZeroizedCommand,
  RegisterHsmCommand,
  SignCommand,
  TransferKeyCommand,
} from '../../src/app/custody/custody.commands';
import { CustodyCore, DEFAULT_CUSTODY_OPTIONS } from '../../src/app/custody/custody-core';
import {
  GetBlobQuery,
  GetHsmQuery,
  GetKeyQuery,
  KeyEventsQuery,
  ListHsmsQuery,
  ListKeysQuery,
  type KeyEventView,
} from '../../src/app/custody/custody.queries';
import type {
  BlobView,
  GenerateKeyInput,
  HsmView,
  KekDomainView,
  KeyView,
  PresentBlobResult,
  ReconcileReport,
  RegisterHsmInput,
  SignResult,
} from '../../src/app/custody/views';
import { LedgerModule } from '../../src/app/ledger.module';
import { ProcessManager } from '../../src/app/process-manager/process-manager';
import { recoverOpenOperations } from '../../src/app/process-manager/recover';
import { SecretStore } from '../../src/app/secrets/secret-store';
import type { EventStore } from '../../src/event-store';
import { openEventStore } from '../../src/server/open-event-store';
import { Hsm, User } from '../../src/hsm-adapter';
import { createSoftHsmState, startSoftHsmServer, type SoftHsmServer } from '../../src/soft-hsm';
import { hssVerify } from '../../src/soft-hsm/hashsig';

export const PIN = 'custody-pin';
export const KEK_1 = Buffer.alloc(32, 0x11);
export const KEK_2 = Buffer.alloc(32, 0x22);

export interface TestHsm {
  readonly name: string;
  readonly stateDir: string;
  readonly socketPath: string;
  readonly endpoint: string;
  server: SoftHsmServer;
  /** Stops the server (e.g. to zeroize its state directory) and starts it again on the same socket. */
  stop(): Promise<void>;
  start(): Promise<void>;
}

export async function startHsm(
  dir: string,
  name: string,
  options: { kek?: Buffer; capacity?: number } = {},
): Promise<TestHsm> {
  const stateDir = join(dir, `${name}-state`);
  const socketPath = join(dir, `${name}.sock`);
  createSoftHsmState(stateDir, { kek: options.kek ?? KEK_1, pin: PIN });
  const run = () =>
    startSoftHsmServer({ stateDir, socketPath, capacity: options.capacity ?? 1000, pinDelayMs: 0 });
  const hsm: TestHsm = {
    name,
    stateDir,
    socketPath,
    endpoint: `unix:${socketPath}`,
    server: await run(),
    stop: () => hsm.server.close(),
    start: async () => {
      hsm.server = await run();
    },
  };
  return hsm;
}

/** A direct adapter client, to check what the HSM holds independently of the service. */
export function directClient(hsm: TestHsm): Promise<Hsm> {
  return Hsm.connect({ endpoint: hsm.endpoint, pin: PIN, user: User.NORMAL, poolSize: 1 });
}

/**
 * The custody use cases as the int specs call them: each method dispatches the command or query on
 * the application's own buses, so the specs run the one write path and the read side.
 */
export interface CustodyClient {
  registerHsm(input: RegisterHsmInput): Promise<HsmView>;
  listHsms(): Promise<HsmView[]>;
  getHsm(hsm: string): Promise<HsmView>;
  createKekDomain(input: { name: string; hsm: string }): Promise<KekDomainView>;
  joinKekDomain(input: { kekDomain: string; hsm: string }): Promise<KekDomainView>;
  recordZeroized(hsm: string): Promise<HsmView>;
  reconcile(hsm: string): Promise<ReconcileReport>;
  generateKey(input: GenerateKeyInput): Promise<KeyView>;
  listKeys(): Promise<KeyView[]>;
  getKey(keyId: string): Promise<KeyView>;
  keyEvents(keyId: string): Promise<KeyEventView[]>;
  rawExport(keyId: string, input: { hsm: string; evict?: boolean }): Promise<{ blobSha256: string }>;
  rawImport(
    keyId: string,
    input: { hsm: string; blobSha256?: string },
  ): Promise<{ hsm: string; hsmKeyName: string; blobSha256: string }>;
  transfer(keyId: string, input: { from: string; to: string }): Promise<KeyView>;
  deleteFromHsm(keyId: string, input: { hsm: string }): Promise<KeyView>;
  destroyKey(keyId: string): Promise<KeyView>;
  sign(keyId: string, input: { data: Buffer; hsm?: string }): Promise<SignResult>;
  getBlob(sha256: string): Promise<BlobView>;
  presentBlob(input: { keyId: string; blob: Buffer }): Promise<PresentBlobResult>;
}

/** The officer the int specs act as (their ledgers run `OPEN_POLICY`: nothing waits for approval). */
export const TEST_ACTOR: Actor = { operatorId: 'test-operator', role: 'officer' };

export function custodyClient(
  app: Pick<INestApplicationContext, 'get'>,
  actor: Actor = TEST_ACTOR,
): CustodyClient {
  const commands = app.get(CommandBus);
  const queries = app.get(QueryBus);
  return {
    registerHsm: (input) => commands.execute(new RegisterHsmCommand(input, actor)),
    listHsms: () => queries.execute(new ListHsmsQuery()),
    getHsm: (hsm) => queries.execute(new GetHsmQuery(hsm)),
    createKekDomain: (input) => commands.execute(new CreateKekDomainCommand(input, actor)),
    joinKekDomain: (input) => commands.execute(new JoinKekDomainCommand(input, actor)),
    recordZeroized: (hsm) => commands.execute(new RecordZeroizedCommand(hsm, actor)),
    reconcile: (hsm) => commands.execute(new ReconcileHsmCommand(hsm, actor)),
    generateKey: (input) => commands.execute(new GenerateKeyCommand(input, actor)),
    listKeys: () => queries.execute(new ListKeysQuery()),
    getKey: (keyId) => queries.execute(new GetKeyQuery(keyId)),
    keyEvents: (keyId) => queries.execute(new KeyEventsQuery(keyId)),
    rawExport: (keyId, input) => commands.execute(new RawExportCommand(keyId, input, actor)),
    rawImport: (keyId, input) => commands.execute(new RawImportCommand(keyId, input, actor)),
    transfer: (keyId, input) => commands.execute(new TransferKeyCommand(keyId, input, actor)),
    deleteFromHsm: (keyId, input) => commands.execute(new DeleteFromHsmCommand(keyId, input, actor)),
    destroyKey: (keyId) => commands.execute(new DestroyKeyCommand(keyId, actor)),
    sign: (keyId, input) => commands.execute(new SignCommand(keyId, input, actor)),
    getBlob: (sha256) => queries.execute(new GetBlobQuery(sha256)),
    presentBlob: (input) => commands.execute(new PresentBlobCommand(input, actor)),
  };
}

export interface Custody {
  readonly service: CustodyClient;
  readonly core: CustodyCore;
  readonly store: EventStore;
  recover(): ReturnType<typeof recoverOpenOperations>;
  close(): Promise<void>;
}

/**
 * The custody application as CustodyModule wires it, with a small KEKEK to stay fast. Crash
 * recovery does not run at start-up here: the specs call `recover()` and check its report.
 */
export async function openCustody(
  dataDir: string,
  options: { clock?: Clock; env?: NodeJS.ProcessEnv } = {},
): Promise<Custody> {
  const env = options.env ?? {};
  // Audit checkpoints off unless the test asks (the audit key would take a slot on the first HSM).
  const config = withPolicy(
    loadConfig({
      KEYLEDGER_DATA_DIR: dataDir,
      KEYLEDGER_CHECKPOINT_EVERY: env.KEYLEDGER_CHECKPOINT_EVERY ?? 'off',
    }),
    OPEN_POLICY,
  );
  // As the service opens it: the SQLite ledger behind the hash chain.
  const store = await openEventStore(config);
  const moduleRef = await Test.createTestingModule({
    imports: [LedgerModule.forRoot(config, store), CustodyModule],
  })
    .overrideProvider(CLOCK)
    .useValue(options.clock ?? { now: () => new Date() })
    .overrideProvider(CUSTODY_OPTIONS)
    .useValue({ ...DEFAULT_CUSTODY_OPTIONS, operatorId: 'test-operator', kekekBits: 1024, env })
    .overrideProvider(SecretStore)
    .useValue(new SecretStore(dataDir, env))
    .overrideProvider(ProcessManager)
    .useValue({})
    .compile();
  moduleRef.useLogger(false);
  await moduleRef.init();
  const core = moduleRef.get(CustodyCore);
  return {
    service: custodyClient(moduleRef),
    core,
    store,
    recover: () => recoverOpenOperations(core),
    close: () => moduleRef.close(),
  };
}

/** Registers `hsms` and puts them all in one KEK domain founded by the first. */
export async function registerInDomain(
  custody: CustodyClient,
  hsms: readonly TestHsm[],
  domain = 'domain-1',
  capacity?: number,
): Promise<string> {
  for (const h of hsms) await custody.registerHsm({ name: h.name, endpoint: h.endpoint, pin: PIN, capacity });
  const created = await custody.createKekDomain({ name: domain, hsm: hsms[0]!.name });
  for (const h of hsms.slice(1)) await custody.joinKekDomain({ kekDomain: domain, hsm: h.name });
  return created.kekDomainId;
}

/** node:crypto's independent check of an RSA PKCS#1 v1.5 / ECDSA (r‖s) signature over SHA-256, or hashsig. */
export function verifies(key: KeyView, data: Buffer, signature: Buffer): boolean {
  if (key.type === 'hashsig') return hssVerify(key.publicKeyRfc8554!, data, signature);
  const publicKey = { key: key.publicKey, format: 'der' as const, type: 'spki' as const };
  return key.type === 'ec'
    ? nodeVerify('sha256', data, { ...publicKey, dsaEncoding: 'ieee-p1363' }, signature)
    : nodeVerify('sha256', data, publicKey, signature);
}

/** Every live hashsig copy has at most one live holder (docs/architecture.md §3). */
export function holdersPerCopy(key: KeyView): Map<string, number> {
  const counts = new Map<string, number>();
  for (const h of key.holders) counts.set(h.copyId, (counts.get(h.copyId) ?? 0) + 1);
  return counts;
}
