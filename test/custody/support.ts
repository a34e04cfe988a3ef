/** Real soft HSMs on Unix sockets and a real SQLite ledger for the custody integration specs. */
import { verify as nodeVerify } from 'node:crypto';
import { join } from 'node:path';
import type { CustodyPort, KeyView } from '../../src/app/custody/custody.port';
import { CustodyCore, DEFAULT_CUSTODY_OPTIONS } from '../../src/app/custody/custody-core';
import { CustodyService } from '../../src/app/custody/custody.service';
import { LedgerIndex } from '../../src/app/custody/ledger-index';
import type { Clock } from '../../src/app/custody/clock';
import { HsmRegistry } from '../../src/app/hsm-registry/hsm-registry';
import { recoverOpenOperations } from '../../src/app/process-manager/recover';
import { SecretStore } from '../../src/app/secrets/secret-store';
import { openSqliteEventStore, type EventStore } from '../../src/event-store';
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

export async function startHsm(dir: string, name: string, options: { kek?: Buffer; capacity?: number } = {}): Promise<TestHsm> {
  const stateDir = join(dir, `${name}-state`);
  const socketPath = join(dir, `${name}.sock`);
  createSoftHsmState(stateDir, { kek: options.kek ?? KEK_1, pin: PIN });
  const run = () => startSoftHsmServer({ stateDir, socketPath, capacity: options.capacity ?? 1000, pinDelayMs: 0 });
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

export interface Custody {
  readonly service: CustodyPort;
  readonly core: CustodyCore;
  readonly store: EventStore;
  recover(): ReturnType<typeof recoverOpenOperations>;
  close(): Promise<void>;
}

/** The service wired as CustodyModule wires it, with a small KEKEK to stay fast. */
export async function openCustody(dataDir: string, options: { clock?: Clock; env?: NodeJS.ProcessEnv } = {}): Promise<Custody> {
  const store = await openSqliteEventStore(dataDir);
  const index = new LedgerIndex(store);
  const registry = new HsmRegistry(store, new SecretStore(dataDir, options.env ?? {}), index);
  const core = new CustodyCore(store, registry, index, options.clock ?? { now: () => new Date() }, {
    ...DEFAULT_CUSTODY_OPTIONS,
    operatorId: 'test-operator',
    kekekBits: 1024,
    env: options.env ?? {},
  });
  const service = new CustodyService(core);
  return {
    service,
    core,
    store,
    recover: () => recoverOpenOperations(core),
    close: async () => {
      await registry.close();
      await store.close();
    },
  };
}

/** Registers `hsms` and puts them all in one KEK domain founded by the first. */
export async function registerInDomain(custody: CustodyPort, hsms: readonly TestHsm[], domain = 'domain-1', capacity?: number): Promise<string> {
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

/** Every live hashsig copy has at most one live holder (DESIGN §3). */
export function holdersPerCopy(key: KeyView): Map<string, number> {
  const counts = new Map<string, number>();
  for (const h of key.holders) counts.set(h.copyId, (counts.get(h.copyId) ?? 0) + 1);
  return counts;
}
