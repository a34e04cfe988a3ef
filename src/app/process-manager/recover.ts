/**
 * Drives every open intent to an end after a crash (docs/architecture.md §4): asks the HSM what happened
 * (PKEY_OPEN by name, PKEY_MATCH + public key), repeats the idempotent step, or records
 * FailOperation. A transfer's KEKEK is deleted before its op is closed either way (also one
 * generated but never recorded, see `orphanKekeks`). Also settles what a crash can leave between a completion and its clean-up:
 * disabled hashsig copies awaiting PKEY_DELETE, and an eviction whose delete was not recorded.
 */
import { key } from '../../domain';
import type { ActiveHsm } from '../hsm-registry/hsm-registry';
import type { OpContext } from '../custody/append-decision';
import type { CustodyCore } from '../custody/custody-core';
import { namesWithPublicKey, withKey } from '../custody/hsm-calls';
import { evictFromHsm, failOp, finishRawExport } from '../custody/raw-export';
import { finishRawImport } from '../custody/raw-import';
import { completeImportStep, dropKekek, importTransit, kekekCandidates } from '../custody/transfer';
import { isTransportFailure } from '../hsm-registry/hsm-registry';
import type { RecordedEvent } from '../../event-store';

/**
 * One thing recovery did: an open operation completed or failed, or a clean-up after one. Ids, HSM
 * names and hashes only, never a PIN, token or blob, since each becomes a line of the service's
 * output (`recoveryLine`).
 */
export interface RecoveryAction {
  readonly keyId: string;
  /** The operation's kind: the open op's, the raw export a clean-up finishes, or a zeroization. */
  readonly kind: key.OpenOp['kind'] | 'zeroization';
  /** Null for a zeroization, which has none. */
  readonly opId: string | null;
  readonly outcome: 'completed' | 'failed' | 'cleaned';
  /** Why it failed, or what was cleaned up; null for a completion. */
  readonly detail: string | null;
}

export interface RecoveryReport {
  readonly actions: RecoveryAction[];
  /** Keys recovery could not settle: their operations stay open until the next start. */
  readonly errors: string[];
}

/** `recovered raw-export op <opId> of key <keyId>: failed (<why>)`, one line for the service's output. */
export function recoveryLine(action: RecoveryAction): string {
  const what = action.opId === null ? action.kind : `${action.kind} op ${action.opId}`;
  const detail = action.detail === null ? '' : ` (${action.detail})`;
  return `recovered ${what} of key ${action.keyId}: ${action.outcome}${detail}`;
}

/** Collects the actions and hands each to `onAction` when it is done, not after the slowest HSM has answered. */
class Recording {
  readonly report: RecoveryReport = { actions: [], errors: [] };
  constructor(private readonly onAction: (action: RecoveryAction) => void) {}

  add(action: RecoveryAction): void {
    this.report.actions.push(action);
    this.onAction(action);
  }
}

async function activeHsm(core: CustodyCore, hsmId: string): Promise<ActiveHsm | null> {
  const state = await core.registry.state(hsmId);
  return state.status === 'active' ? state : null;
}

/** Names on the HSM the ledger does not place there: where a lost IMPORT's key would be. */
async function unplacedNames(core: CustodyCore, target: ActiveHsm): Promise<string[]> {
  await core.reads.catchUp();
  const placed = new Set(Object.values(core.reads.residency(target.hsmId).keys).map((r) => r.hsmKeyName));
  const names = await core.registry.withHsm(target, (client) => client.match({}));
  return names.filter((n) => !placed.has(n));
}

async function findImported(
  core: CustodyCore,
  target: ActiveHsm,
  state: key.LiveKey,
): Promise<string | undefined> {
  const candidates = await unplacedNames(core, target);
  const spki = Buffer.from(state.publicKey, 'base64');
  return (await core.registry.withHsm(target, (client) => namesWithPublicKey(client, candidates, spki)))[0];
}

