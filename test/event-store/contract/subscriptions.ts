import type { RecordedEvent } from '../../../src/event-store';
import { within } from '../../support/within';
import { appendInOrder, ascending, event, events, readEverything, type StoreUnderTest } from './helpers';

/** The next `n` events of a subscription; fails if it ends first. */
async function take(iterator: AsyncIterator<RecordedEvent>, n: number): Promise<RecordedEvent[]> {
  const taken: RecordedEvent[] = [];
  while (taken.length < n) {
    const next = await iterator.next();
    if (next.done) throw new Error(`subscription ended after ${taken.length} of ${n} events`);
    taken.push(next.value);
  }
  return taken;
}

async function drain(subscription: AsyncIterable<RecordedEvent>): Promise<number[]> {
  const positions: number[] = [];
  for await (const e of subscription) positions.push(e.position);
  return positions;
}

const positions = (read: RecordedEvent[]) => read.map((e) => e.position);

export function subscriptionContract(store: StoreUnderTest): void {
  describe('given history and a subscription from the start', () => {
    beforeEach(async () => {
      await appendInOrder(store(), [
        ['key-a', { i: 1 }],
        ['key-b', { i: 2 }],
        ['key-a', { i: 3 }],
      ]);
    });

    it('delivers the history, resolves caughtUp, then delivers live events in order', async () => {
      const subscription = store().subscribeToAll();
      const iterator = subscription[Symbol.asyncIterator]();
      const history = await within(5000, 'history', take(iterator, 3));
      const live = take(iterator, 2);
      await within(5000, 'caughtUp', subscription.caughtUp);
      await appendInOrder(store(), [
        ['key-c', { i: 4 }],
        ['key-a', { i: 5 }],
      ]);
      const delivered = [...history, ...(await within(5000, 'live events', live))];
      expect(delivered.map((e) => [e.position, e.streamName, e.data])).toEqual([
        [1, 'key-a', { i: 1 }],
        [2, 'key-b', { i: 2 }],
        [3, 'key-a', { i: 3 }],
        [4, 'key-c', { i: 4 }],
        [5, 'key-a', { i: 5 }],
      ]);
      await subscription.close();
      expect(await iterator.next()).toEqual({ done: true, value: undefined });
    });

    it('ends iteration after close(), having delivered the history', async () => {
      const subscription = store().subscribeToAll();
      const delivered = drain(subscription);
      await within(5000, 'caughtUp', subscription.caughtUp);
      await subscription.close();
      expect(await within(5000, 'iteration to end', delivered)).toEqual([1, 2, 3]);
    });

    it('ends iteration when the store is closed', async () => {
      const subscription = store().subscribeToAll();
      const delivered = drain(subscription);
      await within(5000, 'caughtUp', subscription.caughtUp);
      await store().close();
      expect(await within(5000, 'iteration to end', delivered)).toEqual([1, 2, 3]);
    });
  });

  describe('given an empty store and a subscription', () => {
    it('resolves caughtUp and then delivers what is appended', async () => {
      const subscription = store().subscribeToAll();
      const live = take(subscription[Symbol.asyncIterator](), 2);
      await within(5000, 'caughtUp', subscription.caughtUp);
      await store().append('key-1', events(2));
      expect(positions(await within(5000, 'live events', live))).toEqual([1, 2]);
      await subscription.close();
    });
  });

  describe('given a subscription from a middle position', () => {
    it('delivers only the events after that position, then live ones', async () => {
      await store().append('key-1', events(5));
      const subscription = store().subscribeToAll({ fromPosition: 3 });
      const iterator = subscription[Symbol.asyncIterator]();
      const history = await within(5000, 'history', take(iterator, 2));
      const live = take(iterator, 1);
      await within(5000, 'caughtUp', subscription.caughtUp);
      await store().append('key-2', [event('Late')]);
      const delivered = [...history, ...(await within(5000, 'live event', live))];
      expect(delivered.map((e) => [e.position, e.streamName, e.revision])).toEqual([
        [4, 'key-1', 3],
        [5, 'key-1', 4],
        [6, 'key-2', 0],
      ]);
      await subscription.close();
    });
  });

  describe('given appends running while a subscription catches up on a long history', () => {
    const HISTORY = 2500;
    const WRITERS = 10;
    const EACH = 100;
    const LIVE = WRITERS * EACH;
    const pause = () => new Promise((resolve) => setTimeout(resolve, 1));

    it('delivers every event exactly once, in strictly increasing position order', async () => {
      for (let i = 0; i < HISTORY / 100; i++) await store().append(`old-${i % 5}`, events(100, 'Old'));
      const subscription = store().subscribeToAll();
      const delivered: RecordedEvent[] = [];
      let acks = 0;
      let deliveredAtFirstAck = -1;
      let acksAtCaughtUp = -1;
      void subscription.caughtUp.then(() => (acksAtCaughtUp = acks));
      const consumer = (async () => {
        for await (const e of subscription) {
          delivered.push(e);
          if (delivered.length === HISTORY + LIVE) break;
          // Like a projection writing its read model: gives the writers turns during the catch-up.
          if (delivered.length % 100 === 0) await pause();
        }
      })();
      const acknowledged = await Promise.all(
        ascending(WRITERS).map(async (w) => {
          const mine: number[] = [];
          for (let i = 0; i < EACH; i++) {
            mine.push((await store().append(`new-${w}`, [event('New', { w, i })])).position);
            if (acks++ === 0) deliveredAtFirstAck = delivered.length;
          }
          return mine;
        }),
      );
      await within(20000, 'subscription to deliver every event', consumer);

      // The race really happened: appends landed mid-catch-up, and the switch to live came while they went on.
      expect(deliveredAtFirstAck).toBeLessThan(HISTORY);
      expect(acksAtCaughtUp).toBeGreaterThan(0);
      expect(acksAtCaughtUp).toBeLessThan(LIVE);

      const order = positions(delivered);
      expect(order).toHaveLength(HISTORY + LIVE);
      expect(order.every((p, i) => i === 0 || p > order[i - 1])).toBe(true);
      expect(order.slice(HISTORY)).toEqual(acknowledged.flat().sort((a, b) => a - b));
      const all = await readEverything(store());
      expect(delivered.map((e) => [e.position, e.id])).toEqual(all.map((e) => [e.position, e.id]));
    });
  });
}
