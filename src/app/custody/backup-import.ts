/**
 * Import of a cryptech_backup file (docs/libhal-rpc.md §8, §5.4; the overview is in ./backup.ts):
 * the whole file checked, every private key PKEY_IMPORTed all or nothing, then each recorded as a
 * new ledger key with its provenance, or as a new holder of the key the ledger already holds.
 */
import type { Actor } from '../actor';
import { DomainError, hsm as hsmDomain, key } from '../../domain';
import { type Hsm, KeyFlag, KeyType } from '../../hsm-adapter';
import { parseBackupFile, type BackupEntry, type BackupKekek } from '../../lib/cryptech-backup';
import { guessKeyKind } from '../../lib/pkcs8';
import { sha256Hex } from '../../lib/sha256';
import { recoverSoftKekek } from '../../lib/soft-kekek';
import { parseEcSpki, parseRsaSpki } from '../../lib/spki';
import type { ActiveHsm } from '../hsm-registry/hsm-registry';
import { BackupNoRoom, BackupRefused, HashsigNotInBackup } from './backup';
import type { CustodyCore } from './custody-core';
import { HsmStateMismatch } from './errors';
import { attributeUpdates, CUSTODY_KEY_FLAGS, deleteByName, statusOf, withKey } from './hsm-calls';
import { ORIGIN_COPY } from './keys';

export interface BackupImportInput {
  readonly hsm: string;
  /** The backup file's text, as read. */
  readonly file: string;
  /** For a software KEKEK only. Never logged, never recorded. */
  readonly passphrase?: string;
}

export type BackupImportOutcome = 'new-key' | 'new-holder' | 'already-on-hsm' | 'skipped';

export interface BackupImportItem {
  readonly index: number;
  readonly sourceUuid: string;
  readonly outcome: BackupImportOutcome;
  readonly keyId: string | null;
  readonly type: 'rsa' | 'ec' | null;
  /** The key's name on the HSM; null when the HSM keeps no copy from this entry. */
  readonly hsmKeyName: string | null;
  /** Why an entry was skipped, or what happened to a duplicate copy. */
  readonly detail: string | null;
}

export interface BackupImportResult {
  readonly hsm: string;
  readonly fileSha256: string;
  readonly kekek: {
    readonly kind: 'hsm' | 'soft';
    readonly uuid: string | null;
    readonly spkiSha256: string;
  };
  readonly items: readonly BackupImportItem[];
  /** Entries now held on the HSM for the ledger: new keys and new holders. */
  readonly imported: number;
  readonly skipped: number;
}

/** A private entry PKEY_IMPORTed on the HSM, not yet recorded. */
interface Arrived {
  readonly entry: Extract<BackupEntry, { kind: 'private' }>;
  readonly name: string;
  readonly spki: Buffer;
}

export async function importBackup(
  core: CustodyCore,
  input: BackupImportInput,
  actor: Actor,
): Promise<BackupImportResult> {
  const file = parseBackupFile(input?.file);
  const fileSha256 = sha256Hex(Buffer.from(input.file, 'utf8'));
  const target = await core.registry.active(input.hsm);
  if (target.tamper !== null)
    throw new hsmDomain.HsmTampered(target.hsmId, target.tamper.at, target.tamper.detail, 'a backup import');
  const kekek = file.kekek;
  const kekekSpkiSha256 = sha256Hex(kekek.pubkey);
  let softKekek: Buffer | undefined;
  if (kekek.kind === 'soft') {
    if (typeof input.passphrase !== 'string' || input.passphrase === '')
      throw new BackupRefused(
        "this backup's KEKEK is a software keypair (kekek_pkcs8, kekek_salt): give its passphrase; nothing was imported",
      );
    softKekek = recoverSoftKekek(kekek, input.passphrase);
  }
  const privates = file.keys.filter((k): k is Arrived['entry'] => k.kind === 'private');
  try {
    await core.reads.catchUp();
    const free = target.capacity - core.reads.residency(target.hsmId).count;
    if (privates.length > free)
      throw new BackupNoRoom(
        `${target.name} has ${Math.max(free, 0)} free key slot(s) of ${target.capacity}; the file holds ${privates.length} private key(s): make room first (raw-export --evict) or import onto another HSM; nothing was imported`,
      );
  } catch (error) {
    softKekek?.fill(0);
    throw error;
  }
  if (privates.length === 0) softKekek?.fill(0);
  const arrived = privates.length === 0 ? [] : await importAll(core, target, kekek, softKekek, privates);
  const provenanceOf = (entry: BackupEntry): key.BackupProvenance => ({
    format: 'cryptech-backup',
    fileSha256,
    sourceUuid: entry.uuid,
    sourceFlags: entry.flags,
    kekekSpkiSha256,
    kekekName: kekek.kind === 'hsm' ? kekek.uuid : null,
  });
  const recorded = await recordArrivals(core, target, arrived, provenanceOf, actor);
  const items = file.keys
    .map(
      (entry): BackupImportItem =>
        recorded.get(entry.index) ?? {
          index: entry.index,
          sourceUuid: entry.uuid,
          outcome: 'skipped',
          keyId: null,
          type: null,
          hsmKeyName: null,
          detail: 'a public key: keyledger keeps custody of private keys only, so it was not loaded',
        },
    )
    .sort((a, b) => a.index - b.index);
  const imported = items.filter((i) => i.outcome === 'new-key' || i.outcome === 'new-holder').length;
  return {
    hsm: target.name,
    fileSha256,
    kekek: { kind: kekek.kind, uuid: kekek.kind === 'hsm' ? kekek.uuid : null, spkiSha256: kekekSpkiSha256 },
    items,
    imported,
    skipped: items.filter((i) => i.outcome === 'skipped').length,
  };
}