async function recoverOp(
  core: CustodyCore,
  state: key.LiveKey,
  op: key.OpenOp,
  ctx: OpContext,
  recording: Recording,
): Promise<void> {
  const keyId = state.keyId;
  const { kind, opId } = op;
  const fail = async (why: string) => {
    await failOp(core, keyId, opId, `recovered after a crash: ${why}`, ctx);
    recording.add({ keyId, kind, opId, outcome: 'failed', detail: why });
  };
  const done = () => recording.add({ keyId, kind, opId, outcome: 'completed', detail: null });
  switch (op.kind) {
    case 'raw-export': {
      const target = await activeHsm(core, op.hsmId);
      const r = state.residency[op.hsmId];
      if (target === null || r === undefined) return fail(`${op.hsmId} is no longer usable or holds no copy`);
      // EXPORT_RAW again: RSA/EC give the same keystore blob; a disabled hashsig key its same frozen blob (docs/libhal-rpc.md §9.2).
      const got = await core.registry.withHsm(target, (client) =>
        withKey(client, r.hsmKeyName, (h) => client.exportRaw(h)),
      );
      if (got === null) return fail(`${target.name} has no key ${r.hsmKeyName}`);
      await finishRawExport(core, keyId, op.opId, target, got.value, false, ctx);
      return done();
    }
    case 'raw-import': {
      const target = await activeHsm(core, op.hsmId);
      if (target === null) return fail(`${op.hsmId} is no longer usable`);
      const name = await findImported(core, target, state);
      if (name === undefined)
        return fail(`IMPORT_RAW did not happen: ${target.name} holds no unplaced key with this public key`);
      await finishRawImport(core, keyId, op.opId, target, name, state.attributes, ctx);
      return done();
    }
    case 'transfer': {
      const dest = await activeHsm(core, op.toHsm);
      if (op.kekek === null) {
        // Prepared, KEKEK not recorded: PKEY_GENERATE_RSA may have run. Delete what it left, then fail.
        if (dest === null) return fail(`prepared only, and ${op.toHsm} is no longer usable`);
        const orphans = await orphanKekeks(core, dest, op.priorKekekNames);
        for (const name of orphans) await dropKekek(core, dest, name);
        return fail(
          `the KEKEK was not recorded${orphans.length > 0 ? `; deleted unrecorded KEKEK ${orphans.join(', ')} from ${dest.name}` : ''}`,
        );
      }
      if (op.exported === null || dest === null) {
        if (dest !== null) await dropKekek(core, dest, op.kekek.kekekName);
        // The source still holds the key; for hashsig its ledger range stays a superset of the HSM's (safe).
        return fail(op.exported === null ? 'the export was not recorded' : `${op.toHsm} is no longer usable`);
      }
      let name = await findImported(core, dest, state);
      if (name === undefined) {
        try {
          name = await importTransit(core, op.opId, dest, op.exported.transitBlobSha256, op.kekek.kekekName);
        } catch (error) {
          if (isTransportFailure(error)) throw error;
          return fail(`PKEY_IMPORT on ${dest.name} could not be repeated: ${(error as Error).message}`);
        }
      }
      // Deletes the KEKEK (if still there) before it records the completion; an error leaves the op open.
      await completeImportStep(core, keyId, op.opId, dest, name, op.kekek.kekekName, ctx);
      return done();
    }
  }
}

/**
 * KEKEKs on `dest` left by a transfer that crashed between PKEY_GENERATE_RSA and KekekGenerated.
 * A candidate (RSA private, KEYENCIPHERMENT: custody keys never have it) is an orphan when it was
 * not on `dest` when the op was prepared (its PKEY_MATCH snapshot) and no ledger event names it
 * (not a resident, not any transfer's recorded KEKEK). Recovery runs at start-up before the API
 * takes requests, so no live transfer of this process is between those two steps; every key that
 * passes is a KEKEK whose transfer never recorded it (possibly another prepared op's, which then
 * fails too), and a key that was there before, or that someone else made, is left alone as drift.
 */
async function orphanKekeks(core: CustodyCore, dest: ActiveHsm, prior: readonly string[]): Promise<string[]> {
  const candidates = await core.registry.withHsm(dest, (client) => kekekCandidates(client));
  const before = new Set(prior);
  const fresh = candidates.filter((n) => !before.has(n));
  if (fresh.length === 0) return [];
  const known = await recordedHsmNames(core);
  return fresh.filter((n) => !known.has(n));
}

/** Every HSM key name any key stream records (KEKEKs and residents, current or past), and every backup KEKEK. */
async function recordedHsmNames(core: CustodyCore): Promise<Set<string>> {
  await core.reads.catchUp();
  const names = new Set<string>();
  for (const { state } of core.reads.hsms())
    if (state.status === 'active') for (const name of Object.keys(state.backupKekeks ?? {})) names.add(name);
  for (const { keyId } of core.reads.keys()) {
    const { events } = await core.foldKey(keyId);
    for (const e of events) {
      const d = e.data as { kekekName?: unknown; hsmName?: unknown };
      if (typeof d.kekekName === 'string') names.add(d.kekekName);
      if (typeof d.hsmName === 'string') names.add(d.hsmName);
    }
  }
  return names;
}

