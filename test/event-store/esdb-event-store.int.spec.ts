import { randomUUID } from 'node:crypto';
import * as net from 'node:net';
import { StreamDeletedError, UnavailableError, WrongExpectedVersionError } from '@eventstore/db-client';
import {
  LedgerUnavailable,
  StreamDeleted,
  WrongExpectedRevision,
  type AllSubscription,
  type AppendOptions,
  type AppendResult,
  type EventData,
  type EventStore,
  type ReadAllOptions,
  type ReadStreamOptions,
  type RecordedEvent,
  type SubscribeToAllOptions,
} from '../../src/event-store';
import {
  openEsdbEventStore,
  translateEsdbError,
  type EsdbEventStore,
} from '../../src/event-store/esdb-event-store';
import { chainedEventStore } from '../../src/event-store/chained-event-store';
import { within } from '../support/within';
import { describeEventStoreContract } from './event-store.contract';

/** `KEYLEDGER_EVENTSTORE` selects the ledger at run time; only an esdb:// value names a server. */
function serverUrl(): string | undefined {
  const selected = process.env.KEYLEDGER_EVENTSTORE;
  if (selected?.startsWith('esdb')) return selected;
  return process.env.KEYLEDGER_ESDB_URL || undefined;
}

/**
 * The contract suite wants a new, empty store per test with positions 1, 2, 3, ... An EventStoreDB
 * server is shared and its positions are byte offsets in one log. So each test gets its own stream
 * namespace (nothing to clean up on the server), and this adapter renumbers the namespace's
 * positions densely in log order. It only renames positions: a lost, duplicated or reordered event
 * still shows, because ordinals come from the store's own readAll.
 */
class DensePositions implements EventStore {
  readonly kind: string;
  /** Server positions of the namespace's events, ascending; ordinal n is raw[n - 1]. */
  private readonly raw: number[] = [];
  private refreshing: Promise<void> = Promise.resolve();

  constructor(
    private readonly inner: EsdbEventStore,
    /** Server position before this namespace's first event. */
    private readonly baseline: number,
  ) {
    this.kind = inner.kind;
  }

  async append(stream: string, events: readonly EventData[], options?: AppendOptions): Promise<AppendResult> {
    const result = await this.inner.append(stream, events, options);
    return { ...result, position: await this.toDense(result.position) };
  }

  async readStream(stream: string, options?: ReadStreamOptions): Promise<RecordedEvent[]> {
    return this.densify(await this.inner.readStream(stream, options));
  }

  async readAll(options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    const fromPosition = await this.toRaw(options.fromPosition ?? 0);
    return this.densify(await this.inner.readAll({ ...options, fromPosition }));
  }

  async headPosition(): Promise<number> {
    const head = await this.inner.headPosition();
    return head <= this.baseline ? 0 : this.toDense(head);
  }

  subscribeToAll(options: SubscribeToAllOptions = {}): AllSubscription {
    const inner = this.toRaw(options.fromPosition ?? 0).then((fromPosition) =>
      this.inner.subscribeToAll({ fromPosition }),
    );
    const toDense = (position: number) => this.toDense(position);
    return {
      caughtUp: inner.then((s) => s.caughtUp),
      close: () => inner.then((s) => s.close()),
      async *[Symbol.asyncIterator]() {
        for await (const e of await inner) yield { ...e, position: await toDense(e.position) };
      },
    };
  }

  tombstone(stream: string, options?: AppendOptions): Promise<void> {
    return this.inner.tombstone(stream, options);
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  private async densify(events: RecordedEvent[]): Promise<RecordedEvent[]> {
    const out: RecordedEvent[] = [];
    for (const e of events) out.push({ ...e, position: await this.toDense(e.position) });
    return out;
  }

  private async toDense(raw: number): Promise<number> {
    let i = this.indexOf(raw);
    if (i < 0) {
      await this.refresh();
      i = this.indexOf(raw);
    }
    if (i < 0) throw new Error(`position ${raw} is not the position of any event readAll returns`);
    return i + 1;
  }

  private async toRaw(dense: number): Promise<number> {
    if (dense === 0) return this.baseline;
    if (dense > this.raw.length) await this.refresh();
    if (dense > this.raw.length)
      throw new Error(`position ${dense} is beyond the ${this.raw.length} events in the store`);
    return this.raw[dense - 1];
  }

  /** Learns the positions appended since the last refresh; serialised so none is recorded twice. */
  private refresh(): Promise<void> {
    this.refreshing = this.refreshing.then(async () => {
      for (;;) {
        const page = await this.inner.readAll({
          fromPosition: this.raw.at(-1) ?? this.baseline,
          maxCount: 1000,
        });
        if (page.length === 0) return;
        this.raw.push(...page.map((e) => e.position));
      }
    });
    return this.refreshing;
  }

  private indexOf(raw: number): number {
    let lo = 0;
    let hi = this.raw.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.raw[mid] === raw) return mid;
      if (this.raw[mid] < raw) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }
}

const url = serverUrl();

