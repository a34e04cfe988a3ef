/** HSM registry and KEK domain use cases (docs/architecture.md §2, §4 "Disaster recovery"). */
import { Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { Actor } from '../actor';
import { audit, AUDIT_STREAM, hsm as hsmDomain, kekDomain, streamName } from '../../domain';
import { Curve, KeyFlag, parseStreamEndpoint, type Hsm, type HsmError } from '../../hsm-adapter';
import type { ActiveHsm } from '../hsm-registry/hsm-registry';
import { foldStream } from './append-decision';
import type { CustodyCore } from './custody-core';
import { sha256Hex } from '../../lib/sha256';
import { CustodyInvalidInput, CustodyNotFound, HsmEndpointFailed, KekMismatch } from './errors';
import { statusOf } from './hsm-calls';
import {
  hsmView,
  kekDomainView,
  type HsmView,
  type KekDomainView,
  type ReconcileReport,
  type RegisterHsmInput,
} from './views';

const logger = new Logger('custody');
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const ENDPOINT = /^(unix:\/\S+|tcp:\/\/[A-Za-z0-9.\-[\]:]+:\d{1,5})$/;
export const DEFAULT_HSM_CAPACITY = 1000;

export function checkName(field: string, value: unknown): string {
  if (typeof value !== 'string' || !NAME.test(value)) {
    throw new CustodyInvalidInput(
      `"${field}" expected 1–64 letters, digits, . _ - (starting with a letter or digit), got ${JSON.stringify(String(value).slice(0, 80))}`,
    );
  }
  return value;
}

/** The HSM as its own fold shows it now (what a command that changed it answers), with its resident keys. */
export async function hsmViewOf(core: CustodyCore, hsmId: string): Promise<HsmView> {
  const folded = await foldStream(
    core.store,
    streamName('hsm', hsmId),
    hsmDomain.hsmDecider,
    hsmDomain.isHsmEvent,
  );
  if (folded.state.status === 'absent') throw new CustodyNotFound(`HSM ${hsmId} is not registered`);
  await core.reads.catchUp();
  const registered = folded.events[0]!.data as hsmDomain.HsmRegistered['data'];
  return hsmView({ hsmId, registered, state: folded.state }, core.reads.residency(hsmId).count);
}

export async function registerHsm(
  core: CustodyCore,
  input: RegisterHsmInput & { readonly hsmId?: string },
  actor: Actor,
): Promise<HsmView> {
  const name = checkName('name', input?.name);
  if (typeof input.endpoint !== 'string' || !ENDPOINT.test(input.endpoint))
    throw new CustodyInvalidInput(
      `"endpoint" expected "unix:/path" or "tcp://host:port", got ${JSON.stringify(String(input.endpoint).slice(0, 200))}`,
    );
  // Never echo the PIN, not even its length.
  if (typeof input.pin !== 'string' || input.pin.length < 4 || input.pin.length > 4096)
    throw new CustodyInvalidInput(`"pin" expected a string of 4 to 4096 characters`);
  const capacity = input.capacity ?? DEFAULT_HSM_CAPACITY;
  if (!Number.isSafeInteger(capacity) || capacity < 1)
    throw new CustodyInvalidInput(`"capacity" expected a positive integer, got ${String(capacity)}`);
  const existing = await core.reads.hsmIdOf(name);
  if (existing !== undefined) {
    const state = await core.registry.state(existing);
    throw new hsmDomain.HsmAlreadyRegistered(existing, state.status === 'active' ? state.registeredAt : '?');
  }
  const client = await proveEndpoint(core, name, input.endpoint, input.pin);
  try {
    const hsmId = input.hsmId ?? randomUUID();
    core.registry.secrets.setPin(hsmId, input.pin);
    const ctx = core.context(actor);
    await core.decideHsm(
      hsmId,
      { type: 'RegisterHsm', data: { hsmId, name, endpoint: input.endpoint, capacity, at: ctx.now() } },
      ctx,
    );
    core.registry.adopt(hsmId, client);
    return hsmViewOf(core, hsmId);
  } catch (error) {
    client.disconnect();
    throw error;
  }
}

/**
 * Connects to the endpoint the caller gave and proves it: the PIN (LOGIN) and firmware with raw
 * export (docs/libhal-rpc.md §9.2). A transport or protocol failure is answered by its class only
 * (`HsmEndpointFailed`) and logged in full; a libhal status (e.g. PIN_INCORRECT) came from an HSM
 * and names no address, so it is answered as it is.
 */
async function proveEndpoint(core: CustodyCore, name: string, endpoint: string, pin: string): Promise<Hsm> {
  try {
    // ENDPOINT lets e.g. port 0 or 99999 through; the adapter's parser refuses them.
    parseStreamEndpoint(endpoint);
  } catch (error) {
    throw new CustodyInvalidInput((error as Error).message);
  }
  let client: Hsm | undefined;
  try {
    client = await core.registry.connector({ endpoint, pin });
    if (!(await client.probeRawExport()))
      throw new CustodyInvalidInput(
        `${name} at ${endpoint} has no EXPORT_RAW (RPC_BAD_FUNCTION): keyledger needs firmware with raw export`,
      );
    return client;
  } catch (error) {
    client?.disconnect();
    const kind = (error as Partial<HsmError> | null)?.kind;
    if (kind === undefined) throw error;
    // The adapter's messages name the endpoint, the errno and the RPC, never the PIN.
    logger.warn(`registering ${name} at ${endpoint} failed: ${(error as Error).message}`);
    if (kind === 'transport') throw new HsmEndpointFailed(name, 'unreachable');
    if (kind === 'protocol') throw new HsmEndpointFailed(name, 'not-libhal');
    throw error;
  }
}

async function resolveKekDomain(
  core: CustodyCore,
  ref: string,
): Promise<kekDomain.KekDomainState & { status: 'active' | 'retired' }> {
  const id = typeof ref === 'string' ? await core.reads.kekDomainIdOf(ref) : undefined;
  if (id === undefined)
    throw new CustodyNotFound(`KEK domain ${JSON.stringify(String(ref).slice(0, 80))} does not exist`);
  const state = await core.kekDomainState(id);
  if (state.status === 'absent') throw new CustodyNotFound(`KEK domain ${id} does not exist`);
  return state;
}

export async function createKekDomain(
  core: CustodyCore,
  input: { name: string; hsm: string },
  actor: Actor,
): Promise<KekDomainView> {
  const name = checkName('name', input?.name);
  if ((await core.reads.kekDomainIdOf(name)) !== undefined)
    throw new CustodyInvalidInput(`KEK domain "${name}" already exists`);
  const founder = await core.registry.active(input.hsm);
  const kekDomainId = randomUUID();
  if (founder.kekDomainId !== null)
    throw new hsmDomain.HsmInOtherKekDomain(founder.hsmId, founder.kekDomainId, kekDomainId);
  // The canary: a small exportable key whose raw blob only the domain's master KEK unwraps.
  const canary = await core.registry.withHsm(founder, async (client) => {
    const ref = await client.generateEc(
      Curve.P256,
      KeyFlag.USAGE_DIGITALSIGNATURE | KeyFlag.TOKEN | KeyFlag.EXPORTABLE,
    );
    try {
      const spki = await client.getPublicKey(ref.handle);
      const blob = await client.exportRaw(ref.handle);
      return { spki, blob };
    } finally {
      // The blob is the canary from now on; the key would only take a slot.
      await client.delete(ref.handle).catch(() => undefined);
    }
  });
  const canaryKeyId = randomUUID();
  const ctx = core.context(actor);
  const stored = await core.storeBlob(canaryKeyId, canary.blob, 'raw', ctx);
  const canaryPublicKeySha256 = sha256Hex(canary.spki);
  const { state } = await core.decideKekDomain(
    kekDomainId,
    {
      type: 'CreateKekDomain',
      data: {
        kekDomainId,
        name,
        canaryKeyId,
        canaryPublicKey: canary.spki.toString('base64'),
        canaryPublicKeySha256,
        canaryBlobSha256: stored.sha256,
        foundingHsmId: founder.hsmId,
        at: ctx.now(),
      },
    },
    ctx,
  );
  await core.decideHsm(
    founder.hsmId,
    {
      type: 'JoinKekDomain',
      data: {
        hsmId: founder.hsmId,
        kekDomainId,
        canaryBlobSha256: stored.sha256,
        canaryPublicKeySha256,
        domainCanary: kekDomain.domainCanary(state, kekDomainId),
        at: ctx.now(),
      },
    },
    ctx,
  );
  return kekDomainView((await core.kekDomainState(kekDomainId)) as Parameters<typeof kekDomainView>[0]);
}

/** IMPORT_RAW of the canary as a volatile key on one connection, its public key, then delete. */
async function proveCanary(client: Hsm, target: ActiveHsm, blob: Buffer, what: string): Promise<Buffer> {
  return client.withConnection(async (pinned) => {
    let ref;
    try {
      ref = await pinned.importRaw(blob, KeyFlag.USAGE_DIGITALSIGNATURE);
    } catch (error) {
      const status = statusOf(error);
      if (status?.startsWith('KEYWRAP_')) throw new KekMismatch(target.name, what, status);
      throw error;
    }
    try {
      return await pinned.getPublicKey(ref.handle);
    } finally {
      await pinned.delete(ref.handle).catch(() => undefined);
    }
  });
}

export async function joinKekDomain(
  core: CustodyCore,
  input: { kekDomain: string; hsm: string },
  actor: Actor,
): Promise<KekDomainView> {
  const domain = await resolveKekDomain(core, input?.kekDomain);
  const target = await core.registry.active(input.hsm);
  const canary = kekDomain.domainCanary(domain, domain.kekDomainId);
  if (target.kekDomainId !== null && target.kekDomainId !== domain.kekDomainId)
    throw new hsmDomain.HsmInOtherKekDomain(target.hsmId, target.kekDomainId, domain.kekDomainId);
  const blob = await core.blobBytes(canary.canaryBlobSha256);
  const spki = await core.registry.withHsm(target, (client) =>
    proveCanary(client, target, blob, `the canary of KEK domain ${domain.name}`),
  );
  const ctx = core.context(actor);
  const observedPublicKeySha256 = sha256Hex(spki);
  await core.decideKekDomain(
    domain.kekDomainId,
    {
      type: 'AdmitKekDomainMember',
      data: {
        kekDomainId: domain.kekDomainId,
        hsmId: target.hsmId,
        canaryBlobSha256: canary.canaryBlobSha256,
        observedPublicKey: spki.toString('base64'),
        observedPublicKeySha256,
        at: ctx.now(),
      },
    },
    ctx,
  );
  await core.decideHsm(
    target.hsmId,
    {
      type: 'JoinKekDomain',
      data: {
        hsmId: target.hsmId,
        kekDomainId: domain.kekDomainId,
        canaryBlobSha256: canary.canaryBlobSha256,
        canaryPublicKeySha256: observedPublicKeySha256,
        domainCanary: canary,
        at: ctx.now(),
      },
    },
    ctx,
  );
  return kekDomainView(
    (await core.kekDomainState(domain.kekDomainId)) as Parameters<typeof kekDomainView>[0],
  );
}

/** The HSM lost its KEK and keys: it leaves its domain and every residency on it is recorded deleted. */
export async function recordZeroized(core: CustodyCore, ref: string, actor: Actor): Promise<HsmView> {
  const target = await core.registry.active(ref);
  const ctx = core.context(actor);
  const reason = `${target.name} zeroized`;
  const { appended } = await core.decideHsm(
    target.hsmId,
    { type: 'RecordZeroized', data: { hsmId: target.hsmId, reason, at: ctx.now() } },
    ctx,
  );
  const left = appended[0]?.type === 'HsmZeroized' ? appended[0].data.leftKekDomainId : null;
  if (left !== null) {
    await core.decideKekDomain(
      left,
      {
        type: 'RemoveKekDomainMember',
        data: { kekDomainId: left, hsmId: target.hsmId, reason, at: ctx.now() },
      },
      ctx,
    );
  }
  await core.reads.catchUp();
  for (const keyId of Object.keys(core.reads.residency(target.hsmId).keys)) {
    await core.decideKey(
      keyId,
      { type: 'RecordDeletedFromHsm', data: { keyId, hsmId: target.hsmId, reason, at: ctx.now() } },
      ctx,
    );
  }
  await core.registry.drop(target.hsmId);
  return hsmViewOf(core, target.hsmId);
}

/** Stream of reconciliation reports: kept out of `hsm-<id>` so the HSM decider's fold stays closed. */
export function reconcileStream(hsmId: string): string {
  return `hsmreconcile-${hsmId}`;
}

/** PKEY_MATCH listing vs the residency the ledger expects; drift is recorded, never "fixed" (docs/architecture.md §4). */
export async function reconcile(core: CustodyCore, ref: string, actor: Actor): Promise<ReconcileReport> {
  const target = await core.registry.active(ref);
  const observed = (await core.registry.withHsm(target, (client) => client.match({}))).sort();
  await core.reads.catchUp();
  const expectedByName = new Map(
    Object.entries(core.reads.residency(target.hsmId).keys).map(([keyId, r]) => [r.hsmKeyName, keyId]),
  );
  // The audit key that signs checkpoints (docs/architecture.md §6.2) is the ledger's too.
  const { state: trail } = await foldStream(core.store, AUDIT_STREAM, audit.auditDecider, audit.isAuditEvent);
  const auditKey = trail.keys[trail.keys.length - 1];
  if (auditKey?.hsmId === target.hsmId)
    expectedByName.set(auditKey.hsmKeyName, `audit-key-${auditKey.keyId}`);
  // So are the KEKEKs `keyledger backup setup` made for cryptech_backup files (src/app/custody/backup.ts).
  for (const name of Object.keys(target.backupKekeks ?? {})) expectedByName.set(name, 'backup-kekek');
  const expected = [...expectedByName.keys()].sort();
  const seen = new Set(observed);
  const drift: ReconcileReport['drift'][number][] = [
    ...expected
      .filter((n) => !seen.has(n))
      .map((n) => ({ hsmKeyName: n, kind: 'missing-on-hsm' as const, keyId: expectedByName.get(n) })),
    ...observed
      .filter((n) => !expectedByName.has(n))
      .map((n) => ({ hsmKeyName: n, kind: 'unknown-to-ledger' as const })),
  ];
  // A kept handle to a missing key would only take a slot.
  for (const d of drift) if (d.kind === 'missing-on-hsm') await core.registry.forgetKey(target, d.hsmKeyName);
  const ctx = core.context(actor);
  const at = ctx.now();
  await core.store.append(reconcileStream(target.hsmId), [
    {
      type: 'HsmReconciled',
      data: { hsmId: target.hsmId, expected: expected.length, observed: observed.length, drift, at },
      metadata: ctx.metadata(at),
    },
  ]);
  return { hsm: target.name, expected, observed, drift };
}
