/**
 * Hash and HMAC RPCs (libhal rpc_hash.c, docs/libhal-rpc.md §3.3): digest lengths and
 * AlgorithmIdentifiers, and incremental hash/HMAC contexts behind hash handles.
 */
import { DIGESTS, type DigestAlgorithm } from './crypto/digest';
import type { EngineContext } from './engine-context';
import { fail } from './status';

/** The algorithm for a hal_digest_algorithm_t; NONE and unknown values are BAD_ARGUMENTS. */
export function digestAlgorithm(alg: number, rpc: string): DigestAlgorithm {
  const d = DIGESTS.find((x) => x.id === alg);
  if (!d) throw fail('BAD_ARGUMENTS', rpc);
  return d;
}

export function getDigestLength(alg: number): number {
  return digestAlgorithm(alg, 'HASH_GET_DIGEST_LEN').digestLength;
}

/** `lenMax` 0 asks for the length only; a shorter `lenMax` than the DER is RESULT_TOO_LONG. */
export function getDigestAlgorithmId(alg: number, lenMax: number): { length: number } | { der: Buffer } {
  const rpc = 'HASH_GET_DIGEST_ALGORITHM_ID';
  const id = digestAlgorithm(alg, rpc).algorithmIdentifier;
  if (lenMax === 0) return { length: id.length };
  if (lenMax < id.length) throw fail('RESULT_TOO_LONG', rpc);
  return { der: Buffer.from(id) };
}

/** What the handle's descriptor reports: SHA-224 handles say SHA256 (3), a libhal quirk (§4.2). */
export function getAlgorithm(ctx: EngineContext, hash: number): number {
  return ctx.hashes.algorithm(hash, 'HASH_GET_ALGORITHM').reportedId;
}

/** An empty key is a plain hash, any other an HMAC key. */
export function initialize(ctx: EngineContext, alg: number, key: Uint8Array): number {
  const rpc = 'HASH_INITIALIZE';
  return ctx.hashes.open(digestAlgorithm(alg, rpc), key, rpc);
}

export function update(ctx: EngineContext, hash: number, data: Uint8Array): void {
  const rpc = 'HASH_UPDATE';
  if (hash === 0) throw fail('BAD_ARGUMENTS', rpc);
  if (data.length === 0) return; // hal_rpc_hash_update: nothing to do, even for an unknown handle
  ctx.hashes.update(hash, data, rpc);
}

export function finalize(ctx: EngineContext, hash: number, length: number): Buffer {
  const rpc = 'HASH_FINALIZE';
  if (hash === 0 || length === 0) throw fail('BAD_ARGUMENTS', rpc);
  return ctx.hashes.finalize(hash, length, rpc);
}
