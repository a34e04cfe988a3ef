/**
 * HSM-to-HSM transfer under a transit KEK (docs/architecture.md §4; docs/libhal-rpc.md §5, §7.6): the destination
 * generates an RSA KEKEK (provenance recorded in KekekGenerated) → the source LOADs its public key
 * (volatile, on one pinned connection) and EXPORTs → the transit blob is stored → the destination
 * IMPORTs → both recorded. The KEKEK exists only while the op is open: KeyTransferPrepared goes
 * before it is generated, its deletion before KeyTransitImported. The `…Step` functions are
 * shared with the process manager.
 */
import type { Actor } from '../actor';
import { randomUUID } from 'node:crypto';
import { hashsig, key } from '../../domain';
import { type Hsm, KeyFlag, KeyType } from '../../hsm-adapter';
import type { ActiveHsm } from '../hsm-registry/hsm-registry';
import { isTransportFailure } from '../hsm-registry/hsm-registry';
import { faultPoint } from '../process-manager/fault-points';
import type { OpContext } from './append-decision';
import type { CustodyCore } from './custody-core';
import { sha256Hex } from '../../lib/sha256';
import { type KeyView } from './views';
import { CustodyInvalidInput, HsmFull, HsmStateMismatch } from './errors';
import { attributeUpdates, CUSTODY_KEY_FLAGS, KEKEK_FLAGS, statusOf, withKey } from './hsm-calls';
import { keyViewOf, liveKey } from './keys';
import { describeError, failOp } from './raw-export';

/** The two outputs of PKEY_EXPORT (§5.3) as one stored blob: u32be(len(pkcs8)) ‖ pkcs8 ‖ kek. */
export function encodeTransit(out: { pkcs8: Buffer; kek: Buffer }): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(out.pkcs8.length);
  return Buffer.concat([len, out.pkcs8, out.kek]);
}

export function decodeTransit(bytes: Buffer): { pkcs8: Buffer; kek: Buffer } {
  const n = bytes.length >= 4 ? bytes.readUInt32BE(0) : -1;
  if (n < 1 || 4 + n >= bytes.length)
    throw new HsmStateMismatch(`transit blob ${sha256Hex(bytes)} is malformed`);
  return { pkcs8: bytes.subarray(4, 4 + n), kek: bytes.subarray(4 + n) };
}

