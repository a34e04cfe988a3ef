/**
 * The read side's questions (docs/architecture.md §1), as @nestjs/cqrs queries on the QueryBus:
 * answered from the custody projections after a catch-up (a client reads its own writes), and
 * rendered by the same view functions the write side uses. Two reads go to the ledger itself,
 * because the ledger is their read model: a key's event list, and a blob's bytes.
 */
import { Inject } from '@nestjs/common';
import { IQueryHandler, Query, QueryHandler } from '@nestjs/cqrs';
import { streamName } from '../../domain';
import type { KeyCatalogDoc } from '../../projections/custody';
import { ReadSide } from '../read-side/read-side';
import { getBlob } from './blobs';
import { CustodyCore } from './custody-core';
import { CustodyNotFound } from './errors';
import {
  hsmView,
  kekDomainView,
  keyView,
  type BlobView,
  type HsmView,
  type KekDomainView,
  type KeyView,
} from './views';

export interface KeyEventView {
  /** `key-<keyId>`, or `approval-<id>` for the approval requests that name the key. */
  readonly stream: string;
  readonly type: string;
  readonly revision: number;
  readonly position: number;
  readonly data: unknown;
  readonly metadata: unknown;
}

export interface ResidencyView {
  readonly hsmId: string;
  readonly hsm: string;
  readonly count: number;
  readonly keys: Record<
    string,
    { hsmKeyName: string; copyId: string; status: 'live' | 'disabled'; since: string }
  >;
}

export class ListHsmsQuery extends Query<HsmView[]> {}
export class GetHsmQuery extends Query<HsmView> {
  constructor(readonly hsm: string) {
    super();
  }
}
/** The keys an HSM holds, from the residency read model (live, or disabled awaiting deletion). */
export class HsmResidencyQuery extends Query<ResidencyView> {
  constructor(readonly hsm: string) {
    super();
  }
}
export class ListKekDomainsQuery extends Query<KekDomainView[]> {}
export class GetKekDomainQuery extends Query<KekDomainView> {
  constructor(readonly kekDomain: string) {
    super();
  }
}
export class ListKeysQuery extends Query<KeyView[]> {}
export class GetKeyQuery extends Query<KeyView> {
  constructor(readonly keyId: string) {
    super();
  }
}
export class KeyEventsQuery extends Query<KeyEventView[]> {
  constructor(readonly keyId: string) {
    super();
  }
}
export class GetBlobQuery extends Query<BlobView> {
  constructor(readonly sha256: string) {
    super();
  }
}

abstract class ReadHandler {
  constructor(@Inject(ReadSide) protected readonly reads: ReadSide) {}

  protected async hsmViewOf(hsmId: string): Promise<HsmView> {
    const doc = this.reads.hsm(hsmId);
    if (doc === undefined) throw new CustodyNotFound(`HSM ${hsmId} is not registered`);
    return hsmView(doc, this.reads.residency(hsmId).count);
  }
}

@QueryHandler(ListHsmsQuery)
export class ListHsmsHandler extends ReadHandler implements IQueryHandler<ListHsmsQuery> {
  async execute(): Promise<HsmView[]> {
    await this.reads.catchUp();
    const docs = this.reads
      .hsms()
      .sort((a, b) => a.registered.at.localeCompare(b.registered.at) || a.hsmId.localeCompare(b.hsmId));
    return Promise.all(docs.map((d) => this.hsmViewOf(d.hsmId)));
  }
}

@QueryHandler(GetHsmQuery)
export class GetHsmHandler extends ReadHandler implements IQueryHandler<GetHsmQuery> {
  async execute(q: GetHsmQuery): Promise<HsmView> {
    const hsmId = await this.reads.requireHsmId(q.hsm);
    await this.reads.catchUp();
    return this.hsmViewOf(hsmId);
  }
}

@QueryHandler(HsmResidencyQuery)
export class HsmResidencyHandler extends ReadHandler implements IQueryHandler<HsmResidencyQuery> {
  async execute(q: HsmResidencyQuery): Promise<ResidencyView> {
    const hsmId = await this.reads.requireHsmId(q.hsm);
    await this.reads.catchUp();
    const { name } = await this.hsmViewOf(hsmId);
    const doc = this.reads.residency(hsmId);
    const keys = Object.fromEntries(
      Object.entries(doc.keys).map(([keyId, r]) => [
        keyId,
        { hsmKeyName: r.hsmKeyName, copyId: r.copyId, status: r.status, since: r.since },
      ]),
    );
    return { hsmId, hsm: name, count: doc.count, keys };
  }
}

