/**
 * One connected `Hsm` client per registered HSM: connected lazily with the PIN from the secret
 * store, dropped when its transport fails so the next use reconnects. Each client keeps open
 * handles to the RSA/EC keys it signs with (`KeyHandles`); they go with it, and every PKEY_DELETE
 * by name goes through `deleteKey`, which closes the kept handle first. Also resolves the `hsm`
 * strings the API takes (an id or a name) to the HSM's folded stream state.
 */
import { hsm as hsmDomain, streamName } from '../../domain';
import type { EventStore } from '../../event-store';
import { Hsm, type HsmError, User } from '../../hsm-adapter';
import { foldStream } from '../custody/append-decision';
import { CustodyInvalidInput, CustodyNotFound } from '../custody/errors';
import { deleteByName } from '../custody/hsm-calls';
import { KeyHandles } from '../custody/key-handles';
import type { ReadSide } from '../read-side/read-side';
import type { SecretStore } from '../secrets/secret-store';

export type ActiveHsm = Extract<hsmDomain.HsmState, { status: 'active' }>;

export interface HsmConnectOptions {
  readonly endpoint: string;
  readonly pin: string;
}

export type HsmConnector = (options: HsmConnectOptions) => Promise<Hsm>;

export const defaultConnector: HsmConnector = ({ endpoint, pin }) =>
  Hsm.connect({ endpoint, pin, user: User.NORMAL, poolSize: 3 });

export function isTransportFailure(error: unknown): boolean {
  const kind = (error as Partial<HsmError> | null)?.kind;
  return kind === 'transport' || kind === 'protocol';
}

export class HsmRegistry {
  private readonly clients = new Map<string, Promise<Hsm>>();
  private readonly keyHandles = new WeakMap<Hsm, KeyHandles>();

  constructor(
    private readonly store: EventStore,
    readonly secrets: SecretStore,
    private readonly reads: ReadSide,
    readonly connector: HsmConnector = defaultConnector,
  ) {}

  /** The folded state of `hsm-<id>` for an id or a name; `CustodyNotFound` when neither is registered. */
  async resolve(ref: string): Promise<hsmDomain.HsmState & { status: 'active' | 'decommissioned' }> {
    const id = await this.reads.requireHsmId(ref);
    const state = await this.state(id);
    if (state.status === 'absent') throw new CustodyNotFound(`HSM ${id} is not registered`);
    return state;
  }

  /** Like `resolve`, but refuses a decommissioned HSM. */
  async active(ref: string): Promise<ActiveHsm> {
    const state = await this.resolve(ref);
    if (state.status !== 'active')
      throw new hsmDomain.HsmIsDecommissioned(state.hsmId, state.at, `using ${state.name}`);
    return state;
  }

  async state(hsmId: string): Promise<hsmDomain.HsmState> {
    return (
      await foldStream(this.store, streamName('hsm', hsmId), hsmDomain.hsmDecider, hsmDomain.isHsmEvent)
    ).state;
  }

  /** Keeps a client connected by `registerHsm` (it has just proved the PIN). */
  adopt(hsmId: string, client: Hsm): void {
    void this.drop(hsmId);
    this.clients.set(hsmId, Promise.resolve(client));
  }

  /** Runs `fn` with the HSM's client; a broken connection is dropped (not retried: steps may not be idempotent). */
  async withHsm<T>(target: ActiveHsm, fn: (client: Hsm) => Promise<T>): Promise<T> {
    const client = await this.client(target);
    try {
      return await fn(client);
    } catch (error) {
      if (isTransportFailure(error)) void this.drop(target.hsmId);
      throw error;
    }
  }

  /**
   * Runs `fn` with a handle to the key `name` that stays open for the next call (RSA/EC signing,
   * see `KeyHandles.use`); null when the HSM has no such key.
   */
  withKeyHandle<T>(
    target: ActiveHsm,
    name: string,
    publicKey: Buffer,
    fn: (client: Hsm, handle: number) => Promise<T>,
  ): Promise<{ value: T } | null> {
    return this.withHsm(target, (client) =>
      this.handlesOf(client).use(name, publicKey, (handle) => fn(client, handle)),
    );
  }

  /** PKEY_DELETE by name, after closing the handle kept to it; false if the HSM had no such key. */
  deleteKey(target: ActiveHsm, name: string): Promise<boolean> {
    return this.withHsm(target, async (client) => {
      await this.handlesOf(client).forget(name);
      return deleteByName(client, name);
    });
  }

  /** Closes the handle kept to `name`, if any (e.g. reconcile found the key missing). */
  forgetKey(target: ActiveHsm, name: string): Promise<void> {
    return this.withHsm(target, (client) => this.handlesOf(client).forget(name));
  }

  /** Forgets the client; its kept handles are closed through it (where still its own) before it disconnects. */
  async drop(hsmId: string): Promise<void> {
    const client = this.clients.get(hsmId);
    this.clients.delete(hsmId);
    const c = await client?.catch(() => undefined);
    if (c === undefined) return;
    await this.keyHandles
      .get(c)
      ?.dispose()
      .catch(() => undefined);
    c.disconnect();
  }

  async close(): Promise<void> {
    await Promise.all([...this.clients.keys()].map((id) => this.drop(id)));
  }

  /** Nest: closes the kept key handles and the HSM connections (the ledger is closed by LedgerModule). */
  onApplicationShutdown(): Promise<void> {
    return this.close();
  }

  private handlesOf(client: Hsm): KeyHandles {
    let handles = this.keyHandles.get(client);
    if (handles === undefined) this.keyHandles.set(client, (handles = new KeyHandles(client)));
    return handles;
  }

  private client(target: ActiveHsm): Promise<Hsm> {
    let client = this.clients.get(target.hsmId);
    if (client === undefined) {
      const pin = this.secrets.pinFor(target.hsmId, target.name);
      if (pin === undefined) {
        return Promise.reject(
          new CustodyInvalidInput(
            `no PIN for ${target.name} in the local secret store (secrets.json or the environment)`,
          ),
        );
      }
      client = this.connector({ endpoint: target.endpoint, pin });
      this.clients.set(target.hsmId, client);
      // A failed connect is not cached: the next use tries again.
      client.catch(() => {
        if (this.clients.get(target.hsmId) === client) this.clients.delete(target.hsmId);
      });
    }
    return client;
  }
}
