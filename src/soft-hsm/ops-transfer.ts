/**
 * Moving keys between HSMs: PKEY_EXPORT / PKEY_IMPORT under a transit KEK (docs/libhal-rpc.md §5,
 * with the hashsig keyspace partition of §7.6) and the project's EXPORT_RAW / IMPORT_RAW under
 * the master KEK (§9.2).
 */
import { KeyFlag, KeyType } from '../hsm-adapter/constants';
import { parseHashsigPrivateKeyInfo } from '../lib/pkcs8';
import { publicKeyObject, rsaPrivateKeyObject } from './crypto/signing';
import { rsaModulusBytes } from './crypto/rsa-kek';
import { WRAPPED_KEY_MAX, exportBlobs, importBlobs } from './crypto/transit';
import { fetchKey, type EngineContext } from './engine-context';
import {
  decodeHashsigState,
  encodeHashsigState,
  hashsigPkcs8,
  partitionForTransit,
  rangeForRawExport,
  type HashsigStoredState,
} from './hashsig-keys';
import type { Located } from './keystore/keystore';
import { uuidToString, type KeyRecord } from './keystore/key-record';
import { loadKey } from './ops-keys';
import type { PkeySlot } from './pkey-slots';
import { fail } from './status';

/** KEK_LENGTH: `kek_max` must exceed it (API layer, §5.2). */
const KEK_LENGTH = 32;
/** Flags libhal forces on a hashsig key it exported (§7.6, §11). */
const HASHSIG_EXPORTED_FLAGS = KeyFlag.USAGE_DIGITALSIGNATURE | KeyFlag.TOKEN | KeyFlag.EXPORTABLE;

function hashsigState(ctx: EngineContext, record: KeyRecord, rpc: string): HashsigStoredState {
  if (!record.state) throw fail('KEYSTORE_LOST_DATA', rpc);
  return decodeHashsigState(ctx.keystore.unwrap(record.state, rpc));
}

/** Persists a hashsig key's new range and state (durable before the caller answers). */
function rewriteHashsig(
  ctx: EngineContext,
  located: Located,
  slot: PkeySlot,
  next: HashsigStoredState,
  sourceEnd: number,
  flags: number,
  rpc: string,
): void {
  const { record } = located;
  const qStart = parseHashsigPrivateKeyInfo(ctx.keystore.unwrap(record.der, rpc)).qStart;
  const der = ctx.keystore.wrap(hashsigPkcs8(next.hss, { qStart, qEnd: sourceEnd }, true), rpc);
  const state = ctx.keystore.wrap(encodeHashsigState(next), rpc);
  ctx.keystore.replace({ ...record, flags, der, state }, located.token, rpc);
  slot.flags = flags;
  const id = uuidToString(record.name);
  const cached = ctx.hssCache.get(id);
  if (cached) ctx.hssCache.set(id, { ...cached, state: next.hss });
}

/** PKEY_EXPORT, checks in the order of §5.2. On any failure nothing is returned or changed. */
export function exportKey(ctx: EngineContext, pkey: number, kekek: number, pkcs8Max: number, kekMax: number) {
  const rpc = 'PKEY_EXPORT';
  if (kekMax <= KEK_LENGTH) throw fail('BAD_ARGUMENTS', rpc);
  const keySlot = ctx.slots.find(pkey, rpc);
  const kekekSlot = ctx.slots.find(kekek, rpc);
  if ((keySlot.flags & KeyFlag.EXPORTABLE) === 0) throw fail('FORBIDDEN', rpc);
  if ((kekekSlot.flags & KeyFlag.USAGE_KEYENCIPHERMENT) === 0) throw fail('FORBIDDEN', rpc);
  if (kekekSlot.type !== KeyType.RSA_PRIVATE && kekekSlot.type !== KeyType.RSA_PUBLIC)
    throw fail('UNSUPPORTED_KEY', rpc);
  if (pkcs8Max < WRAPPED_KEY_MAX) throw fail('RESULT_TOO_LONG', rpc);
  const kekekDer = fetchKey(ctx, kekekSlot, rpc).der;
  const kekekKey =
    kekekSlot.type === KeyType.RSA_PRIVATE ? rsaPrivateKeyObject(kekekDer) : publicKeyObject(kekekDer);
  if (rsaModulusBytes(kekekKey) > kekMax) throw fail('RESULT_TOO_LONG', rpc);
  const { located, der } = fetchKey(ctx, keySlot, rpc);

  let pkcs8: Uint8Array = der;
  let commit: (() => void) | undefined;
  if (keySlot.type === KeyType.HASHSIG_PRIVATE) {
    // §7.6: the source keeps [q, new_end), the exported copy gets [new_end, q_end).
    const stored = hashsigState(ctx, located.record, rpc);
    const { source, copy } = partitionForTransit(stored, rpc);
    pkcs8 = hashsigPkcs8(stored.hss, copy, true);
    commit = () =>
      rewriteHashsig(ctx, located, keySlot, { hss: source }, source.top.qEnd, HASHSIG_EXPORTED_FLAGS, rpc);
  }
  const blobs = exportBlobs(pkcs8, kekekKey, ctx.options.rng);
  if (blobs.pkcs8.length > pkcs8Max || blobs.kek.length > kekMax) throw fail('RESULT_TOO_LONG', rpc);
  commit?.();
  return { pkcs8: Buffer.from(blobs.pkcs8), kek: Buffer.from(blobs.kek) };
}