if (url !== undefined) {
  const run = `kl-${Date.now().toString(36)}-${randomUUID().slice(0, 8)}`;
  let tests = 0;

  describeEventStoreContract('EventStoreDB', async () => {
    const plain = openEsdbEventStore(url);
    const baseline = await plain.headPosition();
    await plain.close();
    const store = openEsdbEventStore(url, { namespace: `${run}-${++tests}-` });
    return { store: new DensePositions(store, baseline), cleanup: () => store.close() };
  });

  // What the service runs on EventStoreDB: the store behind the hash chain's decorator.
  describeEventStoreContract(
    'chainedEventStore(EventStoreDB)',
    async () => {
      const plain = openEsdbEventStore(url);
      const baseline = await plain.headPosition();
      await plain.close();
      const store = openEsdbEventStore(url, { namespace: `${run}-${++tests}-` });
      return { store: chainedEventStore(new DensePositions(store, baseline)), cleanup: () => store.close() };
    },
    { chained: true },
  );
} else {
  describe('EventStoreDB contract suite', () => {
    it('is skipped without a server, saying so; the client boundary still translates real client errors', () => {
      console.warn(
        'EventStoreDB contract suite skipped: set KEYLEDGER_EVENTSTORE=esdb://host:2113?tls=false to run it',
      );
      const conflict = new WrongExpectedVersionError(undefined, {
        streamName: 'key-1',
        expected: 1n,
        current: 'no_stream',
      });
      const ours = translateEsdbError(conflict);
      expect(ours).toBeInstanceOf(WrongExpectedRevision);
      expect(ours).toMatchObject({ stream: 'key-1', expected: 1, actual: -1 });
      const deleted = translateEsdbError(StreamDeletedError.fromStreamName('blob-1'));
      expect(deleted).toBeInstanceOf(StreamDeleted);
      expect(deleted).toMatchObject({ stream: 'blob-1' });
      const down = new UnavailableError();
      expect(translateEsdbError(down)).toBeInstanceOf(LedgerUnavailable);
      expect(translateEsdbError(down).cause).toBe(down);
    });
  });
}

describe('EsdbEventStore against an address where nothing listens', () => {
  const DEADLINE = 1000;
  let store: EsdbEventStore;

  beforeEach(() => {
    store = openEsdbEventStore('esdb://127.0.0.1:1?tls=false', { deadlineMs: DEADLINE });
  });
  afterEach(() => store.close());

  it.each<[string, (s: EventStore) => Promise<unknown>]>([
    ['append', (s) => s.append('key-1', [{ type: 'KeyGenerated', data: {} }])],
    ['readStream', (s) => s.readStream('key-1')],
    ['readAll', (s) => s.readAll()],
    ['headPosition', (s) => s.headPosition()],
    ['tombstone', (s) => s.tombstone('blob-1')],
  ])('fails %s with LedgerUnavailable, promptly', async (_label, call) => {
    const started = Date.now();
    const failure = await within(
      DEADLINE + 3000,
      'the call to fail',
      call(store).then(
        () => undefined,
        (e: unknown) => e,
      ),
    );
    expect(failure).toBeInstanceOf(LedgerUnavailable);
    expect((failure as Error).message).toMatch(/^EventStoreDB /);
    expect(Date.now() - started).toBeLessThan(DEADLINE + 3000);
  });

  it('ends a subscription with LedgerUnavailable and rejects its caughtUp', async () => {
    const subscription = store.subscribeToAll();
    const caughtUp = subscription.caughtUp.then(
      () => 'resolved',
      (e: unknown) => e,
    );
    const iteration = (async () => {
      for await (const e of subscription) return e;
      return 'ended';
    })().catch((e: unknown) => e);
    expect(await within(DEADLINE + 3000, 'the subscription to fail', iteration)).toBeInstanceOf(
      LedgerUnavailable,
    );
    expect(await within(DEADLINE + 3000, 'caughtUp to settle', caughtUp)).toBeInstanceOf(LedgerUnavailable);
  });
});

describe('EsdbEventStore against a server that accepts connections but never answers', () => {
  // Client 6.2.1 sends its first request (server features) without a deadline: without the store's
  // own bound every call here would hang forever.
  const DEADLINE = 700;
  const sockets = new Set<net.Socket>();
  const silent = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  let port = 0;

  beforeAll(async () => {
    await new Promise<void>((listening) => silent.listen(0, '127.0.0.1', listening));
    port = (silent.address() as net.AddressInfo).port;
  });
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((closed) => silent.close(closed));
  });

  it('fails an append with LedgerUnavailable at the deadline, not before and not much after', async () => {
    const store = openEsdbEventStore(`esdb://127.0.0.1:${port}?tls=false`, { deadlineMs: DEADLINE });
    try {
      const started = Date.now();
      const append = store.append('key-1', [{ type: 'KeyGenerated', data: {} }]);
      await expect(within(DEADLINE + 3000, 'the append to fail', append)).rejects.toThrow(
        `EventStoreDB did not complete an append to "key-1" within ${DEADLINE} ms`,
      );
      await expect(append).rejects.toBeInstanceOf(LedgerUnavailable);
      const elapsed = Date.now() - started;
      expect(elapsed).toBeGreaterThanOrEqual(DEADLINE - 50);
      expect(elapsed).toBeLessThan(DEADLINE + 2000);
      expect(sockets.size).toBeGreaterThan(0); // the client really connected and was left waiting
    } finally {
      await store.close();
    }
  });

  it('fails a subscription with LedgerUnavailable instead of waiting forever to catch up', async () => {
    const store = openEsdbEventStore(`esdb://127.0.0.1:${port}?tls=false`, { deadlineMs: DEADLINE });
    try {
      const subscription = store.subscribeToAll();
      await expect(
        within(DEADLINE + 3000, 'caughtUp to settle', subscription.caughtUp),
      ).rejects.toBeInstanceOf(LedgerUnavailable);
    } finally {
      await store.close();
    }
  });
});