export async function transfer(
  core: CustodyCore,
  keyId: string,
  input: { from: string; to: string },
  actor: Actor,
): Promise<KeyView> {
  const { state } = await liveKey(core, keyId, 'transfer');
  const source = await core.registry.active(input?.from);
  const dest = await core.registry.active(input.to);
  if (source.hsmId === dest.hsmId)
    throw new CustodyInvalidInput(`"to" is the source ${source.name}; a transfer needs another HSM`);
  const r = state.residency[source.hsmId];
  const refused = `transfer of key ${keyId} from ${source.name} to ${dest.name}`;
  // Checked before the KEKEK is made, so a refused transfer leaves nothing on the destination.
  if (r === undefined || r.status !== 'live') throw new key.NotResident(keyId, source.hsmId, refused);
  const there = state.residency[dest.hsmId];
  if (there !== undefined)
    throw new key.AlreadyResident(keyId, dest.hsmId, there.hsmKeyName, there.since, refused);

  // Intent first (docs/architecture.md §4): KeyTransferPrepared, with the destination's KEKEK candidates as they
  // are before PKEY_GENERATE_RSA, so recovery can tell this op's KEKEK from every other key (see
  // `orphanKekeks`). A crash from here until KekekGenerated is recorded leaves a prepared op.
  const opId = randomUUID();
  const ctx = core.context(actor);
  const priorKekekNames = await core.registry.withHsm(dest, (client) => kekekCandidates(client));
  await core.decideKey(
    keyId,
    {
      type: 'PrepareTransfer',
      data: { keyId, opId, fromHsm: source.hsmId, toHsm: dest.hsmId, priorKekekNames, at: ctx.now() },
    },
    ctx,
  );
  let kekek: { name: string; spki: Buffer };
  try {
    kekek = await core.registry.withHsm(dest, async (client) => {
      const ref = await client.generateRsa(core.options.kekekBits, 65537, KEKEK_FLAGS);
      try {
        return { name: ref.uuid, spki: await client.getPublicKey(ref.handle) };
      } finally {
        await client.close(ref.handle).catch(() => undefined);
      }
    });
  } catch (error) {
    // A transport failure may have generated a KEKEK we never heard of: recovery finds and deletes it.
    if (!isTransportFailure(error))
      await failOp(
        core,
        keyId,
        opId,
        `PKEY_GENERATE_RSA of the KEKEK on ${dest.name} failed: ${describeError(error)}`,
        ctx,
      );
    if (statusOf(error) === 'NO_KEY_SLOTS_AVAILABLE')
      throw new HsmFull(dest.name, refused, 'a transfer needs two free slots there (the KEKEK and the key)');
    throw error;
  }
  faultPoint('transfer:after-kekek');
  try {
    await core.decideKey(
      keyId,
      {
        type: 'StartTransfer',
        data: {
          keyId,
          opId,
          fromHsm: source.hsmId,
          toHsm: dest.hsmId,
          kekek: { hsmId: dest.hsmId, kekekName: kekek.name, spkiSha256: sha256Hex(kekek.spki) },
          at: ctx.now(),
        },
      },
      ctx,
    );
  } catch (error) {
    // KEKEK first, then the failure: if either is lost, the op stays prepared and recovery settles it.
    await dropKekek(core, dest, kekek.name)
      .then(() => failOp(core, keyId, opId, `the KEKEK could not be recorded: ${describeError(error)}`, ctx))
      .catch(() => undefined);
    throw error;
  }
  faultPoint('transfer:after-intent');
  let out: { pkcs8: Buffer; kek: Buffer };
  try {
    out = await core.registry.withHsm(source, (client) =>
      client.withConnection(async (pinned) => {
        const loaded = await pinned.load(kekek.spki, KeyFlag.USAGE_KEYENCIPHERMENT);
        try {
          const got = await withKey(pinned, r.hsmKeyName, (h) => pinned.export(h, loaded.handle));
          if (got === null)
            throw new HsmStateMismatch(`${source.name} has no key named ${r.hsmKeyName}; run a reconcile`);
          return got.value;
        } finally {
          await pinned.delete(loaded.handle).catch(() => undefined);
        }
      }),
    );
  } catch (error) {
    if (!isTransportFailure(error)) {
      // KEKEK first, then the failure; if either does not happen the op stays open for recovery.
      await dropKekek(core, dest, kekek.name)
        .then(() =>
          failOp(core, keyId, opId, `PKEY_EXPORT on ${source.name} failed: ${describeError(error)}`, ctx),
        )
        .catch(() => undefined);
    }
    throw error;
  }
  faultPoint('transfer:after-export');
  const transitSha = await recordExportStep(core, keyId, opId, encodeTransit(out), ctx);
  await importStep(core, keyId, opId, dest, transitSha, kekek.name, ctx);
  return keyViewOf(core, keyId);
}

/** Stores the transit blob and records the export, with libhal's partition for hashsig (docs/libhal-rpc.md §7.6). */
export async function recordExportStep(
  core: CustodyCore,
  keyId: string,
  opId: string,
  transit: Buffer,
  ctx: OpContext,
): Promise<string> {
  const stored = await core.storeBlob(keyId, transit, 'transit', ctx);
  faultPoint('transfer:after-blob-stored');
  await core.decideKey(
    keyId,
    (s) => {
      const live = s as key.LiveKey;
      const op = live.ops?.[opId];
      const copy = op === undefined ? undefined : live.copies[op.copyId];
      let partition: hashsig.Partition | null = null;
      let newCopyId: string | null = null;
      if (copy?.kind === 'hashsig') {
        // The HSM splits at its next leaf; the ledger's next leaf is its best knowledge of it.
        partition = hashsig.transitPartition(copy.range, key.nextTop(copy));
        let n = Object.keys(live.copies).length;
        while (Object.hasOwn(live.copies, `c${n}`)) n++;
        newCopyId = `c${n}`;
      }
      return {
        type: 'CompleteTransitExport',
        data: {
          keyId,
          opId,
          transitBlobSha256: stored.sha256,
          storedBlob: stored.fact,
          partition,
          newCopyId,
          at: ctx.now(),
        },
      };
    },
    ctx,
  );
  faultPoint('transfer:after-export-recorded');
  return stored.sha256;
}

