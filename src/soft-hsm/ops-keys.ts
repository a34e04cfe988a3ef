/**
 * Creating, opening, closing and deleting keys (libhal rpc_pkey.c with the API-layer checks of
 * hal_rpc.c; docs/libhal-rpc.md §3.3, §4.3, §7.5, §7.6): PKEY_LOAD, PKEY_OPEN, PKEY_GENERATE_RSA/_EC/
 * _HASHSIG, PKEY_CLOSE, PKEY_DELETE and the cached GET_KEY_TYPE/_CURVE/_FLAGS.
 */
import { Curve, KEY_FLAGS_ALL, KeyFlag, KeyType } from '../hsm-adapter/constants';
import { parseHashsigPrivateKeyInfo, parseKey, type HashsigPrivateKey } from '../lib/pkcs8';
import type { EcCurveName } from '../lib/spki';
import { generateEcKey, generateRsaKey } from './crypto/signing';
import { locate, reserveSlot, storeNewKey, type EngineContext } from './engine-context';
import {
  checkHashsigFlags,
  checkHashsigParams,
  encodeHashsigState,
  generateHashsig,
  hashsigPkcs8,
  rebuildHashsig,
  type HashsigParams,
} from './hashsig-keys';
import { uuidToString } from './keystore/key-record';
import { fail } from './status';

function checkFlags(flags: number, rpc: string): void {
  if ((flags & ~KEY_FLAGS_ALL) !== 0) throw fail('BAD_ARGUMENTS', rpc);
}

const CURVE_NAMES: Record<number, EcCurveName> = {
  [Curve.P256]: 'P-256',
  [Curve.P384]: 'P-384',
  [Curve.P521]: 'P-521',
};
const CURVE_CODES: Record<EcCurveName, number> = {
  'P-256': Curve.P256,
  'P-384': Curve.P384,
  'P-521': Curve.P521,
};

interface Caller {
  readonly client: number;
  readonly session: number;
}

/**
 * PKEY_LOAD, and the last step of PKEY_IMPORT and IMPORT_RAW (§5.4: "store exactly like
 * PKEY_LOAD with the caller-supplied flags"). The key type comes from the DER (PKCS#8 → private,
 * SPKI → public). A hashsig private key is rebuilt from its SEED as on import (§7.6).
 */
export function loadKey(
  ctx: EngineContext,
  caller: Caller,
  der: Uint8Array,
  flags: number,
  rpc: string,
): { pkey: number; name: Buffer } {
  if (der.length === 0) throw fail('BAD_ARGUMENTS', rpc);
  checkFlags(flags, rpc);
  ctx.logins.requireWritable(caller.client, flags, rpc);
  const parsed = parseKey(der);
  if (parsed.type === 'hashsig-private')
    return importHashsig(ctx, caller, parseHashsigPrivateKeyInfo(der), flags, rpc);
  const type = {
    'rsa-private': KeyType.RSA_PRIVATE,
    'rsa-public': KeyType.RSA_PUBLIC,
    'ec-private': KeyType.EC_PRIVATE,
    'ec-public': KeyType.EC_PUBLIC,
    'hashsig-public': KeyType.HASHSIG_PUBLIC,
  }[parsed.type];
  const curve =
    parsed.type === 'ec-private' || parsed.type === 'ec-public' ? CURVE_CODES[parsed.key.curve] : Curve.NONE;
  return storeNewKey(ctx, { ...caller, type, curve, flags, der }, rpc);
}

/** The I of every hashsig private key on this HSM (any store, any owner). */
function activeHashsigIds(ctx: EngineContext, rpc: string): Set<string> {
  const ids = new Set<string>();
  for (const r of ctx.keystore.allRecords()) {
    if (r.type !== KeyType.HASHSIG_PRIVATE) continue;
    ids.add(Buffer.from(parseHashsigPrivateKeyInfo(ctx.keystore.unwrap(r.der, rpc)).I).toString('hex'));
  }
  return ids;
}

/**
 * §7.6 import of a hashsig private key: flags must include DIGITALSIGNATURE and TOKEN
 * (FORBIDDEN), a key with the same I must not be active here (KEY_NAME_IN_USE), then the top tree
 * is recomputed from SEED for [q_start, q_end) and fresh lower trees are drawn.
 */
export function importHashsig(
  ctx: EngineContext,
  caller: Caller,
  priv: HashsigPrivateKey,
  flags: number,
  rpc: string,
): { pkey: number; name: Buffer } {
  checkHashsigFlags(flags, rpc);
  checkHashsigParams({ levels: priv.L, lmsType: priv.lmsType, lmotsType: priv.lmotsType }, rpc);
  if (activeHashsigIds(ctx, rpc).has(Buffer.from(priv.I).toString('hex'))) throw fail('KEY_NAME_IN_USE', rpc);
  if (ctx.keystore.tokenCount >= ctx.options.capacity) throw fail('NO_KEY_SLOTS_AVAILABLE', rpc);
  const meta = { ...caller, type: KeyType.HASHSIG_PRIVATE, curve: Curve.NONE, flags };
  const slot = reserveSlot(ctx, meta, rpc);
  try {
    const key = rebuildHashsig(priv, ctx.options.rng, rpc, ctx.topTrees);
    const exportable = (flags & KeyFlag.EXPORTABLE) !== 0;
    const pkcs8 = hashsigPkcs8(key.state, { qStart: priv.qStart, qEnd: priv.qEnd }, exportable);
    const created = storeNewKey(
      ctx,
      { ...meta, der: pkcs8, state: encodeHashsigState({ hss: key.state }) },
      rpc,
      slot,
    );
    ctx.hssCache.set(uuidToString(created.name), key);
    return created;
  } catch (error) {
    ctx.slots.free(slot);
    throw error;
  }
}

