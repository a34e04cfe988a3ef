/** Key generation, views and the lifecycle ends: delete from an HSM, destroy (docs/architecture.md §2, §3). */
import type { Actor } from '../actor';
import { randomUUID } from 'node:crypto';
import { hsm as hsmDomain, key } from '../../domain';
import { StreamDeleted } from '../../event-store';
import type { KeyRef } from '../../hsm-adapter';
import { parseHashsigSpki } from '../../lib/spki';
import type { OpContext } from './append-decision';
import type { CustodyCore } from './custody-core';
import { CustodyInvalidInput, HsmFull } from './errors';
import { CURVES, CUSTODY_KEY_FLAGS, LABEL_ATTRIBUTE, LMOTS_TYPES, LMS_TYPES, statusOf } from './hsm-calls';
import { keyFacts, keyView, type GenerateKeyInput, type KeyView } from './views';

export const ORIGIN_COPY = 'c0';

/** The key as its own fold shows it now: what a command that changed it answers. */
export async function keyViewOf(core: CustodyCore, keyId: string): Promise<KeyView> {
  const { state, events } = await core.loadKey(keyId);
  const generated = events.find((e) => e.type === 'KeyGenerated')!
    .data as unknown as key.KeyGenerated['data'];
  const hsmIds = state.status === 'live' ? Object.keys(state.residency) : [];
  return keyView(state, keyFacts(generated), await core.hsmNamer(hsmIds));
}

type Spec = key.KeySpec;

/** Boundary checks of `GenerateKeyInput`, with the defaults of the port. */
function specOf(input: GenerateKeyInput): {
  spec: Omit<Spec, 'params'> & { params: Record<string, unknown> };
  run: 'rsa' | 'ec' | 'hashsig';
} {
  switch (input?.type) {
    case 'rsa': {
      const bits = input.bits ?? 2048;
      if (!Number.isInteger(bits) || bits < 1024 || bits > 8192 || bits % 8 !== 0)
        throw new CustodyInvalidInput(`"bits" expected 1024 … 8192, a multiple of 8, got ${String(bits)}`);
      return { spec: { keyType: 'rsa', params: { bits } }, run: 'rsa' };
    }
    case 'ec': {
      const curve = input.curve ?? 'P-256';
      if (!Object.hasOwn(CURVES, curve))
        throw new CustodyInvalidInput(`"curve" expected P-256, P-384 or P-521, got ${JSON.stringify(curve)}`);
      return { spec: { keyType: 'ec', params: { curve } }, run: 'ec' };
    }
    case 'hashsig': {
      const levels = input.levels ?? 1;
      const lms = input.lms ?? 'H5';
      const lmots = input.lmots ?? 'W8';
      if (!Number.isInteger(levels) || levels < 1 || levels > 8)
        throw new CustodyInvalidInput(`"levels" expected 1 … 8, got ${String(levels)}`);
      if (!Object.hasOwn(LMS_TYPES, lms))
        throw new CustodyInvalidInput(`"lms" expected H5, H10, H15, H20 or H25, got ${JSON.stringify(lms)}`);
      if (!Object.hasOwn(LMOTS_TYPES, lmots))
        throw new CustodyInvalidInput(`"lmots" expected W2, W4 or W8, got ${JSON.stringify(lmots)}`);
      return {
        spec: {
          keyType: 'hashsig',
          params: { levels, lmsType: LMS_TYPES[lms], lmotsType: LMOTS_TYPES[lmots] },
        },
        run: 'hashsig',
      };
    }
    default:
      throw new CustodyInvalidInput(
        `"type" expected "rsa", "ec" or "hashsig", got ${JSON.stringify(input?.type)}`,
      );
  }
}

export async function generateKey(
  core: CustodyCore,
  input: GenerateKeyInput,
  actor: Actor,
): Promise<KeyView> {
  const { spec } = specOf(input);
  if (
    input.label !== undefined &&
    (typeof input.label !== 'string' || input.label.length === 0 || Buffer.byteLength(input.label) > 256)
  )
    throw new CustodyInvalidInput(`"label" expected 1 … 256 bytes of text`);
  const target = await core.registry.active(input.hsm);
  if (target.tamper !== null)
    throw new hsmDomain.HsmTampered(target.hsmId, target.tamper.at, target.tamper.detail, 'generating a key');
  const attributes: Record<string, string> =
    input.label === undefined ? {} : { [LABEL_ATTRIBUTE]: Buffer.from(input.label).toString('base64') };
  const made = await core.registry.withHsm(target, async (client) => {
    let ref: KeyRef;
    try {
      const p = spec.params;
      ref =
        spec.keyType === 'rsa'
          ? await client.generateRsa(p.bits as number, 65537, CUSTODY_KEY_FLAGS)
          : spec.keyType === 'ec'
            ? await client.generateEc(CURVES[p.curve as keyof typeof CURVES], CUSTODY_KEY_FLAGS)
            : await client.generateHashsig(
                p.levels as number,
                p.lmsType as number,
                p.lmotsType as number,
                CUSTODY_KEY_FLAGS,
              );
    } catch (error) {
      if (statusOf(error) === 'NO_KEY_SLOTS_AVAILABLE') throw new HsmFull(target.name, 'generating a key');
      throw error;
    }
    try {
      if (input.label !== undefined)
        await client.setAttributes(ref.handle, [{ type: LABEL_ATTRIBUTE, value: Buffer.from(input.label) }]);
      return { ref, spki: await client.getPublicKey(ref.handle) };
    } finally {
      await client.close(ref.handle).catch(() => undefined);
    }
  });
  const keyId = randomUUID();
  const ctx = core.context(actor);
  const params =
    spec.keyType === 'hashsig'
      ? { ...spec.params, I: Buffer.from(parseHashsigSpki(made.spki).I).toString('hex') }
      : spec.params;
  await core.decideKey(
    keyId,
    {
      type: 'RecordGeneratedKey',
      data: {
        keyId,
        hsmId: target.hsmId,
        hsmName: made.ref.uuid,
        flags: CUSTODY_KEY_FLAGS,
        publicKey: made.spki.toString('base64'),
        attributes,
        copyId: ORIGIN_COPY,
        at: ctx.now(),
        ...({ keyType: spec.keyType, params } as Spec),
      },
    },
    ctx,
  );
  return keyViewOf(core, keyId);
}