/**
 * PKEY_IMPORT of every entry under the KEKEK, on one connection (a volatile software KEKEK is the
 * connection's own). All or nothing: on any failure the keys imported so far are deleted again.
 */
async function importAll(
  core: CustodyCore,
  target: ActiveHsm,
  kekek: BackupKekek,
  softKekek: Buffer | undefined,
  entries: readonly Arrived['entry'][],
): Promise<Arrived[]> {
  return core.registry.withHsm(target, (client) =>
    client.withConnection(async (pinned) => {
      let kekekHandle: number;
      try {
        kekekHandle =
          softKekek !== undefined
            ? (await pinned.load(softKekek, KeyFlag.USAGE_KEYENCIPHERMENT)).handle
            : await openKekek(pinned, target, kekek as Extract<BackupKekek, { kind: 'hsm' }>);
      } finally {
        softKekek?.fill(0);
      }
      const arrived: Arrived[] = [];
      try {
        for (const entry of entries) {
          const at = `keys[${entry.index}] (source key ${entry.uuid})`;
          const ref = await pinned
            .import(kekekHandle, entry.pkcs8, entry.kek, CUSTODY_KEY_FLAGS)
            .catch((error: unknown) => {
              throw entryRefusal(error, at, target);
            });
          // Listed at once, so the roll-back below deletes it whatever fails next.
          arrived.push({ entry, name: ref.uuid, spki: Buffer.alloc(0) });
          let type: number;
          let spki: Buffer;
          try {
            type = await pinned.getKeyType(ref.handle);
            spki = await pinned.getPublicKey(ref.handle);
          } finally {
            await pinned.close(ref.handle).catch(() => undefined);
          }
          if (type === KeyType.HASHSIG_PRIVATE) throw new HashsigNotInBackup(`${at} is a hashsig key`);
          if (type !== KeyType.RSA_PRIVATE && type !== KeyType.EC_PRIVATE)
            throw new BackupRefused(
              `${at} holds no RSA or EC private key (the HSM reports key type ${type}); nothing was imported`,
            );
          arrived[arrived.length - 1] = { entry, name: ref.uuid, spki };
        }
        return arrived;
      } catch (error) {
        for (const a of arrived) await deleteByName(pinned, a.name).catch(() => undefined);
        throw error;
      } finally {
        await (softKekek !== undefined ? pinned.delete(kekekHandle) : pinned.close(kekekHandle)).catch(
          () => undefined,
        );
      }
    }),
  );
}

/**
 * A handle to the HSM's KEKEK named in the file, after checking it is that KEKEK: RSA private, with
 * KEYENCIPHERMENT (docs/libhal-rpc.md §5.4), and the file's public key.
 */
