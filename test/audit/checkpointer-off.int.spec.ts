import { Checkpointer } from '../../src/app/audit/checkpointer';
import type { CustodyCore } from '../../src/app/custody/custody-core';
import { audit } from '../../src/domain';
import { openSqliteEventStore, type SqliteEventStore } from '../../src/event-store';
import { chainedEventStore } from '../../src/event-store/chained-event-store';
import { makeTempDir, removeTempDir } from '../support/temp-dir';

describe('Checkpointer with KEYLEDGER_CHECKPOINT_EVERY=off', () => {
  let dir: string;
  let store: SqliteEventStore;

  beforeEach(async () => {
    dir = await makeTempDir('kl-cp-off-');
    store = await openSqliteEventStore(dir);
  });
  afterEach(async () => {
    await store.close();
    await removeTempDir(dir);
  });

  it('signs nothing on its own, even past the longest span one checkpoint lists', async () => {
    const chained = chainedEventStore(store);
    const events = audit.MAX_CHECKPOINT_SPAN + 100;
    for (let i = 0; i < events; i += 1000)
      await chained.append(
        `s-${i}`,
        Array.from({ length: Math.min(1000, events - i) }, () => ({ type: 'Noted', data: {} })),
      );
    const checkpointer = new Checkpointer({ store: chained } as unknown as CustodyCore, {
      dataDir: dir,
      checkpointEvery: { events: null, seconds: null },
      auditOrigin: 'test.local/off',
    });
    const run = jest
      .spyOn(checkpointer as unknown as { run(): void }, 'run')
      .mockImplementation(() => undefined);
    await checkpointer.onApplicationBootstrap();
    await chained.append('s-last', [{ type: 'Noted', data: {} }]);
    await new Promise((resolve) => setTimeout(resolve, 200));
    await checkpointer.onApplicationShutdown();
    expect(checkpointer.tree.size).toBeGreaterThan(audit.MAX_CHECKPOINT_SPAN);
    expect(run).not.toHaveBeenCalled();
  });
});
