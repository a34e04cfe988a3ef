/**
 * Hash and HMAC handles (libhal rpc_hash.c, docs/libhal-rpc.md §3.3): 32 hash and 16 HMAC contexts;
 * handle = index | counter << 16, bit 31 set for HMAC. Unknown handles are BAD_ARGUMENTS (that
 * is what libhal's hash layer answers), a full table is ALLOCATION_FAILURE, and FINALIZE frees the
 * handle whether or not it succeeds.
 */
import { startDigest, type DigestAlgorithm, type DigestContext } from './crypto/digest';
import { fail } from './status';

export const MAX_HASH_HANDLES = 32;
export const MAX_HMAC_HANDLES = 16;
const HMAC_FLAG = 0x80000000;

interface HashSlot {
  readonly handle: number;
  readonly alg: DigestAlgorithm;
  readonly ctx: DigestContext;
}

export class HashSlots {
  private readonly hash: (HashSlot | undefined)[] = new Array(MAX_HASH_HANDLES).fill(undefined);
  private readonly hmac: (HashSlot | undefined)[] = new Array(MAX_HMAC_HANDLES).fill(undefined);
  private glop = 0;

  /** HASH_INITIALIZE: an empty key is a plain hash, a non-empty key an HMAC. */
  open(alg: DigestAlgorithm, key: Uint8Array, rpc: string): number {
    const isHmac = key.length > 0;
    const table = isHmac ? this.hmac : this.hash;
    const index = table.findIndex((s) => s === undefined);
    if (index < 0) throw fail('ALLOCATION_FAILURE', rpc);
    this.glop = (this.glop % 0x7fff) + 1;
    const handle = (index | (this.glop << 16) | (isHmac ? HMAC_FLAG : 0)) >>> 0;
    table[index] = { handle, alg, ctx: startDigest(alg, key) };
    return handle;
  }

  private slot(handle: number, rpc: string): HashSlot {
    const table = (handle & HMAC_FLAG) !== 0 ? this.hmac : this.hash;
    const slot = table[handle & 0xffff];
    if (handle === 0 || slot === undefined || slot.handle !== handle) throw fail('BAD_ARGUMENTS', rpc);
    return slot;
  }

  /** The digest algorithm behind a handle. */
  algorithm(handle: number, rpc: string): DigestAlgorithm {
    return this.slot(handle, rpc).alg;
  }

  update(handle: number, data: Uint8Array, rpc: string): void {
    this.slot(handle, rpc).ctx.update(data);
  }

  /**
   * Ends the context and frees the handle. `length` below the digest size is BAD_ARGUMENTS
   * (libhal hash.c); above it, the digest is followed by zeros up to `length`, the shape of
   * libhal's reply (it answers `length` bytes).
   */
  finalize(handle: number, length: number, rpc: string): Buffer {
    const slot = this.slot(handle, rpc);
    const table = (handle & HMAC_FLAG) !== 0 ? this.hmac : this.hash;
    table[handle & 0xffff] = undefined;
    const digest = slot.ctx.finish();
    if (length < digest.length) throw fail('BAD_ARGUMENTS', rpc);
    const out = Buffer.alloc(length);
    out.set(digest);
    return out;
  }

  clear(): void {
    this.hash.fill(undefined);
    this.hmac.fill(undefined);
  }
}