async function openKekek(
  pinned: Hsm,
  target: ActiveHsm,
  kekek: Extract<BackupKekek, { kind: 'hsm' }>,
): Promise<number> {
  let handle: number;
  try {
    handle = await pinned.open(kekek.uuid);
  } catch (error) {
    if (statusOf(error) === 'KEY_NOT_FOUND')
      throw new BackupRefused(
        `${target.name} holds no key ${kekek.uuid} (the file's kekek_uuid): the backup was written for a KEKEK on another HSM, or the KEKEK was deleted; nothing was imported`,
      );
    throw error;
  }
  try {
    const [type, flags, spki] = [
      await pinned.getKeyType(handle),
      await pinned.getKeyFlags(handle),
      await pinned.getPublicKey(handle),
    ];
    const wrong =
      type !== KeyType.RSA_PRIVATE
        ? 'is not an RSA private key'
        : (flags & KeyFlag.USAGE_KEYENCIPHERMENT) === 0
          ? 'does not have KEYENCIPHERMENT'
          : !spki.equals(Buffer.from(kekek.pubkey))
            ? 'has another public key than the file\'s "kekek_pubkey"'
            : null;
    if (wrong !== null)
      throw new BackupRefused(
        `${target.name}'s key ${kekek.uuid} (the file's kekek_uuid) ${wrong}: it is not the KEKEK the file was written for; nothing was imported`,
      );
    return handle;
  } catch (error) {
    await pinned.close(handle).catch(() => undefined);
    throw error;
  }
}

const UNWRAP_FAILURES = new Set([
  'KEYWRAP_BAD_MAGIC',
  'KEYWRAP_BAD_LENGTH',
  'KEYWRAP_BAD_PADDING',
  'ASN1_PARSE_FAILED',
  'UNSUPPORTED_KEY',
  'BAD_ARGUMENTS',
]);

/** What a failed PKEY_IMPORT of one entry means for the operator. */
function entryRefusal(error: unknown, at: string, target: ActiveHsm): unknown {
  const status = statusOf(error);
  if (status === 'NO_KEY_SLOTS_AVAILABLE')
    return new BackupNoRoom(`${target.name} ran out of key slots at ${at}; nothing was imported`);
  if (status !== undefined && UNWRAP_FAILURES.has(status))
    return new BackupRefused(
      `${at}: ${target.name} could not unwrap it under the KEKEK (${status}): the entry is damaged, or was written for another KEKEK; nothing was imported`,
    );
  return error;
}

/**
 * Records each arrival in file order; a duplicate copy (the HSM held the key already) is deleted,
 * as is one the ledger refuses. Should recording fail otherwise (the ledger unavailable), the copies
 * not yet recorded are deleted before the error is passed on; the one being recorded stays, since
 * its record may have been appended (reconcile tells).
 */
async function recordArrivals(
  core: CustodyCore,
  target: ActiveHsm,
  arrived: readonly Arrived[],
  provenanceOf: (entry: BackupEntry) => key.BackupProvenance,
  actor: Actor,
): Promise<Map<number, BackupImportItem>> {
  const items = new Map<number, BackupImportItem>();
  if (arrived.length === 0) return items;
  const ctx = core.context(actor);
  // The arrival being recorded; before the first, none of them is.
  let next = -1;
  try {
    await core.reads.catchUp();
    const byPublicKey = new Map<string, string>();
    for (const doc of core.reads.keys())
      if (!byPublicKey.has(doc.facts.publicKey)) byPublicKey.set(doc.facts.publicKey, doc.keyId);
    for (next = 0; next < arrived.length; next++) {
      const a = arrived[next];
      const item = await recordArrival(core, target, a, provenanceOf(a.entry), byPublicKey, ctx).catch(
        async (error: unknown) => {
          // A refusal of the ledger's decided nothing: the copy goes, the entry is skipped.
          if (!(error instanceof DomainError)) throw error;
          await core.registry.deleteKey(target, a.name);
          return {
            index: a.entry.index,
            sourceUuid: a.entry.uuid,
            outcome: 'skipped' as const,
            keyId: null,
            type: null,
            hsmKeyName: null,
            detail: `${error.message}; the copy was deleted from ${target.name}`,
          };
        },
      );
      items.set(a.entry.index, item);
    }
    return items;
  } catch (error) {
    for (const a of arrived.slice(next + 1))
      await core.registry.deleteKey(target, a.name).catch(() => undefined);
    throw error;
  }
}

