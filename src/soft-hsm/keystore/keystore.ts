/**
 * The two keystores behind one face (docs/libhal-rpc.md §6): the persistent token store and the
 * in-memory volatile store, every record's DER wrapped with RFC 5649 under the master KEK (§6.2).
 * Without a master KEK, anything that wraps or unwraps fails MASTERKEY_NOT_SET (32).
 *
 * Volatile records have an owner, the client handle that created them (§6.1): visible to that
 * client, to WHEEL, and to everyone when the owner is 0.
 */
import { unwrapKey, wrapKey } from '../crypto/keywrap';
import { fail } from '../status';
import {
  KS_BLOCK_DER_SPACE,
  blockBytesUsed,
  uuidToString,
  type KeyAttribute,
  type KeyRecord,
} from './key-record';
import type { TokenStore } from './token-store';

/** Volatile keystore slots of the Alpha build (§4.5). */
export const VOLATILE_CAPACITY = 4352;

/** Records whose unwrapped key the keystore keeps parsed at most (oldest dropped first). */
export const UNWRAPPED_CACHE_CAPACITY = 1024;

interface Unwrapped {
  readonly tag: string;
  /** The plaintext DER; `value` views it, so zeroing it wipes the key. */
  readonly der: Buffer;
  readonly value: unknown;
}

export interface VolatileEntry {
  readonly record: KeyRecord;
  readonly owner: number;
}

/** A record and where it lives. */
export interface Located {
  readonly record: KeyRecord;
  readonly token: boolean;
  /** Volatile only. */
  readonly owner?: number;
}

export interface NewRecord {
  readonly name: Buffer;
  readonly type: number;
  readonly curve: number;
  readonly flags: number;
  /** Plaintext PKCS#8 or SPKI; wrapped here. */
  readonly der: Uint8Array;
  readonly attributes?: readonly KeyAttribute[];
  /** Plaintext hashsig state; wrapped here. */
  readonly state?: Uint8Array;
}

export class Keystore {
  private readonly volatile = new Map<string, VolatileEntry>();
  /**
   * Unwrapped, parsed keys by the record object they came from (see `unwrapCached`). Replacing or
   * deleting a record, purging its owner and wiping the KEK drop (and zero) its entry.
   */
  private readonly unwrapped = new Map<KeyRecord, Unwrapped>();

  constructor(
    private readonly token: TokenStore,
    private masterKek: Buffer | undefined,
    private readonly capacity: number,
    /** True if `client` is logged in as WHEEL (sees every volatile key). */
    private readonly isWheel: (client: number) => boolean,
  ) {}

  get hasMasterKek(): boolean {
    return this.masterKek !== undefined;
  }

  get tokenCount(): number {
    return this.token.size;
  }

  /** Forgets the KEK held in memory (engine close). */
  wipeKek(): void {
    for (const record of [...this.unwrapped.keys()]) this.forget(record);
    this.masterKek?.fill(0);
    this.masterKek = undefined;
  }

  private kek(rpc: string): Buffer {
    if (!this.masterKek) throw fail('MASTERKEY_NOT_SET', rpc);
    return this.masterKek;
  }

  /** RFC 5649 under the master KEK. */
  wrap(plain: Uint8Array, rpc: string): Buffer {
    return Buffer.from(wrapKey(this.kek(rpc), plain));
  }

  /** Inverse of `wrap`; a blob made under another KEK fails KEYWRAP_BAD_MAGIC/LENGTH/PADDING. */
  unwrap(wrapped: Uint8Array, rpc: string): Buffer {
    return Buffer.from(unwrapKey(this.kek(rpc), wrapped));
  }

  /**
   * `parse(unwrap(record.der))`, computed once per record object and kept in memory, so that a
   * signing key is not unwrapped (AES-KWP) and parsed again for every signature. `parse` must
   * return views into the DER it is given, not copies: dropping an entry zeroes that DER.
   *
   * Trade-off (docs/style.md §10, "zero scratch key material"): the plaintext of keys in use stays in this
   * process between calls instead of being a short-lived scratch copy. The process already holds
   * the master KEK, which unwraps every record, so this adds no key an attacker with access to the
   * process memory could not already get; entries are zeroed as soon as the record is replaced
   * or deleted, its volatile owner logs out, the cache overflows, or the engine closes.
   */
  unwrapCached<T>(record: KeyRecord, tag: string, rpc: string, parse: (der: Buffer) => T): T {
    const hit = this.unwrapped.get(record);
    if (hit && hit.tag === tag) return hit.value as T;
    if (hit) this.forget(record);
    const der = this.unwrap(record.der, rpc);
    let value: T;
    try {
      value = parse(der);
    } catch (error) {
      der.fill(0);
      throw error;
    }
    if (this.unwrapped.size >= UNWRAPPED_CACHE_CAPACITY)
      this.forget(this.unwrapped.keys().next().value as KeyRecord);
    this.unwrapped.set(record, { tag, der, value });
    return value;
  }

