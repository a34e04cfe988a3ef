/**
 * cryptech_backup interop (docs/libhal-rpc.md §8, §5): keyledger reads and writes the files of
 * Cryptech's backup tool, so keys move between keyledger and HSMs it does not drive, and every key
 * that comes in or goes out is in the ledger. Setup and export are here, import in
 * ./backup-import.ts.
 *
 * - **Setup** generates (or finds again) an RSA KEKEK on an HSM, KEYENCIPHERMENT|TOKEN, records it
 *   on the HSM's stream (`HsmBackupKekekGenerated`, so reconcile and recovery know it as the HSM's
 *   own) and writes the setup file `cryptech_backup export` reads.
 * - **Import** checks the whole file before the HSM is touched (every entry, the KEKEK: the
 *   passphrase of a software KEKEK, or the HSM's key named `kekek_uuid`), then PKEY_IMPORTs every
 *   private key on one pinned connection (a software KEKEK is PKEY_LOADed there as a volatile key
 *   for the duration, deleted after). If any entry fails, the keys imported so far are deleted
 *   again: all or nothing. Then each key is recorded: a key new to the ledger by `KeyGenerated`
 *   with its provenance, under an id derived from (file, entry), so a repeated import finds it; a
 *   key the ledger holds (same public key) by `KeyBackupImported` as a new holder, or, when the
 *   HSM already held it, not at all (the duplicate copy is deleted). Public-key entries are
 *   skipped: keyledger keeps custody of private keys.
 * - **Export** PKEY_EXPORTs RSA/EC keys resident on an HSM to the setup's KEKEK (its public key
 *   loaded volatile on one pinned connection, as `transfer.ts` does) and records `KeyBackupExported`
 *   for each before the file is handed out. Hashsig keys are refused: the format cannot carry their
 *   state (libhal would split it, docs/libhal-rpc.md §7.6, but the file has nowhere to say so).
 *
 * Like generation (docs/architecture.md §4) an import has no intent: a crash between PKEY_IMPORT
 * and its record leaves unrecorded keys, which reconcile reports as `unknown-to-ledger`; running
 * the import again records every entry once. No key material, passphrase or blob is logged or put
 * in a message.
 */
import type { Actor } from '../actor';
import { hsm as hsmDomain, key, type ErrorCategory } from '../../domain';
import { KeyFlag } from '../../hsm-adapter';
import {
  BackupFileError,
  backupDocument,
  formatBackupJson,
  parseSetupFile,
  setupDocument,
  type BackupEntry,
} from '../../lib/cryptech-backup';
import { sha256Hex } from '../../lib/sha256';
import type { ActiveHsm } from '../hsm-registry/hsm-registry';
import type { CustodyCore } from './custody-core';
import { CustodyInvalidInput, HsmStateMismatch } from './errors';
import { KEKEK_FLAGS, statusOf, withKey } from './hsm-calls';

/** Why a hashsig key is never in a cryptech_backup file (the words the CLI and the API show). */
export const HASHSIG_NOT_IN_BACKUP =
  'hashsig keys cannot be written to a cryptech_backup file: the format cannot carry their state';

/** Smallest KEKEK keyledger writes keys to, and the sizes `setup` generates. */
export const MIN_KEKEK_BITS = 2048;
export const MAX_KEKEK_BITS = 4096;

/** DER around the encrypted KEK (docs/libhal-rpc.md §5.3 step 7): room enough beyond the modulus for `kek_max`. */
const KEK_DER_OVERHEAD = 64;

/** A backup file or request keyledger will not act on: what is wrong, and that nothing was changed. */
export class BackupRefused extends Error {
  static readonly category: ErrorCategory = 'invalid';
  readonly type = 'backup-refused';
}

/** A hashsig key named for, or found in, a cryptech_backup file. */
export class HashsigNotInBackup extends Error {
  static readonly category: ErrorCategory = 'invalid';
  readonly type = 'hashsig-not-in-backup';
  constructor(what: string) {
    super(`${what}: ${HASHSIG_NOT_IN_BACKUP}`);
  }
}

/** The HSM has too few free slots for the file's keys (checked before anything is imported). */
export class BackupNoRoom extends Error {
  static readonly category: ErrorCategory = 'conflict';
  readonly type = 'hsm-full';
}

export interface BackupSetupInput {
  readonly hsm: string;
  /** RSA modulus of a new KEKEK: 2048 … 4096, a multiple of 8 (default 2048). */
  readonly bits?: number;
  /** Generate a new KEKEK even if the HSM has one recorded (cryptech_backup `setup -n`). */
  readonly new?: boolean;
}

