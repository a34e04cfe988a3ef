/**
 * pkey handles (libhal rpc_pkey.c, docs/libhal-rpc.md §3.3 "Handles"): a global table of 256 slots.
 * handle = slot index (bits 0–15) | rolling counter (bits 16–30) | bit 31 for a token key.
 * Handles are not bound to the client that uses them: the slot remembers the client and session
 * that created it, and that client is the authorisation context for handle-based calls (§3.1).
 * Type, curve and flags are cached when the slot is filled, as libhal does.
 */
import { fail } from './status';

/** HAL_STATIC_PKEY_STATE_BLOCKS. */
export const MAX_PKEY_HANDLES = 256;
export const PKEY_HANDLE_TOKEN_FLAG = 0x80000000;

export interface PkeySlot {
  readonly handle: number;
  readonly name: Buffer;
  readonly client: number;
  readonly session: number;
  type: number;
  curve: number;
  flags: number;
}

export class PkeySlots {
  private readonly slots: (PkeySlot | undefined)[] = new Array(MAX_PKEY_HANDLES).fill(undefined);
  private glop = 0;

  /** Allocates a handle for a key; NO_KEY_SLOTS_AVAILABLE when all 256 are open. */
  allocate(
    key: { name: Buffer; client: number; session: number; type: number; curve: number; flags: number },
    token: boolean,
    rpc: string,
  ): PkeySlot {
    const index = this.slots.findIndex((s) => s === undefined);
    if (index < 0) throw fail('NO_KEY_SLOTS_AVAILABLE', rpc);
    // libhal: glop = ++next_glop << 16; next_glop %= 0x7FFF — never 0 in bits 16..30.
    this.glop = (this.glop % 0x7fff) + 1;
    const handle = (index | (this.glop << 16) | (token ? PKEY_HANDLE_TOKEN_FLAG : 0)) >>> 0;
    const slot: PkeySlot = { ...key, handle };
    this.slots[index] = slot;
    return slot;
  }

  /** The slot of a live handle; KEY_NOT_FOUND for anything else (stale, never issued, 0). */
  find(handle: number, rpc: string): PkeySlot {
    const slot = this.slots[handle & 0xffff];
    if (slot === undefined || slot.handle !== handle) throw fail('KEY_NOT_FOUND', rpc);
    return slot;
  }

  free(slot: PkeySlot): void {
    if (this.slots[slot.handle & 0xffff] === slot) this.slots[slot.handle & 0xffff] = undefined;
  }

  /** Frees every handle (the engine closes). */
  clear(): void {
    this.slots.fill(undefined);
  }
}