/** PKEY_OPEN: NORMAL or WHEEL only; token store first, then volatile (owner rules apply). */
export function openKey(ctx: EngineContext, caller: Caller, name: Uint8Array): number {
  const rpc = 'PKEY_OPEN';
  if (!ctx.logins.canUseKeys(caller.client)) throw fail('FORBIDDEN', rpc);
  const found = ctx.keystore.lookup(name, caller.client);
  if (!found) throw fail('KEY_NOT_FOUND', rpc);
  const { record } = found;
  const slot = ctx.slots.allocate(
    {
      name: Buffer.from(record.name),
      ...caller,
      type: record.type,
      curve: record.curve,
      flags: record.flags,
    },
    found.token,
    rpc,
  );
  return slot.handle;
}

/** Runs a key generator behind a reserved handle, freeing the handle if anything fails. */
function generate(
  ctx: EngineContext,
  meta: Caller & { type: number; curve: number; flags: number },
  rpc: string,
  make: () => { der: Uint8Array; state?: Uint8Array },
): { pkey: number; name: Buffer } {
  const slot = reserveSlot(ctx, meta, rpc);
  try {
    return storeNewKey(ctx, { ...meta, ...make() }, rpc, slot);
  } catch (error) {
    ctx.slots.free(slot);
    throw error;
  }
}

/** PKEY_GENERATE_RSA: bits > 0 and a multiple of 8, exponent non-empty (API layer), then login. */
export function generateRsa(
  ctx: EngineContext,
  caller: Caller,
  keyBits: number,
  exponent: Uint8Array,
  flags: number,
) {
  const rpc = 'PKEY_GENERATE_RSA';
  if (keyBits === 0 || keyBits % 8 !== 0 || exponent.length === 0) throw fail('BAD_ARGUMENTS', rpc);
  checkFlags(flags, rpc);
  ctx.logins.requireWritable(caller.client, flags, rpc);
  return generate(ctx, { ...caller, type: KeyType.RSA_PRIVATE, curve: Curve.NONE, flags }, rpc, () => ({
    der: generateRsaKey(keyBits, exponent).pkcs8,
  }));
}

/** PKEY_GENERATE_EC: curve P-256/384/521 and valid flags (API layer), then login. */
export function generateEc(ctx: EngineContext, caller: Caller, curve: number, flags: number) {
  const rpc = 'PKEY_GENERATE_EC';
  const curveName = CURVE_NAMES[curve];
  if (curveName === undefined) throw fail('BAD_ARGUMENTS', rpc);
  checkFlags(flags, rpc);
  ctx.logins.requireWritable(caller.client, flags, rpc);
  return generate(ctx, { ...caller, type: KeyType.EC_PRIVATE, curve, flags }, rpc, () => ({
    der: generateEcKey(curveName, ctx.options.rng).pkcs8,
  }));
}

/**
 * PKEY_GENERATE_HASHSIG (§7.1, §7.5): parameters, DIGITALSIGNATURE|TOKEN, and the master KEK and
 * keystore space are checked before the (slow) generation.
 */
export function generateHashsigKey(ctx: EngineContext, caller: Caller, params: HashsigParams, flags: number) {
  const rpc = 'PKEY_GENERATE_HASHSIG';
  checkFlags(flags, rpc);
  ctx.logins.requireWritable(caller.client, flags, rpc);
  checkHashsigParams(params, rpc);
  checkHashsigFlags(flags, rpc);
  if (!ctx.keystore.hasMasterKek) throw fail('MASTERKEY_NOT_SET', rpc);
  if (ctx.keystore.tokenCount >= ctx.options.capacity) throw fail('NO_KEY_SLOTS_AVAILABLE', rpc);
  let key: ReturnType<typeof generateHashsig>['key'] | undefined;
  const created = generate(
    ctx,
    { ...caller, type: KeyType.HASHSIG_PRIVATE, curve: Curve.NONE, flags },
    rpc,
    () => {
      const g = generateHashsig(params, (flags & KeyFlag.EXPORTABLE) !== 0, ctx.options.rng, ctx.topTrees);
      key = g.key;
      return { der: g.pkcs8, state: encodeHashsigState({ hss: g.key.state }) };
    },
  );
  if (key) ctx.hssCache.set(uuidToString(created.name), key);
  return created;
}

export function closeKey(ctx: EngineContext, pkey: number): void {
  ctx.slots.free(ctx.slots.find(pkey, 'PKEY_CLOSE'));
}

/**
 * PKEY_DELETE: the creating client must still be allowed to write the key (§4.3). A key already
 * gone answers KEY_NOT_FOUND and frees the handle, as libhal does.
 */
export function deleteKey(ctx: EngineContext, pkey: number): void {
  const rpc = 'PKEY_DELETE';
  const slot = ctx.slots.find(pkey, rpc);
  ctx.logins.requireWritable(slot.client, slot.flags, rpc);
  let found;
  try {
    found = locate(ctx, slot, rpc);
  } catch (error) {
    ctx.slots.free(slot);
    throw error;
  }
  ctx.keystore.delete(found.record.name, found.token);
  ctx.hssCache.delete(uuidToString(found.record.name));
  ctx.slots.free(slot);
}

export function keyType(ctx: EngineContext, pkey: number): number {
  return ctx.slots.find(pkey, 'PKEY_GET_KEY_TYPE').type;
}

export function keyCurve(ctx: EngineContext, pkey: number): number {
  return ctx.slots.find(pkey, 'PKEY_GET_KEY_CURVE').curve;
}

export function keyFlags(ctx: EngineContext, pkey: number): number {
  return ctx.slots.find(pkey, 'PKEY_GET_KEY_FLAGS').flags;
}
