/**
 * Public keys, signing and verification (libhal rpc_pkey.c; docs/libhal-rpc.md §3.3 "Sign/verify
 * input rule", §7.3): PKEY_GET_PUBLIC_KEY_LEN, PKEY_GET_PUBLIC_KEY, PKEY_SIGN, PKEY_VERIFY.
 */
import { KeyFlag, KeyType } from '../hsm-adapter/constants';
import { rsaDigestInfo } from './crypto/signing';
import { parseEcPrivateKeyInfo } from '../lib/pkcs8';
import { ecdsaNonces, fetchKey, locate, type EngineContext } from './engine-context';
import { hssSignatureLength } from '../lib/rfc8554-params';
import { decodeHashsigState, encodeHashsigState, loadHssKey, signHashsig } from './hashsig-keys';
import { publicKeyDer, rsaKeyBytes, signEc, signRsa, verify } from './key-ops';
import type { Located } from './keystore/keystore';
import { uuidToString } from './keystore/key-record';
import type { PkeySlot } from './pkey-slots';
import { fail } from './status';

/** Status is always OK: any failure (bad handle, no KEK, damaged record) answers length 0 (§3.3). */
export function publicKeyLength(ctx: EngineContext, pkey: number): number {
  const rpc = 'PKEY_GET_PUBLIC_KEY_LEN';
  try {
    const slot = ctx.slots.find(pkey, rpc);
    return publicKeyDer(slot.type, fetchKey(ctx, slot, rpc).der, rpc).length;
  } catch {
    return 0;
  }
}

export function publicKey(ctx: EngineContext, pkey: number, derMax: number): Buffer {
  const rpc = 'PKEY_GET_PUBLIC_KEY';
  if (derMax === 0) throw fail('BAD_ARGUMENTS', rpc);
  const slot = ctx.slots.find(pkey, rpc);
  const spki = publicKeyDer(slot.type, fetchKey(ctx, slot, rpc).der, rpc);
  if (spki.length > derMax) throw fail('RESULT_TOO_LONG', rpc);
  return Buffer.from(spki);
}

/** Exactly one of a hash handle and non-empty input (the API layer's rule). */
function checkInputRule(hash: number, input: Uint8Array, rpc: string): void {
  if ((hash === 0) === (input.length === 0)) throw fail('BAD_ARGUMENTS', rpc);
}

/** Finalises a hash handle to its digest; the handle is consumed. */
function digestOf(ctx: EngineContext, hash: number, rpc: string) {
  const alg = ctx.hashes.algorithm(hash, rpc);
  return { alg, digest: ctx.hashes.finalize(hash, alg.digestLength, rpc) };
}

function requireSigningUse(slot: PkeySlot, rpc: string): void {
  if ((slot.flags & KeyFlag.USAGE_DIGITALSIGNATURE) === 0) throw fail('FORBIDDEN', rpc);
}

export function sign(
  ctx: EngineContext,
  pkey: number,
  hash: number,
  input: Uint8Array,
  sigMax: number,
): Buffer {
  const rpc = 'PKEY_SIGN';
  if (sigMax === 0) throw fail('BAD_ARGUMENTS', rpc);
  checkInputRule(hash, input, rpc);
  const slot = ctx.slots.find(pkey, rpc);
  if (
    slot.type !== KeyType.RSA_PRIVATE &&
    slot.type !== KeyType.EC_PRIVATE &&
    slot.type !== KeyType.HASHSIG_PRIVATE
  )
    throw fail('UNSUPPORTED_KEY', rpc);
  requireSigningUse(slot, rpc);
  if (slot.type === KeyType.EC_PRIVATE) {
    // The parsed key stays cached per record (Keystore.unwrapCached); k comes precomputed.
    const { record } = locate(ctx, slot, rpc);
    const key = ctx.keystore.unwrapCached(record, 'ec-private', rpc, parseEcPrivateKeyInfo);
    const digest = input.length > 0 ? input : digestOf(ctx, hash, rpc).digest;
    const signature = signEc(key, digest, ecdsaNonces(ctx, key.curve));
    if (signature.length > sigMax) throw fail('RESULT_TOO_LONG', rpc);
    return Buffer.isBuffer(signature) ? signature : Buffer.from(signature);
  }
  const { located, der } = fetchKey(ctx, slot, rpc);
  switch (slot.type) {
    case KeyType.RSA_PRIVATE: {
      if (rsaKeyBytes(slot.type, der) > sigMax) throw fail('RESULT_TOO_LONG', rpc);
      // With a hash handle the HSM builds the DigestInfo; input is used as the DigestInfo as-is.
      let digestInfo: Uint8Array = input;
      if (input.length === 0) {
        const { alg, digest } = digestOf(ctx, hash, rpc);
        digestInfo = rsaDigestInfo(alg, digest);
      }
      return Buffer.from(signRsa(der, digestInfo));
    }
    default:
      return signWithHashsig(
        ctx,
        located,
        input.length > 0 ? input : digestOf(ctx, hash, rpc).digest,
        sigMax,
        rpc,
      );
  }
}

/** §7.3: the advanced state is persisted (durably, for token keys) before the signature is returned. */
function signWithHashsig(
  ctx: EngineContext,
  located: Located,
  message: Uint8Array,
  sigMax: number,
  rpc: string,
): Buffer {
  const { record } = located;
  if (!record.state) throw fail('KEYSTORE_LOST_DATA', rpc);
  const stored = decodeHashsigState(ctx.keystore.unwrap(record.state, rpc));
  if (hssSignatureLength(stored.hss.levels, stored.hss.lmsType, stored.hss.lmotsType) > sigMax)
    throw fail('RESULT_TOO_LONG', rpc);
  const id = uuidToString(record.name);
  const key = loadHssKey(stored.hss, ctx.hssCache.get(id));
  const { signature, next } = signHashsig(stored, key, message, ctx.options.rng, rpc);
  ctx.keystore.replace(
    { ...record, state: ctx.keystore.wrap(encodeHashsigState({ hss: next.state }), rpc) },
    located.token,
    rpc,
  );
  ctx.hssCache.set(id, next);
  return Buffer.from(signature);
}

const VERIFIERS: readonly number[] = [
  KeyType.RSA_PRIVATE,
  KeyType.RSA_PUBLIC,
  KeyType.EC_PRIVATE,
  KeyType.EC_PUBLIC,
  KeyType.HASHSIG_PRIVATE,
  KeyType.HASHSIG_PUBLIC,
];

/** INVALID_SIGNATURE on mismatch; loaded public keys need DIGITALSIGNATURE too (§3.3). */
export function verifySignature(
  ctx: EngineContext,
  pkey: number,
  hash: number,
  input: Uint8Array,
  signature: Uint8Array,
): void {
  const rpc = 'PKEY_VERIFY';
  if (signature.length === 0) throw fail('BAD_ARGUMENTS', rpc);
  checkInputRule(hash, input, rpc);
  const slot = ctx.slots.find(pkey, rpc);
  if (!VERIFIERS.includes(slot.type)) throw fail('UNSUPPORTED_KEY', rpc);
  requireSigningUse(slot, rpc);
  const { der } = fetchKey(ctx, slot, rpc);
  let message: Uint8Array = input;
  if (input.length === 0) {
    const { alg, digest } = digestOf(ctx, hash, rpc);
    const isRsa = slot.type === KeyType.RSA_PRIVATE || slot.type === KeyType.RSA_PUBLIC;
    message = isRsa ? rsaDigestInfo(alg, digest) : digest;
  }
  if (!verify(slot.type, der, message, signature, rpc)) throw fail('INVALID_SIGNATURE', rpc);
}