  /** Records with a cached unwrapped key (tests). */
  get unwrappedCount(): number {
    return this.unwrapped.size;
  }

  private forget(record: KeyRecord | undefined): void {
    if (!record) return;
    const entry = this.unwrapped.get(record);
    if (!entry) return;
    this.unwrapped.delete(record);
    entry.der.fill(0);
  }

  /** The record currently stored under `name`, of any owner. */
  private current(name: Uint8Array, token: boolean): KeyRecord | undefined {
    return token ? this.token.get(name) : this.volatile.get(uuidToString(name))?.record;
  }

  /** Builds the stored form of a record, enforcing the block size (RESULT_TOO_LONG). */
  seal(n: NewRecord, rpc: string): KeyRecord {
    const der = this.wrap(n.der, rpc);
    const attributes = n.attributes ?? [];
    if (blockBytesUsed(der, attributes) > KS_BLOCK_DER_SPACE) throw fail('RESULT_TOO_LONG', rpc);
    return {
      name: n.name,
      type: n.type,
      curve: n.curve,
      flags: n.flags,
      der,
      attributes,
      ...(n.state ? { state: this.wrap(n.state, rpc) } : {}),
    };
  }

  /** Stores a new record in the token (persistent, durable on return) or volatile store. */
  add(record: KeyRecord, token: boolean, owner: number, rpc: string): void {
    if (this.token.has(record.name) || this.volatile.has(uuidToString(record.name)))
      throw fail('KEY_NAME_IN_USE', rpc);
    if (token) {
      if (this.token.size >= this.capacity) throw fail('NO_KEY_SLOTS_AVAILABLE', rpc);
      this.token.put(record);
    } else {
      if (this.volatile.size >= VOLATILE_CAPACITY) throw fail('NO_KEY_SLOTS_AVAILABLE', rpc);
      this.volatile.set(uuidToString(record.name), { record, owner });
    }
  }

  /** Replaces an existing record in place (durable on return for token records). */
  replace(record: KeyRecord, token: boolean, rpc: string): void {
    const old = this.current(record.name, token);
    if (old !== record) this.forget(old);
    if (token) {
      if (!this.token.has(record.name)) throw fail('KEY_NOT_FOUND', rpc);
      this.token.put(record);
      return;
    }
    const id = uuidToString(record.name);
    const entry = this.volatile.get(id);
    if (!entry) throw fail('KEY_NOT_FOUND', rpc);
    this.volatile.set(id, { record, owner: entry.owner });
  }

  private visible(entry: VolatileEntry, client: number): boolean {
    return entry.owner === 0 || entry.owner === client || this.isWheel(client);
  }

  /** A record in one store, with the volatile owner test for `client` (libhal hal_ks_block_test_owner). */
  get(name: Uint8Array, token: boolean, client: number): Located | undefined {
    if (token) {
      const record = this.token.get(name);
      return record && { record, token: true };
    }
    const entry = this.volatile.get(uuidToString(name));
    return entry && this.visible(entry, client)
      ? { record: entry.record, token: false, owner: entry.owner }
      : undefined;
  }

  /** Token store first, then volatile (PKEY_OPEN, §3.3). */
  lookup(name: Uint8Array, client: number): Located | undefined {
    return this.get(name, true, client) ?? this.get(name, false, client);
  }

  delete(name: Uint8Array, token: boolean): boolean {
    this.forget(this.current(name, token));
    return token ? this.token.delete(name) : this.volatile.delete(uuidToString(name));
  }

  /** Deletes the volatile keys a client owns (LOGOUT, §3.3); handle 0 owns nothing that is purged. */
  purgeOwner(client: number): number {
    if (client === 0) return 0;
    let n = 0;
    for (const [id, entry] of this.volatile) {
      if (entry.owner !== client) continue;
      this.forget(entry.record);
      this.volatile.delete(id);
      n++;
    }
    return n;
  }

  /** Token records in UUID order. */
  tokenRecords(): KeyRecord[] {
    return this.token.sorted();
  }

  /** Volatile records visible to `client`, in UUID order. */
  volatileRecords(client: number): KeyRecord[] {
    return [...this.volatile.values()]
      .filter((e) => this.visible(e, client))
      .map((e) => e.record)
      .sort((a, b) => Buffer.compare(a.name, b.name));
  }

  /** Every record of any owner (hashsig "same I active" checks). */
  allRecords(): KeyRecord[] {
    return [...this.token.sorted(), ...[...this.volatile.values()].map((e) => e.record)];
  }
}