/**
 * PKEY_DELETE, refused where it would lose the key: the sole holder of a hashsig copy, or the last
 * holder of an RSA/EC key with no current blob (raw-export it first). A disabled copy may go.
 */
export async function deleteFromHsm(
  core: CustodyCore,
  keyId: string,
  input: { hsm: string },
  actor: Actor,
): Promise<KeyView> {
  const { state } = await core.loadKey(keyId);
  const target = await core.registry.active(input?.hsm);
  if (state.status !== 'live')
    throw new key.KeyIsDestroyed(state.keyId, state.destroyedAt, `deleting it from ${target.name}`);
  const r = state.residency[target.hsmId];
  if (r === undefined)
    throw new key.NotResident(keyId, target.hsmId, `deleting key ${keyId} from ${target.name}`);
  const holders = key
    .liveHolders(state)
    .filter((h) => h.copyId === r.copyId && !(h.kind === 'hsm' && h.hsmId === target.hsmId));
  const copy = state.copies[r.copyId];
  const plainElsewhere = key.liveHolders(state).some((h) => !(h.kind === 'hsm' && h.hsmId === target.hsmId));
  if (r.status === 'live' && (copy?.kind === 'hashsig' ? holders.length === 0 : !plainElsewhere)) {
    throw new CustodyInvalidInput(
      `deleting key ${keyId} from ${target.name} would lose ${copy?.kind === 'hashsig' ? `hashsig copy ${r.copyId}` : 'the key'}: no other holder and no current blob; raw-export it first`,
    );
  }
  await core.registry.deleteKey(target, r.hsmKeyName);
  const ctx = core.context(actor);
  await core.decideKey(
    keyId,
    {
      type: 'RecordDeletedFromHsm',
      data: { keyId, hsmId: target.hsmId, reason: 'deleted by operator', at: ctx.now() },
    },
    ctx,
  );
  return keyViewOf(core, keyId);
}

/**
 * Deletes every resident instance, records the destruction, then records it on each blob stream
 * (docs/architecture.md §2): nothing is removed from the ledger, the hash chain covers it all (§6.1).
 */
export async function destroyKey(core: CustodyCore, keyId: string, actor: Actor): Promise<KeyView> {
  const { state } = await core.loadKey(keyId);
  if (state.status !== 'live') {
    // Asked again: finishes a destroy interrupted before every blob stream recorded it.
    await destroyBlobs(core, state.keyId, state.blobSha256s, core.context(actor));
    return keyViewOf(core, keyId);
  }
  const openOp = Object.values(state.ops)[0];
  if (openOp !== undefined)
    throw new key.OperationInProgress(openOp.opId, `destroying key ${keyId}`, key.describeOp(openOp));
  const ctx = core.context(actor);
  for (const r of Object.values(state.residency)) {
    const target = await core.registry.active(r.hsmId);
    await core.registry.deleteKey(target, r.hsmKeyName);
    await core.decideKey(
      keyId,
      {
        type: 'RecordDeletedFromHsm',
        data: { keyId, hsmId: r.hsmId, reason: 'key destroyed', at: ctx.now() },
      },
      ctx,
    );
  }
  const { appended } = await core.decideKey(
    keyId,
    { type: 'DestroyKey', data: { keyId, reason: 'destroyed by operator', at: ctx.now() } },
    ctx,
  );
  const destroyed = appended.find((e) => e.type === 'KeyDestroyed');
  await destroyBlobs(core, keyId, destroyed?.type === 'KeyDestroyed' ? destroyed.data.blobSha256s : [], ctx);
  return keyViewOf(core, keyId);
}

/** `BlobDestroyed` on each blob stream that does not have it yet. */
async function destroyBlobs(
  core: CustodyCore,
  keyId: string,
  sha256s: readonly string[],
  ctx: OpContext,
): Promise<void> {
  for (const sha256 of sha256s) {
    await core
      .decideBlob(
        sha256,
        { type: 'DestroyBlob', data: { sha256, keyId, reason: 'key destroyed', at: ctx.now() } },
        ctx,
      )
      .catch((error: unknown) => {
        // Tombstoned when its key was destroyed before the hash chain: nothing left to record.
        if (!(error instanceof StreamDeleted)) throw error;
      });
  }
}

/** `CustodyNotFound` for an unknown key, the live state otherwise (destroyed keys refuse custody moves). */
export async function liveKey(
  core: CustodyCore,
  keyId: string,
  refused: string,
): Promise<{ state: key.LiveKey; revision: number }> {
  const { state, revision } = await core.loadKey(keyId);
  if (state.status !== 'live') throw new key.KeyIsDestroyed(state.keyId, state.destroyedAt, refused);
  return { state, revision };
}
