import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type { KeyledgerConfig } from '../app/config';
import { EVENT_STORE, KEYLEDGER_CONFIG } from '../app/tokens';
import type { EventStore } from '../event-store/event-store';
import { CUSTODY_PROJECTIONS } from '../projections/custody';
import { ProjectionRunner, openReadModelStore, type Doc, type ReadModelStore } from '../projections';

/** How long a query waits for the read models to catch up before answering from what they have. */
const CATCH_UP_MS = 5_000;

/**
 * The custody read models (src/projections/custody) fed from the ledger by a `ProjectionRunner`:
 * started on bootstrap, stopped on shutdown. A query first waits until the projections have seen
 * the ledger head as it was when the query came in, so a client reads its own writes; commands do
 * not wait (most requests never read a projection).
 */
@Injectable()
export class ReadSide implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('read-side');
  private readModels: ReadModelStore | undefined;
  private runner: ProjectionRunner | undefined;

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(KEYLEDGER_CONFIG) private readonly config: KeyledgerConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.readModels = openReadModelStore(this.config.dataDir);
    this.runner = new ProjectionRunner(this.store, this.readModels, CUSTODY_PROJECTIONS);
    this.runner.start();
    this.runner.done.catch((error: unknown) =>
      this.logger.error(`the custody projections stopped: ${(error as Error).message}`),
    );
  }

  async onApplicationShutdown(): Promise<void> {
    await this.runner?.stop();
    this.readModels?.close();
    this.runner = undefined;
    this.readModels = undefined;
  }

  /** Runs `read` on the read models once they include every event appended before this call. */
  async query<T>(read: () => T): Promise<T> {
    await this.catchUp();
    return read();
  }

  /** Resolves once the read models include every event appended so far (or after a bounded wait). */
  async catchUp(): Promise<void> {
    const runner = this.runner;
    if (runner === undefined) return;
    const head = await this.store.headPosition();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        this.logger.warn(`read models did not reach position ${head} within ${CATCH_UP_MS} ms`);
        resolve();
      }, CATCH_UP_MS);
    });
    try {
      await Promise.race([runner.waitFor(head).catch(() => undefined), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** A projection's doc by id (after `catchUp` for read-your-writes). */
  get(projection: string, id: string): Doc | undefined {
    return this.readModels?.get(projection, id);
  }

  all(projection: string): Doc[] {
    return this.readModels?.all(projection).map((d) => d.doc) ?? [];
  }

  position(): number {
    return this.runner?.position() ?? 0;
  }
}
