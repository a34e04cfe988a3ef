/**
 * Open pkey handles to resident RSA/EC keys, kept per HSM client, so a signature costs one
 * PKEY_SIGN instead of PKEY_OPEN + PKEY_SIGN + PKEY_CLOSE. Handles are global and not bound to a
 * connection (docs/libhal-rpc.md §3.3 "Handles"), and survive LOGOUT (§11): whatever is not closed stays
 * taken until the HSM restarts. So at most `max` are kept (the HSM has 256 for all its clients),
 * the least recently used is closed, and every handle leaving the cache is closed, unless it
 * now opens a different key: after an HSM restart the same number may be another client's handle.
 * When the HSM has no free handle slot left, the older half of the kept handles is given back and
 * the open tried once more.
 *
 * Hashsig keys are not kept here: their signing stays open/sign/close, one at a time per key.
 */
import type { Hsm } from '../../hsm-adapter';
import { HsmStateMismatch } from './errors';
import { statusOf, withKey } from './hsm-calls';

/** Handles kept open per HSM client. */
export const MAX_KEY_HANDLES = 64;

interface Entry {
  readonly handle: Promise<number>;
  /** SubjectPublicKeyInfo DER the ledger records for the key. */
  readonly publicKey: Buffer;
}

export class KeyHandles {
  /** By HSM key name, least recently used first. */
  private readonly entries = new Map<string, Entry>();
  private disposed = false;

  constructor(
    private readonly client: Hsm,
    private readonly max: number = MAX_KEY_HANDLES,
  ) {
    if (!(Number.isInteger(max) && max >= 1))
      throw new RangeError(`"max" expected a positive integer, got ${max}`);
  }

  get size(): number {
    return this.entries.size;
  }

  /**
   * Runs `fn` with an open handle to the key `name` (whose public key is `publicKey`); null when
   * the HSM has no such key. When the call answers KEY_NOT_FOUND (the key was deleted) the handle
   * is closed; when `fn` throws `HsmStateMismatch` (the handle acted as another key: the HSM
   * restarted and gave its number to another) every kept handle is suspect and let go. Either
   * way the key is opened again and `fn` run once more.
   */
  async use<T>(
    name: string,
    publicKey: Buffer,
    fn: (handle: number) => Promise<T>,
  ): Promise<{ value: T } | null> {
    // A call that raced the client's drop keeps nothing.
    if (this.disposed) return withKey(this.client, name, fn);
    for (let retried = false; ; retried = true) {
      const entry = this.entry(name, publicKey);
      let handle: number;
      try {
        handle = await entry.handle;
      } catch (error) {
        this.remove(name, entry);
        if (statusOf(error) === 'KEY_NOT_FOUND') return null;
        // All 256 handle slots taken (our kept ones among them): give back the older half, once.
        if (statusOf(error) !== 'NO_KEY_SLOTS_AVAILABLE' || retried || this.entries.size === 0) throw error;
        await this.closeOldest(Math.ceil(this.entries.size / 2));
        continue;
      }
      try {
        return { value: await fn(handle) };
      } catch (error) {
        const gone = statusOf(error) === 'KEY_NOT_FOUND';
        if (retried || !(gone || error instanceof HsmStateMismatch)) throw error;
        if (gone) {
          this.remove(name, entry);
          await this.closeHandle(entry);
        } else this.release().catch(() => undefined);
      }
    }
  }

  /** Closes the handle kept for `name`, if any: call before the key is deleted from the HSM. */
  async forget(name: string): Promise<void> {
    const entry = this.entries.get(name);
    if (entry === undefined) return;
    this.entries.delete(name);
    await this.closeHandle(entry);
  }

  /** Lets every kept handle go, closing those that still open their key; stops at a transport failure. */
  release(): Promise<void> {
    return this.closeOldest(this.entries.size);
  }

  /** Closes the `count` least recently used kept handles. */
  private async closeOldest(count: number): Promise<void> {
    const oldest = [...this.entries].slice(0, count);
    for (const [name] of oldest) this.entries.delete(name);
    for (const [, entry] of oldest) await this.closeHandle(entry);
  }

  /** `release`, and keep nothing from now on: the client is being dropped. */
  dispose(): Promise<void> {
    this.disposed = true;
    return this.release();
  }

  private entry(name: string, publicKey: Buffer): Entry {
    const kept = this.entries.get(name);
    if (kept !== undefined) {
      this.entries.delete(name);
      this.entries.set(name, kept);
      return kept;
    }
    const entry: Entry = { handle: this.client.open(name), publicKey };
    // The caller sees the failure; the cache must not report it as unhandled.
    entry.handle.catch(() => undefined);
    this.entries.set(name, entry);
    if (this.entries.size > this.max) {
      const [oldest, evicted] = this.entries.entries().next().value as [string, Entry];
      this.entries.delete(oldest);
      this.closeHandle(evicted).catch(() => undefined);
    }
    return entry;
  }

  private remove(name: string, entry: Entry): void {
    if (this.entries.get(name) === entry) this.entries.delete(name);
  }

  /**
   * PKEY_CLOSE, unless the handle now opens a key with another public key (then it is someone
   * else's). A handle whose key is gone is closed: it would only take a slot. HSM statuses end it
   * quietly; a transport failure is thrown (the client is then dropped).
   */
  private async closeHandle(entry: Entry): Promise<void> {
    let handle: number;
    try {
      handle = await entry.handle;
    } catch {
      return;
    }
    try {
      const spki = await this.client.getPublicKey(handle).catch((error: unknown) => {
        if (statusOf(error) === 'KEY_NOT_FOUND') return null;
        throw error;
      });
      if (spki === null || spki.equals(entry.publicKey)) await this.client.close(handle);
    } catch (error) {
      if (statusOf(error) === undefined) throw error;
    }
  }
}