/** PKEY_IMPORT on the destination with its KEKEK, attributes re-applied, KEKEK deleted, completion recorded. */
export async function importStep(
  core: CustodyCore,
  keyId: string,
  opId: string,
  dest: ActiveHsm,
  transitSha: string,
  kekekName: string,
  ctx: OpContext,
): Promise<void> {
  const imported = await importTransit(core, opId, dest, transitSha, kekekName);
  faultPoint('transfer:after-import');
  await completeImportStep(core, keyId, opId, dest, imported, kekekName, ctx);
}

/** PKEY_IMPORT of the stored transit blob under the KEKEK; the new key's name. */
export async function importTransit(
  core: CustodyCore,
  opId: string,
  dest: ActiveHsm,
  transitSha: string,
  kekekName: string,
): Promise<string> {
  const { pkcs8, kek } = decodeTransit(await core.blobBytes(transitSha));
  return core.registry.withHsm(dest, async (client) => {
    const got = await withKey(client, kekekName, (kh) => client.import(kh, pkcs8, kek, CUSTODY_KEY_FLAGS));
    if (got === null)
      throw new HsmStateMismatch(`${dest.name} no longer has the KEKEK ${kekekName} of transfer ${opId}`);
    await client.close(got.value.handle).catch(() => undefined);
    return got.value.uuid;
  });
}

export async function completeImportStep(
  core: CustodyCore,
  keyId: string,
  opId: string,
  dest: ActiveHsm,
  hsmName: string,
  kekekName: string,
  ctx: OpContext,
): Promise<void> {
  const { state } = await core.loadKey(keyId);
  const updates = state.status === 'live' ? attributeUpdates(state.attributes) : [];
  if (updates.length > 0)
    await core.registry.withHsm(dest, (client) =>
      withKey(client, hsmName, (h) => client.setAttributes(h, updates)),
    );
  // The KEKEK goes before the completion closes the op: while the op is open recovery knows it and
  // deletes it; after, nothing would. A failed delete (other than KEY_NOT_FOUND, i.e. already
  // done) throws and leaves the op open for the process manager.
  await dropKekek(core, dest, kekekName);
  await core.decideKey(
    keyId,
    { type: 'CompleteTransitImport', data: { keyId, opId, hsmName, at: ctx.now() } },
    ctx,
  );
  faultPoint('transfer:after-completed');
}

/**
 * Names of the keys on `client` that could be a KEKEK: RSA private keys with KEYENCIPHERMENT
 * (custody keys never have it: CUSTODY_KEY_FLAGS).
 */
export function kekekCandidates(client: Hsm): Promise<string[]> {
  return client.match({
    type: KeyType.RSA_PRIVATE,
    mask: KeyFlag.USAGE_KEYENCIPHERMENT,
    flags: KeyFlag.USAGE_KEYENCIPHERMENT,
  });
}

/**
 * The KEKEK has done its job (or never will): it only takes a slot. KEY_NOT_FOUND counts as done
 * (a repeated step); other errors propagate, so the caller does not close the op over a KEKEK
 * that is still there.
 */
export async function dropKekek(core: CustodyCore, dest: ActiveHsm, kekekName: string): Promise<void> {
  await core.registry.deleteKey(dest, kekekName);
}
