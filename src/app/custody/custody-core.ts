/**
 * What every custody use case shares: the ledger, the HSM registry, the clock, and one typed
 * `appendDecision` per stream category. Use cases are functions over this core, so the service
 * and the process manager run exactly the same steps.
 */
import { blob, DomainError, hsm, kekDomain, key, streamName } from '../../domain';
import { holdsLocks, StreamDeleted, type EventStore } from '../../event-store';
import { sha256Hex } from '../../lib/sha256';
import { systemActor, type Actor } from '../actor';
import type { HsmRegistry } from '../hsm-registry/hsm-registry';
import type { ReadSide } from '../read-side/read-side';
import { appendDecision, foldStream, OpContext, type Decided, type Folded } from './append-decision';
import type { Clock } from './clock';
import { CustodyNotFound } from './errors';

export interface CustodyOptions {
  /** The operator id of the service's own moves (`KEYLEDGER_OPERATOR_ID`): demo HSMs, crash recovery. */
  readonly operatorId: string;
  /** RSA size of the transit KEKEK the destination generates (docs/libhal-rpc.md §5). */
  readonly kekekBits: number;
  readonly env: NodeJS.ProcessEnv;
}

export const DEFAULT_CUSTODY_OPTIONS: CustodyOptions = {
  operatorId: 'keyledger',
  kekekBits: 2048,
  env: process.env,
};

const KEY_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

export class CustodyCore {
  /** Per-key queues: hashsig signatures must reach the ledger in the order the HSM made them. */
  private readonly locks = new Map<string, Promise<unknown>>();

  constructor(
    readonly store: EventStore,
    readonly registry: HsmRegistry,
    readonly reads: ReadSide,
    readonly clock: Clock,
    readonly options: CustodyOptions,
  ) {}

  /** The audit context of one use case run for `actor`. */
  context(actor: Actor): OpContext {
    return new OpContext(actor, this.clock);
  }

  /** The service acting on its own (start-up recovery, demo HSMs): never gated, named in metadata. */
  systemActor(): Actor {
    return systemActor(this.options.operatorId);
  }

  keyStream(keyId: string): string {
    if (typeof keyId !== 'string' || !KEY_ID.test(keyId))
      throw new CustodyNotFound(`key ${JSON.stringify(String(keyId).slice(0, 80))} is not in the ledger`);
    return streamName('key', keyId);
  }

  async foldKey(keyId: string): Promise<Folded<key.KeyState>> {
    return foldStream(this.store, this.keyStream(keyId), key.keyDecider, key.isKeyEvent);
  }

  /** The key's state; `CustodyNotFound` if the ledger never recorded it. */
  async loadKey(keyId: string): Promise<Folded<key.KeyState> & { state: key.LiveKey | key.DestroyedKey }> {
    const folded = await this.foldKey(keyId);
    if (folded.state.status === 'absent') throw new CustodyNotFound(`key ${keyId} is not in the ledger`);
    return folded as Folded<key.KeyState> & { state: key.LiveKey | key.DestroyedKey };
  }

  decideKey(
    keyId: string,
    command: key.KeyCommand | ((s: key.KeyState) => key.KeyCommand),
    ctx: OpContext,
  ): Promise<Decided<key.KeyState, key.KeyEvent>> {
    return appendDecision(
      this.store,
      this.keyStream(keyId),
      key.keyDecider,
      key.isKeyEvent,
      command,
      ctx,
      ctx.now(),
    ).catch((error: unknown) => {
      throw this.withHsmNames(error);
    });
  }

  /**
   * The pure domain knows HSMs by id; an operator knows them by name. A refusal's message names
   * each HSM as `name (id)` so the person reading it can act on it.
   */
  withHsmNames(error: unknown): unknown {
    if (!(error instanceof DomainError)) return error;
    let message = error.message;
    for (const [id, name] of this.reads.hsmNames()) {
      if (name !== id && message.includes(id)) message = message.split(id).join(`${name} (${id})`);
    }
    error.message = message;
    return error;
  }

