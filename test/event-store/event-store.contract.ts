import type { EventStore } from '../../src/event-store';
import { appendContract } from './contract/appends';
import { concurrencyContract } from './contract/concurrency';
import type { ContractOptions } from './contract/helpers';
import { readContract } from './contract/reads';
import { subscriptionContract } from './contract/subscriptions';
import { tombstoneContract } from './contract/tombstones';

export interface EventStoreFixture {
  store: EventStore;
  /** Closes the store (a second `close()` must be harmless) and removes what the factory created. */
  cleanup(): Promise<void>;
}

export type { ContractOptions };

/**
 * The behaviour every `EventStore` must have. `factory` must return a new, empty store for each
 * test: positions are asserted from 1. `options` says what the store adds to what it is given.
 */
export function describeEventStoreContract(
  name: string,
  factory: () => Promise<EventStoreFixture>,
  options: ContractOptions = {},
): void {
  describe(`${name} event store contract`, () => {
    let fixture: EventStoreFixture | undefined;
    const store = (): EventStore => {
      if (fixture === undefined) throw new Error('no store: the factory failed');
      return fixture.store;
    };

    beforeEach(async () => {
      fixture = await factory();
    });

    afterEach(async () => {
      await fixture?.cleanup();
      fixture = undefined;
    });

    appendContract(store, options);
    readContract(store);
    tombstoneContract(store);
    subscriptionContract(store);
    concurrencyContract(store);
  });
}
