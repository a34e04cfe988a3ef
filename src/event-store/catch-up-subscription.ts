import { InvalidEventStoreArgument, LedgerUnavailable } from './errors';
import type { AllSubscription, RecordedEvent } from './event-store';

/** Events read per query while catching up; delivery to the consumer is still one at a time. */
const PAGE_SIZE = 1000;

export interface SubscriptionSource {
  /**
   * Up to `limit` events with position > `after`, in global order. The store must never let a
   * reader see a position before every smaller one is visible (no gaps): the subscription trusts
   * the last position it delivered.
   */
  readAfter(after: number, limit: number): RecordedEvent[] | Promise<RecordedEvent[]>;
  /** The subscription closed: stop notifying it. */
  forget(subscription: CatchUpSubscription): void;
}

/**
 * Catch-up subscription of every store, pull-on-notify: read pages after the last delivered position; on an empty
 * page, wait for the store's "appended" notification (or close) and read again. History and live
 * events come from the same query, so there is no gap and no duplicate at the switch.
 */
export class CatchUpSubscription implements AllSubscription {
  readonly caughtUp: Promise<void>;
  private settleCaughtUp!: (error?: Error) => void;
  private isCaughtUp = false;
  private closed = false;
  private iterated = false;
  /** Set by every notification, so one that arrives while a page is being delivered is not lost. */
  private appended = false;
  private wake: (() => void) | undefined;

  constructor(
    private readonly source: SubscriptionSource,
    private position: number,
  ) {
    this.caughtUp = new Promise<void>((resolve, reject) => {
      this.settleCaughtUp = (error) => (error ? reject(error) : resolve());
    });
    // Nobody has to await caughtUp; a close before catching up must not be an unhandled rejection.
    this.caughtUp.catch(() => undefined);
  }

  /** Called by the store after every commit. */
  notifyAppended(): void {
    this.appended = true;
    this.wake?.();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.source.forget(this);
    if (!this.isCaughtUp)
      this.settleCaughtUp(new LedgerUnavailable('subscription was closed before it caught up'));
    this.wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<RecordedEvent> {
    if (this.iterated) throw new InvalidEventStoreArgument('a subscription can be iterated only once');
    this.iterated = true;
    try {
      while (!this.closed) {
        this.appended = false;
        const page = await this.source.readAfter(this.position, PAGE_SIZE);
        if (page.length === 0) {
          this.isCaughtUp = true;
          this.settleCaughtUp();
          // A close() while an asynchronous read was under way found no waiter to wake.
          if (this.closed) return;
          if (!this.appended) await new Promise<void>((resolve) => (this.wake = resolve));
          this.wake = undefined;
          continue;
        }
        for (const event of page) {
          if (this.closed) return;
          this.position = event.position;
          yield event;
        }
      }
    } catch (err) {
      if (!this.isCaughtUp) this.settleCaughtUp(err as Error);
      throw err;
    } finally {
      await this.close();
    }
  }
}