  /**
   * Names of HSMs by id, for views: what the read models know, after a catch-up when one of `ids`
   * is not among them yet (an HSM registered a moment ago).
   */
  async hsmNamer(ids: Iterable<string> = []): Promise<(hsmId: string) => string> {
    let names = this.reads.hsmNames();
    if ([...ids].some((id) => !names.has(id))) {
      await this.reads.catchUp();
      names = this.reads.hsmNames();
    }
    return (id) => names.get(id) ?? id;
  }

  decideHsm(
    hsmId: string,
    command: hsm.HsmCommand,
    ctx: OpContext,
  ): Promise<Decided<hsm.HsmState, hsm.HsmEvent>> {
    return appendDecision(
      this.store,
      streamName('hsm', hsmId),
      hsm.hsmDecider,
      hsm.isHsmEvent,
      command,
      ctx,
      ctx.now(),
    );
  }

  decideKekDomain(
    id: string,
    command: kekDomain.KekDomainCommand,
    ctx: OpContext,
  ): Promise<Decided<kekDomain.KekDomainState, kekDomain.KekDomainEvent>> {
    return appendDecision(
      this.store,
      streamName('kekdomain', id),
      kekDomain.kekDomainDecider,
      kekDomain.isKekDomainEvent,
      command,
      ctx,
      ctx.now(),
    );
  }

  decideBlob(
    sha: string,
    command: blob.BlobCommand,
    ctx: OpContext,
  ): Promise<Decided<blob.BlobState, blob.BlobEvent>> {
    return appendDecision(
      this.store,
      streamName('blob', sha),
      blob.blobDecider,
      blob.isBlobEvent,
      command,
      ctx,
      ctx.now(),
    );
  }

  async kekDomainState(id: string): Promise<kekDomain.KekDomainState> {
    return (
      await foldStream(
        this.store,
        streamName('kekdomain', id),
        kekDomain.kekDomainDecider,
        kekDomain.isKekDomainEvent,
      )
    ).state;
  }

  /**
   * `null` when the blob stream was tombstoned: its key was destroyed before the hash chain (now a
   * destroyed key's blob stream ends with `BlobDestroyed`, status `destroyed`).
   */
  async blobState(sha: string): Promise<blob.BlobState | null> {
    try {
      return (await foldStream(this.store, streamName('blob', sha), blob.blobDecider, blob.isBlobEvent))
        .state;
    } catch (error) {
      if (error instanceof StreamDeleted) return null;
      throw error;
    }
  }

  /** The wrapped bytes of a stored blob. */
  async blobBytes(sha: string): Promise<Buffer> {
    const state = await this.blobState(sha);
    if (state?.status !== 'stored') {
      const destroyed = state === null || state.status === 'destroyed';
      throw new CustodyNotFound(`blob ${sha} is not stored${destroyed ? ' (destroyed)' : ''}`);
    }
    return Buffer.from(state.bytesBase64, 'base64');
  }

  /** Writes `blob-<sha>` before any completion names it (docs/architecture.md §4): bytes never live only in memory. */
  async storeBlob(
    keyId: string,
    bytes: Uint8Array,
    kind: 'raw' | 'transit',
    ctx: OpContext,
  ): Promise<{ sha256: string; fact: key.StoredBlobFact | null }> {
    const sha256 = sha256Hex(bytes);
    const { state } = await this.decideBlob(
      sha256,
      {
        type: 'StoreBlob',
        data: { sha256, keyId, bytesBase64: Buffer.from(bytes).toString('base64'), kind, at: ctx.now() },
      },
      ctx,
    );
    return { sha256, fact: blob.storedBlobFact(state) };
  }

  /**
   * Runs `fn` after every earlier `serialize` call for the same key has settled. On a ledger shared
   * by several instances (PostgreSQL) `fn` also holds the key's lock across all of them, taken after
   * this process's own queue, so one waiting session per key and instance at most.
   */
  serialize<T>(keyId: string, fn: () => Promise<T>): Promise<T> {
    const store = this.store;
    const run = holdsLocks(store) ? () => store.withLock(`key:${keyId}`, fn) : fn;
    const previous = this.locks.get(keyId) ?? Promise.resolve();
    const next = previous.then(run, run);
    const tail = next.catch(() => undefined);
    this.locks.set(keyId, tail);
    void tail.then(() => {
      if (this.locks.get(keyId) === tail) this.locks.delete(keyId);
    });
    return next;
  }
}
