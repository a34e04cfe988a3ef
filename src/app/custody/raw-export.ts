/**
 * Raw export (docs/architecture.md §4): KeyRawExportStarted → EXPORT_RAW → BlobStored → KeyRawExported →
 * (hashsig, or eviction) PKEY_DELETE → KeyDeletedFromHsm. The `finish…` steps are shared with the
 * process manager, which repeats them after a crash.
 */
import type { Actor } from '../actor';
import { randomUUID } from 'node:crypto';
import { hsm as hsmDomain, key } from '../../domain';
import type { ActiveHsm } from '../hsm-registry/hsm-registry';
import { faultPoint } from '../process-manager/fault-points';
import type { OpContext } from './append-decision';
import type { CustodyCore } from './custody-core';
import { CustodyInvalidInput, HsmStateMismatch } from './errors';
import { withKey } from './hsm-calls';
import { liveKey } from './keys';

export function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Closes an intent as failed; if even that append fails, the process manager closes it at start-up. */
export async function failOp(
  core: CustodyCore,
  keyId: string,
  opId: string,
  reason: string,
  ctx: OpContext,
): Promise<void> {
  await core
    .decideKey(
      keyId,
      { type: 'FailOperation', data: { keyId, opId, reason: reason.slice(0, 500), at: ctx.now() } },
      ctx,
    )
    .catch(() => undefined);
}

export async function rawExport(
  core: CustodyCore,
  keyId: string,
  input: { hsm: string; evict?: boolean; reason?: key.MoveReason },
  actor: Actor,
): Promise<{ blobSha256: string }> {
  if (input?.evict !== undefined && typeof input.evict !== 'boolean')
    throw new CustodyInvalidInput(`"evict" expected a boolean`);
  await liveKey(core, keyId, 'raw export');
  const target = await core.registry.active(input.hsm);
  const opId = randomUUID();
  const ctx = core.context(actor);
  const { state } = await core.decideKey(
    keyId,
    {
      type: 'StartRawExport',
      data: {
        keyId,
        opId,
        hsmId: target.hsmId,
        hsmKekDomainId: hsmDomain.kekDomainOf(target),
        ...(input.reason === undefined ? {} : { reason: input.reason }),
        at: ctx.now(),
      },
    },
    ctx,
  );
  faultPoint('raw-export:after-intent');
  const residency = (state as key.LiveKey).residency[target.hsmId]!;
  let blob: Buffer;
  try {
    const got = await core.registry.withHsm(target, (client) =>
      withKey(client, residency.hsmKeyName, (h) => client.exportRaw(h)),
    );
    if (got === null)
      throw new HsmStateMismatch(
        `${target.name} has no key named ${residency.hsmKeyName}, which the ledger records as key ${keyId}; run a reconcile`,
      );
    blob = got.value;
  } catch (error) {
    // Nothing left the HSM, and a hashsig key disabled by a lost answer re-exports the same blob (docs/libhal-rpc.md §9.2).
    await failOp(core, keyId, opId, `EXPORT_RAW on ${target.name} failed: ${describeError(error)}`, ctx);
    throw error;
  }
  faultPoint('raw-export:after-hsm-call');
  return finishRawExport(core, keyId, opId, target, blob, input.evict === true, ctx);
}

/** Stores the blob, completes the export, and deletes the HSM's copy when it must go. Idempotent. */
export async function finishRawExport(
  core: CustodyCore,
  keyId: string,
  opId: string,
  target: ActiveHsm,
  blob: Buffer,
  evict: boolean,
  ctx: OpContext,
): Promise<{ blobSha256: string }> {
  const stored = await core.storeBlob(keyId, blob, 'raw', ctx);
  faultPoint('raw-export:after-blob-stored');
  let reason: key.MoveReason | undefined;
  const { state } = await core.decideKey(
    keyId,
    (s) => {
      const op = s.status === 'live' ? s.ops[opId] : undefined;
      if (op?.kind === 'raw-export') reason = op.reason;
      const kekDomainId = op?.kind === 'raw-export' ? op.kekDomainId : (target.kekDomainId ?? 'unknown');
      return {
        type: 'CompleteRawExport',
        data: { keyId, opId, blobSha256: stored.sha256, kekDomainId, storedBlob: stored.fact, at: ctx.now() },
      };
    },
    ctx,
  );
  faultPoint('raw-export:after-completed');
  const live = state as key.LiveKey;
  const r = live.residency[target.hsmId];
  // Hashsig: the HSM's copy is disabled and must go (docs/architecture.md §3); RSA/EC: a clean
  // page-out, asked for or the pager's (recorded on the intent, so recovery evicts too).
  if (r !== undefined && (r.status === 'disabled' || evict || reason === 'paging')) {
    await evictFromHsm(
      core,
      keyId,
      target,
      r.hsmKeyName,
      reason ??
        (r.status === 'disabled'
          ? `hashsig copy disabled by raw export to blob ${stored.sha256}`
          : 'evicted after raw export'),
      ctx,
    );
  }
  return { blobSha256: stored.sha256 };
}

/** PKEY_DELETE, then `KeyDeletedFromHsm`; true if the key was still on the HSM (recovery says which). */
export async function evictFromHsm(
  core: CustodyCore,
  keyId: string,
  target: ActiveHsm,
  hsmKeyName: string,
  reason: string,
  ctx: OpContext,
): Promise<boolean> {
  const deleted = await core.registry.deleteKey(target, hsmKeyName);
  faultPoint('raw-export:after-delete');
  await core.decideKey(
    keyId,
    { type: 'RecordDeletedFromHsm', data: { keyId, hsmId: target.hsmId, reason, at: ctx.now() } },
    ctx,
  );
  return deleted;
}