/** After the ops: PKEY_DELETE obligations, and an eviction whose delete landed but was not recorded. */
async function settleResidency(
  core: CustodyCore,
  state: key.LiveKey,
  lastEvent: RecordedEvent | undefined,
  ctx: OpContext,
  recording: Recording,
): Promise<void> {
  const keyId = state.keyId;
  const cleaned = (opId: string | null, detail: string) =>
    recording.add({ keyId, kind: 'raw-export', opId, outcome: 'cleaned', detail });
  for (const o of key.openObligations(state)) {
    const target = await activeHsm(core, o.hsmId);
    if (target === null) continue;
    const deleted = await evictFromHsm(
      core,
      state.keyId,
      target,
      o.hsmKeyName,
      `hashsig copy disabled by raw export to blob ${o.blobSha256}`,
      ctx,
    );
    // The raw export that disabled the copy produced its blob.
    cleaned(
      state.blobs[o.blobSha256]?.opId ?? null,
      deleted
        ? `deleted the disabled hashsig copy from ${target.name}`
        : `recorded the disabled hashsig copy deleted from ${target.name}, done before the crash`,
    );
  }
  if (lastEvent?.type !== 'KeyRawExported') return;
  const exportOpId = (lastEvent.data as { opId?: unknown }).opId;
  for (const r of Object.values(state.residency)) {
    if (r.status !== 'live') continue;
    const target = await activeHsm(core, r.hsmId);
    if (target === null) continue;
    const present = await core.registry.withHsm(target, (client) =>
      withKey(client, r.hsmKeyName, async () => true),
    );
    if (present !== null) continue;
    await core.decideKey(
      state.keyId,
      {
        type: 'RecordDeletedFromHsm',
        data: {
          keyId: state.keyId,
          hsmId: r.hsmId,
          reason: 'evicted after raw export; the delete was done before a crash (PKEY_OPEN: KEY_NOT_FOUND)',
          at: ctx.now(),
        },
      },
      ctx,
    );
    cleaned(
      typeof exportOpId === 'string' ? exportOpId : null,
      `recorded its eviction from ${target.name}, done before the crash`,
    );
  }
}

/**
 * A zeroization records HsmZeroized, then KeyDeletedFromHsm for each key resident there; after a
 * crash in between, the keys resident since before the zeroization are recorded deleted now.
 */
async function settleZeroizations(core: CustodyCore, ctx: OpContext, recording: Recording): Promise<void> {
  for (const { hsmId, state } of core.reads.hsms()) {
    if (state.status !== 'active' || state.zeroizedAt === null) continue;
    const zeroizedAt = state.zeroizedAt;
    for (const [keyId, r] of Object.entries(core.reads.residency(hsmId).keys)) {
      if (r.since >= zeroizedAt) continue;
      try {
        const reason = `${state.name} zeroized`;
        await core.decideKey(
          keyId,
          { type: 'RecordDeletedFromHsm', data: { keyId, hsmId, reason, at: ctx.now() } },
          ctx,
        );
        recording.add({
          keyId,
          kind: 'zeroization',
          opId: null,
          outcome: 'cleaned',
          detail: `recorded it deleted from ${state.name}, zeroized at ${zeroizedAt}`,
        });
      } catch (error) {
        recording.report.errors.push(`key ${keyId}: ${(error as Error).message}`);
      }
    }
  }
}

/** Keys whose catalog shows something a crash may have left: open operations, obligations, an unrecorded eviction. */
function keysToSettle(core: CustodyCore): string[] {
  return core.reads
    .keys()
    .filter(
      (d) =>
        d.state !== 'destroyed' &&
        (d.openOperations > 0 || d.obligations > 0 || d.lastEventType === 'KeyRawExported'),
    )
    .map((d) => d.keyId);
}

/**
 * One pass over the keys with something to settle. Errors on one key are reported and do not stop
 * the others. `onAction` hears of each action as it is done (the process manager logs it).
 */
export async function recoverOpenOperations(
  core: CustodyCore,
  onAction: (action: RecoveryAction) => void = () => undefined,
): Promise<RecoveryReport> {
  const recording = new Recording(onAction);
  const { report } = recording;
  await core.reads.catchUp();
  await settleZeroizations(core, core.context(core.systemActor()), recording);
  for (const keyId of keysToSettle(core)) {
    const ctx = core.context(core.systemActor());
    try {
      let folded = await core.foldKey(keyId);
      if (folded.state.status !== 'live') continue;
      for (const op of Object.values(folded.state.ops))
        await recoverOp(core, folded.state, op, ctx, recording);
      folded = await core.foldKey(keyId);
      if (folded.state.status === 'live')
        await settleResidency(core, folded.state, folded.events.at(-1), ctx, recording);
    } catch (error) {
      report.errors.push(`key ${keyId}: ${(error as Error).message}`);
    }
  }
  return report;
}