@QueryHandler(ListKekDomainsQuery)
export class ListKekDomainsHandler extends ReadHandler implements IQueryHandler<ListKekDomainsQuery> {
  async execute(): Promise<KekDomainView[]> {
    await this.reads.catchUp();
    return this.reads
      .kekDomains()
      .flatMap((d) => (d.state.status === 'absent' ? [] : [d.state]))
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.name.localeCompare(b.name))
      .map(kekDomainView);
  }
}

@QueryHandler(GetKekDomainQuery)
export class GetKekDomainHandler extends ReadHandler implements IQueryHandler<GetKekDomainQuery> {
  async execute(q: GetKekDomainQuery): Promise<KekDomainView> {
    const id = await this.reads.kekDomainIdOf(q.kekDomain);
    const state = id === undefined ? undefined : this.reads.kekDomain(id)?.state;
    if (state === undefined || state.status === 'absent')
      throw new CustodyNotFound(
        `KEK domain ${JSON.stringify(String(q.kekDomain).slice(0, 80))} does not exist`,
      );
    return kekDomainView(state);
  }
}

/**
 * Views rendered from key catalog docs. A doc is immutable (the read models replace it on change)
 * and HSM names are permanent, so its view is rendered once; a view naming an HSM the read models
 * did not know yet is not kept.
 */
const renderedViews = new WeakMap<KeyCatalogDoc, KeyView>();

function catalogView(doc: KeyCatalogDoc, names: ReadonlyMap<string, string>): KeyView | undefined {
  const kept = renderedViews.get(doc);
  if (kept !== undefined) return kept;
  if (doc.custody.status === 'absent') return undefined;
  let complete = true;
  const view = keyView(doc.custody, doc.facts, (id) => {
    const name = names.get(id);
    if (name === undefined) complete = false;
    return name ?? id;
  });
  if (complete) renderedViews.set(doc, view);
  return view;
}

@QueryHandler(ListKeysQuery)
export class ListKeysHandler extends ReadHandler implements IQueryHandler<ListKeysQuery> {
  async execute(): Promise<KeyView[]> {
    await this.reads.catchUp();
    const names = this.reads.hsmNames();
    return this.reads
      .keys()
      .sort((a, b) => a.firstPosition - b.firstPosition)
      .flatMap((d) => catalogView(d, names) ?? []);
  }
}

@QueryHandler(GetKeyQuery)
export class GetKeyHandler extends ReadHandler implements IQueryHandler<GetKeyQuery> {
  async execute(q: GetKeyQuery): Promise<KeyView> {
    await this.reads.catchUp();
    const doc = this.reads.key(q.keyId);
    const view = doc === undefined ? undefined : catalogView(doc, this.reads.hsmNames());
    if (view === undefined) throw new CustodyNotFound(`key ${q.keyId} is not in the ledger`);
    return view;
  }
}

@QueryHandler(KeyEventsQuery)
export class KeyEventsHandler implements IQueryHandler<KeyEventsQuery> {
  constructor(@Inject(CustodyCore) private readonly core: CustodyCore) {}

  /**
   * The key's stream, with the events of every approval request that names the key merged in
   * ledger order: who asked, who approved, who ran it, beside what it did to the key.
   */
  async execute(q: KeyEventsQuery): Promise<KeyEventView[]> {
    const { events } = await this.core.loadKey(q.keyId);
    await this.core.reads.catchUp();
    const approvals = await Promise.all(
      this.core.reads
        .approvalsForKey(q.keyId)
        .map((a) => this.core.store.readStream(streamName('approval', a.approvalId))),
    );
    return [...events, ...approvals.flat()]
      .sort((a, b) => a.position - b.position)
      .map((e) => ({
        stream: e.streamName,
        type: e.type,
        revision: e.revision,
        position: e.position,
        data: e.data,
        metadata: e.metadata,
      }));
  }
}

@QueryHandler(GetBlobQuery)
export class GetBlobHandler implements IQueryHandler<GetBlobQuery> {
  constructor(@Inject(CustodyCore) private readonly core: CustodyCore) {}

  execute(q: GetBlobQuery): Promise<BlobView> {
    return getBlob(this.core, q.sha256);
  }
}

export const CUSTODY_QUERY_HANDLERS = [
  ListHsmsHandler,
  GetHsmHandler,
  HsmResidencyHandler,
  ListKekDomainsHandler,
  GetKekDomainHandler,
  ListKeysHandler,
  GetKeyHandler,
  KeyEventsHandler,
  GetBlobHandler,
];
