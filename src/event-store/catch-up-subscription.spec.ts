import { InvalidEventStoreArgument, LedgerUnavailable } from './errors';
import type { RecordedEvent } from './event-store';
import { CatchUpSubscription, type SubscriptionSource } from './catch-up-subscription';

/** The store side of a subscription, backed by an array. */
class ArraySource implements SubscriptionSource {
  readonly events: RecordedEvent[] = [];
  reads = 0;
  forgotten = 0;
  failure: Error | undefined;

  append(count: number): void {
    for (let i = 0; i < count; i++) {
      const position = this.events.length + 1;
      this.events.push({
        id: `id-${position}`,
        streamName: 's',
        revision: position - 1,
        position,
        type: 'T',
        data: {},
        metadata: {},
        recordedAt: '2026-01-01T00:00:00.000Z',
      });
    }
  }

  readAfter(after: number, limit: number): RecordedEvent[] {
    this.reads++;
    if (this.failure) throw this.failure;
    return this.events.filter((e) => e.position > after).slice(0, limit);
  }

  forget(): void {
    this.forgotten++;
  }
}

const turn = () => new Promise((resolve) => setImmediate(resolve));

async function take(iterator: AsyncIterator<RecordedEvent>, n: number): Promise<number[]> {
  const positions: number[] = [];
  for (let i = 0; i < n; i++) positions.push(((await iterator.next()).value as RecordedEvent).position);
  return positions;
}

let source: ArraySource;

beforeEach(() => {
  source = new ArraySource();
});

describe('given a history longer than one page', () => {
  it('delivers it all in order, reading page by page, then resolves caughtUp', async () => {
    source.append(2500);
    const subscription = new CatchUpSubscription(source, 0);
    const iterator = subscription[Symbol.asyncIterator]();
    expect(await take(iterator, 2500)).toEqual(source.events.map((e) => e.position));
    const next = iterator.next();
    await subscription.caughtUp;
    expect(source.reads).toBe(4); // three pages of at most 1000, then the empty one
    await subscription.close();
    expect(await next).toEqual({ done: true, value: undefined });
  });
});

describe('given a caught-up subscription', () => {
  it('does not read again until notified, then delivers the new events', async () => {
    const subscription = new CatchUpSubscription(source, 0);
    const iterator = subscription[Symbol.asyncIterator]();
    const next = take(iterator, 2);
    await subscription.caughtUp;
    for (let i = 0; i < 5; i++) await turn();
    expect(source.reads).toBe(1);
    source.append(2);
    subscription.notifyAppended();
    expect(await next).toEqual([1, 2]);
    await subscription.close();
  });
});

describe('given a subscription closed before it caught up', () => {
  it('rejects caughtUp, ends iteration and stops being notified', async () => {
    source.append(3);
    const subscription = new CatchUpSubscription(source, 0);
    const iterator = subscription[Symbol.asyncIterator]();
    expect(await take(iterator, 1)).toEqual([1]);
    await subscription.close();
    await expect(subscription.caughtUp).rejects.toBeInstanceOf(LedgerUnavailable);
    expect(await iterator.next()).toEqual({ done: true, value: undefined });
    expect(source.forgotten).toBe(1);
  });
});

describe('given a consumer that breaks out of its for-await loop', () => {
  it('closes the subscription', async () => {
    source.append(3);
    const subscription = new CatchUpSubscription(source, 0);
    for await (const e of subscription) if (e.position === 2) break;
    expect(source.forgotten).toBe(1);
  });
});

describe('given a read that fails while catching up', () => {
  it('throws the failure to the consumer and rejects caughtUp with it', async () => {
    source.failure = new LedgerUnavailable('ledger /x is corrupt');
    const subscription = new CatchUpSubscription(source, 0);
    await expect(subscription[Symbol.asyncIterator]().next()).rejects.toBe(source.failure);
    await expect(subscription.caughtUp).rejects.toBe(source.failure);
  });
});

describe('given a subscription already being iterated', () => {
  it('refuses a second iteration', async () => {
    const subscription = new CatchUpSubscription(source, 0);
    const first = subscription[Symbol.asyncIterator]();
    const pending = first.next();
    await expect(subscription[Symbol.asyncIterator]().next()).rejects.toBeInstanceOf(
      InvalidEventStoreArgument,
    );
    await subscription.close();
    expect(await pending).toEqual({ done: true, value: undefined });
  });
});

describe('given a store that reads asynchronously', () => {
  it('ends iteration when closed while a read is under way (no waiter left to wake)', async () => {
    let release!: (events: RecordedEvent[]) => void;
    const slow: SubscriptionSource = {
      readAfter: () => new Promise<RecordedEvent[]>((resolve) => (release = resolve)),
      forget: () => undefined,
    };
    const subscription = new CatchUpSubscription(slow, 0);
    const next = subscription[Symbol.asyncIterator]().next();
    await turn();
    const closed = subscription.close();
    release([]);
    await closed;
    await expect(next).resolves.toEqual({ done: true, value: undefined });
  });
});
