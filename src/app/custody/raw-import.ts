/** Raw import (docs/architecture.md §4): check currency → KeyRawImportStarted → IMPORT_RAW → SET_ATTRIBUTES → KeyRawImported. */
import type { Actor } from '../actor';
import { randomUUID } from 'node:crypto';
import { hsm as hsmDomain, key } from '../../domain';
import type { ActiveHsm } from '../hsm-registry/hsm-registry';
import { isTransportFailure } from '../hsm-registry/hsm-registry';
import { faultPoint } from '../process-manager/fault-points';
import type { OpContext } from './append-decision';
import type { CustodyCore } from './custody-core';
import { CustodyInvalidInput, HsmFull, KekMismatch } from './errors';
import { attributeUpdates, CUSTODY_KEY_FLAGS, statusOf, withKey } from './hsm-calls';
import { liveKey } from './keys';
import { describeError, failOp } from './raw-export';
import { currentBlobOf } from './views';

const SHA256 = /^[0-9a-f]{64}$/;

export async function rawImport(
  core: CustodyCore,
  keyId: string,
  input: { hsm: string; blobSha256?: string; reason?: key.MoveReason },
  actor: Actor,
): Promise<{ hsm: string; hsmKeyName: string; blobSha256: string }> {
  const { state } = await liveKey(core, keyId, 'raw import');
  const target = await core.registry.active(input?.hsm);
  let sha = input.blobSha256;
  if (sha === undefined) {
    sha = currentBlobOf(state)?.sha256;
    if (sha === undefined)
      throw new CustodyInvalidInput(`key ${keyId} has no current blob to import; raw-export it first`);
  } else if (typeof sha !== 'string' || !SHA256.test(sha)) {
    throw new CustodyInvalidInput(
      `"blobSha256" expected 64 lowercase hex characters, got ${JSON.stringify(String(sha).slice(0, 80))}`,
    );
  }
  const blobSha256 = sha;
  const opId = randomUUID();
  const ctx = core.context(actor);
  await core.decideKey(
    keyId,
    {
      type: 'StartRawImport',
      data: {
        keyId,
        opId,
        hsmId: target.hsmId,
        blobSha256,
        hsmKekDomainId: hsmDomain.kekDomainOf(target),
        ...(input.reason === undefined ? {} : { reason: input.reason }),
        at: ctx.now(),
      },
    },
    ctx,
  );
  faultPoint('raw-import:after-intent');
  let hsmKeyName: string;
  try {
    const bytes = await core.blobBytes(blobSha256);
    hsmKeyName = await core.registry.withHsm(target, async (client) => {
      const ref = await client.importRaw(bytes, CUSTODY_KEY_FLAGS);
      faultPoint('raw-import:after-hsm-call');
      await client.close(ref.handle).catch(() => undefined);
      return ref.uuid;
    });
  } catch (error) {
    // A lost answer may hide a done import: leave the intent to the process manager (it looks).
    if (isTransportFailure(error)) throw error;
    await failOp(core, keyId, opId, `IMPORT_RAW on ${target.name} failed: ${describeError(error)}`, ctx);
    const status = statusOf(error);
    if (status === 'NO_KEY_SLOTS_AVAILABLE') throw new HsmFull(target.name, `raw import of key ${keyId}`);
    if (status?.startsWith('KEYWRAP_'))
      throw new KekMismatch(target.name, `blob ${blobSha256} of key ${keyId}`, status);
    throw error;
  }
  return finishRawImport(core, keyId, opId, target, hsmKeyName, state.attributes, ctx);
}

/** Re-applies the key's attributes (docs/architecture.md §2) and completes the import. Idempotent. */
export async function finishRawImport(
  core: CustodyCore,
  keyId: string,
  opId: string,
  target: ActiveHsm,
  hsmKeyName: string,
  attributes: Readonly<Record<string, string>>,
  ctx: OpContext,
): Promise<{ hsm: string; hsmKeyName: string; blobSha256: string }> {
  const updates = attributeUpdates(attributes);
  if (updates.length > 0) {
    await core.registry.withHsm(target, (client) =>
      withKey(client, hsmKeyName, (h) => client.setAttributes(h, updates)),
    );
  }
  faultPoint('raw-import:after-set-attributes');
  const { state } = await core.decideKey(
    keyId,
    { type: 'CompleteRawImport', data: { keyId, opId, hsmKeyName, at: ctx.now() } },
    ctx,
  );
  const closed = (state as key.LiveKey).closedOps[opId];
  const imported = (state as key.LiveKey).residency[target.hsmId];
  return {
    hsm: target.name,
    hsmKeyName: closed?.hsmName ?? imported?.hsmKeyName ?? hsmKeyName,
    blobSha256: closed?.blobSha256 ?? '',
  };
}