/** PKEY_IMPORT, steps of §5.4; the unwrapped key is then stored like PKEY_LOAD with `flags`. */
export function importKey(
  ctx: EngineContext,
  caller: { client: number; session: number },
  kekek: number,
  pkcs8: Uint8Array,
  kek: Uint8Array,
  flags: number,
) {
  const rpc = 'PKEY_IMPORT';
  const kekekSlot = ctx.slots.find(kekek, rpc);
  if ((kekekSlot.flags & KeyFlag.USAGE_KEYENCIPHERMENT) === 0) throw fail('FORBIDDEN', rpc);
  if (kekekSlot.type !== KeyType.RSA_PRIVATE) throw fail('UNSUPPORTED_KEY', rpc);
  if (kek.length <= 2) throw fail('BAD_ARGUMENTS', rpc);
  const kekekKey = rsaPrivateKeyObject(fetchKey(ctx, kekekSlot, rpc).der);
  const der = importBlobs({ pkcs8, kek }, kekekKey, ctx.options.rng);
  try {
    return loadKey(ctx, caller, der, flags, rpc);
  } finally {
    der.fill(0);
  }
}

function requireRawExport(ctx: EngineContext, rpc: string): void {
  if (!ctx.options.rawExport) throw fail('RPC_BAD_FUNCTION', rpc);
}

/**
 * EXPORT_RAW (§9.2): the key's PKCS#8 wrapped under the master KEK, i.e. its keystore ciphertext.
 * Needs EXPORTABLE and a creator logged in as NORMAL or WHEEL. A hashsig key hands its whole
 * remaining range to the blob and keeps an empty one (persisted before the blob is returned); a
 * key already exported that way returns the same blob again.
 */
export function exportRaw(ctx: EngineContext, pkey: number, derMax: number): Buffer {
  const rpc = 'EXPORT_RAW';
  requireRawExport(ctx, rpc);
  const slot = ctx.slots.find(pkey, rpc);
  if (!ctx.logins.canUseKeys(slot.client)) throw fail('FORBIDDEN', rpc);
  if ((slot.flags & KeyFlag.EXPORTABLE) === 0) throw fail('FORBIDDEN', rpc);
  const { located } = fetchKey(ctx, slot, rpc);
  if (slot.type !== KeyType.HASHSIG_PRIVATE) {
    if (located.record.der.length > derMax) throw fail('RESULT_TOO_LONG', rpc);
    return Buffer.from(located.record.der);
  }
  const stored = hashsigState(ctx, located.record, rpc);
  const { frozen, changed } = rangeForRawExport(stored);
  const blob = ctx.keystore.wrap(hashsigPkcs8(stored.hss, frozen, true), rpc);
  if (blob.length > derMax) throw fail('RESULT_TOO_LONG', rpc);
  if (changed)
    rewriteHashsig(ctx, located, slot, { hss: stored.hss, frozen }, frozen.qStart, located.record.flags, rpc);
  return blob;
}

/** IMPORT_RAW (§9.2): unwrap under the master KEK (KEYWRAP_* on failure), then store like PKEY_LOAD. */
export function importRaw(
  ctx: EngineContext,
  caller: { client: number; session: number },
  blob: Uint8Array,
  flags: number,
) {
  const rpc = 'IMPORT_RAW';
  requireRawExport(ctx, rpc);
  const der = ctx.keystore.unwrap(blob, rpc);
  try {
    return loadKey(ctx, caller, der, flags, rpc);
  } finally {
    der.fill(0);
  }
}
