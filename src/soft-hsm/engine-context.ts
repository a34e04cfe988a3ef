/**
 * The state one soft HSM instance shares between its operation modules, and the two steps every
 * key operation repeats: fetching a handle's key (with its plaintext DER) and storing a new key
 * behind a fresh handle and UUID.
 */
import { KeyFlag } from '../hsm-adapter/constants';
import type { EcCurveName } from '../lib/spki';
import type { EcdsaNonce } from './crypto/ecdsa';
import { EcdsaNoncePool } from './crypto/ecdsa-pool';
import type { HssKey } from './hashsig';
import type { HashSlots } from './hash-slots';
import type { TopTreeMemo } from './hashsig-keys';
import type { Keystore, Located } from './keystore/keystore';
import type { KeyRecord } from './keystore/key-record';
import type { PinBook } from './pin-book';
import type { LoginTable } from './login-table';
import type { ResolvedOptions } from './options';
import type { PkeySlot, PkeySlots } from './pkey-slots';
import { fail } from './status';

export interface EngineContext {
  readonly options: ResolvedOptions;
  readonly logins: LoginTable;
  readonly pins: PinBook;
  readonly slots: PkeySlots;
  readonly hashes: HashSlots;
  readonly keystore: Keystore;
  /** Loaded hashsig keys (their trees are costly to recompute), by UUID hex. */
  readonly hssCache: Map<string, HssKey>;
  /** Top trees of hashsig keys built lately, for re-imports of the same key. */
  readonly topTrees: TopTreeMemo;
  /** Precomputed ECDSA nonces per curve, made on first use, refilled between requests or on a worker. */
  readonly noncePools: Map<EcCurveName, EcdsaNoncePool>;
}

/** The engine's ECDSA nonce source for `curve`: random k from the engine's RNG, precomputed. */
export function ecdsaNonces(ctx: EngineContext, curve: EcCurveName): () => EcdsaNonce {
  let pool = ctx.noncePools.get(curve);
  if (!pool) {
    pool = new EcdsaNoncePool(curve, ctx.options.rng, {
      worker: ctx.options.ecdsaWorker,
      log: ctx.options.log,
    });
    ctx.noncePools.set(curve, pool);
  }
  const p = pool;
  return () => p.take();
}

/** Exactly `n` bytes from the engine's RNG, as a Buffer. */
export function random(ctx: EngineContext, n: number): Buffer {
  const bytes = ctx.options.rng(n);
  if (!(bytes instanceof Uint8Array) || bytes.length !== n)
    throw new Error(`rng returned ${bytes?.length} bytes, expected ${n}`);
  return Buffer.from(bytes);
}

/** A random RFC 4122 version-4 UUID, never the all-zero name reserved for the PIN block (§6.1). */
export function newKeyName(ctx: EngineContext): Buffer {
  const name = random(ctx, 16);
  name[6] = (name[6] & 0x0f) | 0x40;
  name[8] = (name[8] & 0x3f) | 0x80;
  return name;
}

/** The record behind a handle, looked up with the slot's own client (§3.1). KEY_NOT_FOUND if gone. */
export function locate(ctx: EngineContext, slot: PkeySlot, rpc: string): Located {
  const found = ctx.keystore.get(slot.name, (slot.flags & KeyFlag.TOKEN) !== 0, slot.client);
  if (!found) throw fail('KEY_NOT_FOUND', rpc);
  return found;
}

/** The record and its unwrapped DER (libhal ks_fetch_from_flags). */
export function fetchKey(ctx: EngineContext, slot: PkeySlot, rpc: string): { located: Located; der: Buffer } {
  const located = locate(ctx, slot, rpc);
  return { located, der: ctx.keystore.unwrap(located.record.der, rpc) };
}

export interface NewKey {
  readonly client: number;
  readonly session: number;
  readonly type: number;
  readonly curve: number;
  readonly flags: number;
  /** Plaintext PKCS#8 or SPKI. */
  readonly der: Uint8Array;
  /** Plaintext hashsig state. */
  readonly state?: Uint8Array;
}

/**
 * Allocates a handle and stores a new key under a fresh UUID (libhal pkey_local_load and the
 * generate calls). The handle is freed again if storing fails. `reserved` is a slot allocated
 * earlier with `reserveSlot` (generation is slow, so libhal takes the slot first).
 */
export function storeNewKey(
  ctx: EngineContext,
  key: NewKey,
  rpc: string,
  reserved?: PkeySlot,
): { pkey: number; name: Buffer } {
  const token = (key.flags & KeyFlag.TOKEN) !== 0;
  const slot = reserved ?? reserveSlot(ctx, key, rpc);
  try {
    const record: KeyRecord = ctx.keystore.seal({ ...key, name: slot.name }, rpc);
    ctx.keystore.add(record, token, key.client, rpc);
  } catch (error) {
    ctx.slots.free(slot);
    throw error;
  }
  return { pkey: slot.handle, name: Buffer.from(slot.name) };
}

/** A handle with a fresh UUID for a key about to be created. */
export function reserveSlot(
  ctx: EngineContext,
  key: { client: number; session: number; type: number; curve: number; flags: number },
  rpc: string,
): PkeySlot {
  return ctx.slots.allocate({ ...key, name: newKeyName(ctx) }, (key.flags & KeyFlag.TOKEN) !== 0, rpc);
}
