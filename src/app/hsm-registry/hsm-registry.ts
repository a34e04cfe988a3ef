/**
 * One connected `Hsm` client per registered HSM: connected lazily with the PIN from the secret
 * store, dropped when its transport fails so the next use reconnects. Also resolves the `hsm`
 * strings the API takes (an id or a name) to the HSM's folded stream state.
 */
import { hsm as hsmDomain, streamName } from '../../domain';
import type { EventStore } from '../../event-store';
import { Hsm, type HsmError, User } from '../../hsm-adapter';
import { foldStream } from '../custody/append-decision';
import { CustodyInvalidInput, CustodyNotFound } from '../custody/custody.port';
import type { LedgerIndex } from '../custody/ledger-index';
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

  constructor(
    private readonly store: EventStore,
    readonly secrets: SecretStore,
    private readonly index: LedgerIndex,
    readonly connector: HsmConnector = defaultConnector,
  ) {}

  /** The folded state of `hsm-<id>` for an id or a name; `CustodyNotFound` when neither is registered. */
  async resolve(ref: string): Promise<hsmDomain.HsmState & { status: 'active' | 'decommissioned' }> {
    if (typeof ref !== 'string' || ref.trim() === '') throw new CustodyNotFound(`"hsm" expected an HSM id or name, got ${JSON.stringify(ref)}`);
    // An id, once registered, names the same HSM for good: only names (and unknown refs) need the
    // index to catch up with the ledger first.
    if (!this.index.hsmNameById.has(ref)) await this.index.catchUp();
    const id = this.index.hsmNameById.has(ref) ? ref : this.index.hsmIdByName.get(ref);
    if (id === undefined) {
      const known = [...this.index.hsmIdByName.keys()].sort().join(', ') || 'none';
      throw new CustodyNotFound(`HSM ${JSON.stringify(ref.slice(0, 80))} is not registered (registered: ${known})`);
    }
    const state = await this.state(id);
    if (state.status === 'absent') throw new CustodyNotFound(`HSM ${id} is not registered`);
    return state;
  }

  /** Like `resolve`, but refuses a decommissioned HSM. */
  async active(ref: string): Promise<ActiveHsm> {
    const state = await this.resolve(ref);
    if (state.status !== 'active') throw new hsmDomain.HsmIsDecommissioned(state.hsmId, state.at, `using ${state.name}`);
    return state;
  }

  async state(hsmId: string): Promise<hsmDomain.HsmState> {
    return (await foldStream(this.store, streamName('hsm', hsmId), hsmDomain.hsmDecider, hsmDomain.isHsmEvent)).state;
  }

  nameOf(hsmId: string): string {
    return this.index.hsmNameById.get(hsmId) ?? hsmId;
  }

  /** Keeps a client connected by `registerHsm` (it has just proved the PIN). */
  adopt(hsmId: string, client: Hsm): void {
    this.drop(hsmId);
    this.clients.set(hsmId, Promise.resolve(client));
  }

  /** Runs `fn` with the HSM's client; a broken connection is dropped (not retried: steps may not be idempotent). */
  async withHsm<T>(target: ActiveHsm, fn: (client: Hsm) => Promise<T>): Promise<T> {
    const client = await this.client(target);
    try {
      return await fn(client);
    } catch (error) {
      if (isTransportFailure(error)) this.drop(target.hsmId);
      throw error;
    }
  }

  drop(hsmId: string): void {
    const client = this.clients.get(hsmId);
    this.clients.delete(hsmId);
    void client?.then((c) => c.disconnect()).catch(() => undefined);
  }

  close(): void {
    for (const id of [...this.clients.keys()]) this.drop(id);
  }

  private client(target: ActiveHsm): Promise<Hsm> {
    let client = this.clients.get(target.hsmId);
    if (client === undefined) {
      const pin = this.secrets.pinFor(target.hsmId, target.name);
      if (pin === undefined) {
        return Promise.reject(
          new CustodyInvalidInput(`no PIN for ${target.name} in the local secret store (secrets.json or the environment)`),
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