export interface BackupSetupResult {
  readonly hsm: string;
  /** The setup file's text. */
  readonly file: string;
  readonly kekekUuid: string;
  readonly kekekSpkiSha256: string;
  readonly bits: number;
  /** True when the HSM's recorded KEKEK was found and used again. */
  readonly reused: boolean;
}

export interface BackupExportInput {
  readonly hsm: string;
  /** The setup file's text (or a backup file's: its setup fields are used). */
  readonly setup: string;
  /** Keys to export; default every RSA/EC key resident on the HSM (hashsig keys listed as skipped). */
  readonly keyIds?: readonly string[];
}

export interface BackupExportResult {
  readonly hsm: string;
  /** The backup file's text, as `cryptech_backup export` writes it. */
  readonly file: string;
  readonly fileSha256: string;
  readonly kekek: {
    readonly kind: 'hsm' | 'soft';
    readonly uuid: string | null;
    readonly spkiSha256: string;
    readonly bits: number;
  };
  readonly exported: readonly { keyId: string; type: 'rsa' | 'ec'; sourceUuid: string }[];
  readonly skipped: readonly { keyId: string; type: key.KeyType; reason: string }[];
}

// --- setup --------------------------------------------------------------------------------------

export async function backupSetup(
  core: CustodyCore,
  input: BackupSetupInput,
  actor: Actor,
): Promise<BackupSetupResult> {
  const bits = input?.bits ?? MIN_KEKEK_BITS;
  if (!Number.isInteger(bits) || bits < MIN_KEKEK_BITS || bits > MAX_KEKEK_BITS || bits % 8 !== 0)
    throw new CustodyInvalidInput(
      `"bits" expected ${MIN_KEKEK_BITS} … ${MAX_KEKEK_BITS}, a multiple of 8, got ${String(bits)}`,
    );
  const target = await core.registry.active(input.hsm);
  if (target.tamper !== null)
    throw new hsmDomain.HsmTampered(target.hsmId, target.tamper.at, target.tamper.detail, 'a backup setup');
  const result = (kekekUuid: string, spki: Buffer, size: number, reused: boolean): BackupSetupResult => ({
    hsm: target.name,
    file: formatBackupJson(setupDocument({ kind: 'hsm', uuid: kekekUuid, pubkey: spki })),
    kekekUuid,
    kekekSpkiSha256: sha256Hex(spki),
    bits: size,
    reused,
  });
  if (input.new !== true) {
    // cryptech_backup setup uses a KEKEK it finds; here only one keyledger recorded (never a transfer's).
    const recorded = Object.entries(target.backupKekeks ?? {}).sort(([, a], [, b]) =>
      b.at.localeCompare(a.at),
    );
    for (const [name, kekek] of recorded) {
      const found = await core.registry.withHsm(target, (client) =>
        withKey(client, name, (h) => client.getPublicKey(h)),
      );
      if (found !== null && sha256Hex(found.value) === kekek.spkiSha256)
        return result(name, found.value, kekek.bits, true);
    }
  }
  const made = await core.registry.withHsm(target, async (client) => {
    const ref = await client.generateRsa(bits, 65537, KEKEK_FLAGS).catch((error: unknown) => {
      if (statusOf(error) === 'NO_KEY_SLOTS_AVAILABLE')
        throw new BackupNoRoom(`${target.name} has no free key slot for a backup KEKEK`);
      throw error;
    });
    try {
      return { name: ref.uuid, spki: await client.getPublicKey(ref.handle) };
    } finally {
      await client.close(ref.handle).catch(() => undefined);
    }
  });
  const ctx = core.context(actor);
  try {
    await core.decideHsm(
      target.hsmId,
      {
        type: 'RecordBackupKekek',
        data: {
          hsmId: target.hsmId,
          kekekName: made.name,
          spkiSha256: sha256Hex(made.spki),
          bits,
          at: ctx.now(),
        },
      },
      ctx,
    );
  } catch (error) {
    // An unrecorded KEKEK would only be drift: take it away again.
    await core.registry.deleteKey(target, made.name).catch(() => undefined);
    throw error;
  }
  return result(made.name, made.spki, bits, false);
}

// --- export -------------------------------------------------------------------------------------