/** One arrival: a new key, or the key the ledger holds with this public key (`byPublicKey`, kept up to date). */
async function recordArrival(
  core: CustodyCore,
  target: ActiveHsm,
  { entry, name, spki }: Arrived,
  provenance: key.BackupProvenance,
  byPublicKey: Map<string, string>,
  ctx: ReturnType<CustodyCore['context']>,
): Promise<BackupImportItem> {
  const spec = specOf(spki);
  const item = { index: entry.index, sourceUuid: entry.uuid, type: spec.keyType, hsmKeyName: name };
  const publicKey = spki.toString('base64');
  let keyId = byPublicKey.get(publicKey);
  if (keyId === undefined) {
    keyId = backupKeyId(provenance.fileSha256, entry.index);
    try {
      await core.decideKey(
        keyId,
        {
          type: 'RecordGeneratedKey',
          data: {
            keyId,
            hsmId: target.hsmId,
            hsmName: name,
            flags: CUSTODY_KEY_FLAGS,
            publicKey,
            attributes: {},
            copyId: ORIGIN_COPY,
            provenance,
            at: ctx.now(),
            ...spec,
          },
        },
        ctx,
      );
      byPublicKey.set(publicKey, keyId);
      return { ...item, outcome: 'new-key', keyId, detail: null };
    } catch (error) {
      // Recorded by an earlier run of this file that the read models had not shown yet.
      if (!(error instanceof key.KeyAlreadyRecorded)) throw error;
    }
  }
  return arriveAtKnownKey(core, target, keyId, name, provenance, item, ctx);
}

async function arriveAtKnownKey(
  core: CustodyCore,
  target: ActiveHsm,
  keyId: string,
  name: string,
  provenance: key.BackupProvenance,
  item: Pick<BackupImportItem, 'index' | 'sourceUuid' | 'type' | 'hsmKeyName'>,
  ctx: ReturnType<CustodyCore['context']>,
): Promise<BackupImportItem> {
  const { state } = await core.loadKey(keyId);
  const drop = async (outcome: BackupImportOutcome, detail: string): Promise<BackupImportItem> => {
    await core.registry.deleteKey(target, name);
    return { ...item, outcome, keyId, hsmKeyName: outcome === 'skipped' ? null : item.hsmKeyName, detail };
  };
  if (state.status !== 'live')
    return drop(
      'skipped',
      `key ${keyId} was destroyed at ${state.destroyedAt}; the copy was deleted from ${target.name}`,
    );
  const there = state.residency[target.hsmId];
  if (there !== undefined)
    return {
      ...(await drop(
        'already-on-hsm',
        `${target.name} already holds key ${keyId}; the duplicate copy was deleted`,
      )),
      hsmKeyName: there.hsmKeyName,
    };
  const updates = attributeUpdates(state.attributes);
  if (updates.length > 0)
    await core.registry.withHsm(target, (client) =>
      withKey(client, name, (h) => client.setAttributes(h, updates)),
    );
  // A refusal (e.g. an operation of the key on this HSM) is the caller's to turn into a skip.
  await core.decideKey(
    keyId,
    {
      type: 'RecordBackupImport',
      data: { keyId, hsmId: target.hsmId, hsmKeyName: name, provenance, at: ctx.now() },
    },
    ctx,
  );
  return { ...item, outcome: 'new-holder', keyId, detail: null };
}

/** Type and parameters from the SPKI the HSM reports for an imported key. */
function specOf(spki: Buffer): key.KeySpec & { keyType: 'rsa' | 'ec' } {
  const kind = guessKeyKind(spki);
  if (kind.type === 'rsa-public')
    return { keyType: 'rsa', params: { bits: parseRsaSpki(spki).n.length * 8 } };
  if (kind.type === 'ec-public') return { keyType: 'ec', params: { curve: parseEcSpki(spki).curve } };
  throw new HsmStateMismatch(`the HSM reported a ${kind.type} public key for an RSA or EC private key`);
}

/**
 * The ledger id of the key entry `index` of the file with this SHA-256 brings in: a UUID (RFC 9562
 * version 8) of SHA-256 over both, so importing the file again finds the key it recorded.
 */
export function backupKeyId(fileSha256: string, index: number): string {
  const h = sha256Hex(Buffer.from(`keyledger cryptech-backup key\0${fileSha256}\0${index}`, 'utf8'));
  const variant = ((parseInt(h[16], 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