export async function exportBackup(
  core: CustodyCore,
  input: BackupExportInput,
  actor: Actor,
): Promise<BackupExportResult> {
  let setup;
  try {
    setup = parseSetupFile(input?.setup);
  } catch (error) {
    if (error instanceof BackupFileError) throw new BackupFileError(null, `the setup file: ${error.message}`);
    throw error;
  }
  if (setup.bits < MIN_KEKEK_BITS)
    throw new BackupRefused(
      `the setup file's KEKEK is ${setup.bits} bits; keyledger writes keys only to a KEKEK of ${MIN_KEKEK_BITS} bits or more`,
    );
  const target = await core.registry.active(input.hsm);
  const { keys, skipped } = await keysToExport(core, target, input.keyIds);
  const exported = await core.registry.withHsm(target, (client) =>
    client.withConnection(async (pinned) => {
      const loaded = await pinned.load(setup.kekek.pubkey, KeyFlag.USAGE_KEYENCIPHERMENT);
      try {
        const out: Extract<BackupEntry, { kind: 'private' }>[] = [];
        for (const k of keys) {
          const got = await withKey(pinned, k.name, (h) =>
            pinned.export(h, loaded.handle, { kekMax: setup.modulusBytes + KEK_DER_OVERHEAD }),
          );
          if (got === null)
            throw new HsmStateMismatch(
              `${target.name} has no key named ${k.name} (key ${k.keyId}); run a reconcile`,
            );
          out.push({ kind: 'private', index: out.length, uuid: k.name, flags: k.flags, ...got.value });
        }
        return out;
      } finally {
        await pinned.delete(loaded.handle).catch(() => undefined);
      }
    }),
  );
  const text = formatBackupJson(backupDocument(setup.kekek, exported));
  const fileSha256 = sha256Hex(Buffer.from(text, 'utf8'));
  const kekekSpkiSha256 = sha256Hex(setup.kekek.pubkey);
  // Recorded before the file is handed out: no file leaves that the ledger does not name.
  const ctx = core.context(actor);
  for (const k of keys)
    await core.decideKey(
      k.keyId,
      {
        type: 'RecordBackupExport',
        data: {
          keyId: k.keyId,
          hsmId: target.hsmId,
          fileSha256,
          kekekSpkiSha256,
          sourceUuid: k.name,
          at: ctx.now(),
        },
      },
      ctx,
    );
  return {
    hsm: target.name,
    file: text,
    fileSha256,
    kekek: {
      kind: setup.kekek.kind,
      uuid: setup.kekek.kind === 'hsm' ? setup.kekek.uuid : null,
      spkiSha256: kekekSpkiSha256,
      bits: setup.bits,
    },
    exported: keys.map((k) => ({ keyId: k.keyId, type: k.type, sourceUuid: k.name })),
    skipped,
  };
}

interface ExportKey {
  readonly keyId: string;
  readonly type: 'rsa' | 'ec';
  readonly name: string;
  readonly flags: number;
}

/**
 * The keys named (each must be a live RSA/EC key, EXPORTABLE, live on the HSM: checked before the
 * HSM is used), or every RSA/EC key live on the HSM with its hashsig keys listed as skipped.
 */
async function keysToExport(
  core: CustodyCore,
  target: ActiveHsm,
  keyIds: readonly string[] | undefined,
): Promise<{ keys: ExportKey[]; skipped: BackupExportResult['skipped'][number][] }> {
  const refused = (keyId: string) => `writing key ${keyId} from ${target.name} to a cryptech_backup file`;
  if (keyIds !== undefined) {
    const keys: ExportKey[] = [];
    for (const keyId of [...new Set(keyIds)]) {
      const { state } = await core.loadKey(keyId);
      if (state.status !== 'live') throw new key.KeyIsDestroyed(keyId, state.destroyedAt, refused(keyId));
      if (state.keyType === 'hashsig') throw new HashsigNotInBackup(`key ${keyId} is a hashsig key`);
      if ((state.flags & key.FLAG_EXPORTABLE) === 0) throw new key.NotExportable(keyId, refused(keyId));
      const r = state.residency[target.hsmId];
      if (r === undefined || r.status !== 'live')
        throw new key.NotResident(keyId, target.hsmId, refused(keyId));
      keys.push({ keyId, type: state.keyType, name: r.hsmKeyName, flags: state.flags });
    }
    return { keys, skipped: [] };
  }
  await core.reads.catchUp();
  const keys: ExportKey[] = [];
  const skipped: BackupExportResult['skipped'][number][] = [];
  const resident = core.reads.residency(target.hsmId).keys;
  // In the order the ledger first recorded the keys.
  const docs = [...core.reads.keys()].sort((a, b) => a.firstPosition - b.firstPosition);
  for (const { keyId, custody: state } of docs) {
    const r = Object.hasOwn(resident, keyId) ? resident[keyId] : undefined;
    if (r === undefined || state.status !== 'live' || r.status !== 'live') continue;
    if (state.keyType === 'hashsig') skipped.push({ keyId, type: 'hashsig', reason: HASHSIG_NOT_IN_BACKUP });
    else if ((state.flags & key.FLAG_EXPORTABLE) === 0)
      skipped.push({ keyId, type: state.keyType, reason: 'generated without EXPORTABLE' });
    else keys.push({ keyId, type: state.keyType, name: r.hsmKeyName, flags: state.flags });
  }
  return { keys, skipped };
}
