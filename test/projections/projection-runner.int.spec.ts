import { join } from 'node:path';
import Database from 'better-sqlite3';
import {
  openSqliteEventStore,
  type EventStore,
  type RecordedEvent,
  type SqliteEventStore,
} from '../../src/event-store';
import { ProjectionFailed, foldEvents, type Doc, type Projection } from '../../src/projections/projection';
import { ProjectionRunner } from '../../src/projections/projection-runner';
import {
  READ_MODEL_FILE_NAME,
  openReadModelStore,
  type ReadModelStore,
} from '../../src/projections/read-model-store';
import { readEverything } from '../event-store/contract/helpers';
import { makeTempDir, removeTempDir } from '../support/temp-dir';
import { spawnTs } from '../support/ts-child';
import { within } from '../support/within';
import { countingProjection } from './fixtures/counting-projection';

const COUNTS = 'stream-counts';

/** Appends `n` events round-robin over `streams` streams, `perAppend` events per append. */
async function appendSpread(
  store: EventStore,
  n: number,
  streams: number,
  perAppend = 10,
  prefix = 'key',
): Promise<void> {
  for (let done = 0, turn = 0; done < n; turn++) {
    const count = Math.min(perAppend, n - done);
    const stream = `${prefix}-${turn % streams}`;
    await store.append(
      stream,
      Array.from({ length: count }, (_, i) => ({ type: 'Counted', data: { i: done + i } })),
    );
    done += count;
  }
}

/** What the counting projection must show: the ledger itself, folded in memory. */
async function expectedCounts(store: EventStore): Promise<Array<{ id: string; doc: Doc }>> {
  const docs = foldEvents(countingProjection(), await readEverything(store));
  return [...docs].map(([id, doc]) => ({ id, doc })).sort((a, b) => (a.id < b.id ? -1 : 1));
}

/**
 * The store, with subscriptions that take a few timer ticks to close, as EventStoreDB's do (its
 * client unsubscribes on setImmediate): macrotasks run while the runner shuts its subscription.
 */
function slowToClose(inner: EventStore): EventStore {
  const tick = () => new Promise((resolve) => setTimeout(resolve, 20));
  return {
    kind: inner.kind,
    append: (...args) => inner.append(...args),
    readStream: (...args) => inner.readStream(...args),
    readAll: (...args) => inner.readAll(...args),
    headPosition: () => inner.headPosition(),
    tombstone: (...args) => inner.tombstone(...args),
    close: () => inner.close(),
    subscribeToAll(options) {
      const subscription = inner.subscribeToAll(options);
      return {
        caughtUp: subscription.caughtUp,
        close: async () => {
          await tick();
          await subscription.close();
        },
        [Symbol.asyncIterator]() {
          const events = subscription[Symbol.asyncIterator]();
          return {
            next: () => events.next(),
            return: async () => {
              await tick();
              return (await events.return?.()) ?? { done: true, value: undefined };
            },
          };
        },
      };
    },
  };
}

/** A projection wrapper that counts evolve calls, to see whether history was replayed. */
function counted(projection: Projection): Projection & { calls: number } {
  const wrapper = {
    name: projection.name,
    version: projection.version,
    calls: 0,
    handles: (event: RecordedEvent) => projection.handles(event),
    evolve(doc: Doc | undefined, event: RecordedEvent) {
      wrapper.calls++;
      return projection.evolve(doc, event);
    },
  };
  return wrapper;
}

describe('ProjectionRunner over the SQLite ledger and a read-model file', () => {
  let dir: string;
  let store: SqliteEventStore;
  const opened: ReadModelStore[] = [];
  const runners: ProjectionRunner[] = [];

  function readModels(name = 'read-models'): ReadModelStore {
    const models = openReadModelStore(join(dir, name));
    opened.push(models);
    return models;
  }

  function runner(models: ReadModelStore, projections: Projection[], batchSize?: number): ProjectionRunner {
    const r = new ProjectionRunner(store, models, projections, { batchSize });
    runners.push(r);
    return r;
  }

  beforeEach(async () => {
    dir = await makeTempDir('keyledger-projections-');
    store = await openSqliteEventStore(join(dir, 'ledger'));
  });

  afterEach(async () => {
    await Promise.all(runners.splice(0).map((r) => r.stop()));
    for (const models of opened.splice(0)) models.close();
    await store.close();
    await removeTempDir(dir);
  });

  describe('given events processed, the runner stopped and more events appended', () => {
    it('on restart counts every event exactly once, and equals a fresh rebuild', async () => {
      await appendSpread(store, 3000, 7);
      const models = readModels();
      const first = runner(models, [countingProjection()], 100);
      first.start();
      await within(10000, 'first catch-up', first.waitFor(3000));
      await first.stop();
      expect(models.checkpoint(COUNTS)).toEqual({ version: 1, position: 3000 });

      await appendSpread(store, 2000, 11, 7, 'blob');
      await appendSpread(store, 500, 3);
      const head = await store.headPosition();
      expect(head).toBe(5500);
      const second = runner(models, [countingProjection()], 100);
      second.start();
      await within(10000, 'second catch-up', second.waitFor(head));

      const fresh = readModels('fresh');
      const rebuilt = runner(fresh, [countingProjection()]);
      rebuilt.start();
      await within(10000, 'fresh build', rebuilt.waitFor(head));

      const expected = await expectedCounts(store);
      expect(expected).toHaveLength(7 + 11);
      expect(expected.reduce((sum, d) => sum + (d.doc.count as number), 0)).toBe(5500);
      expect(models.all(COUNTS)).toEqual(expected);
      expect(fresh.all(COUNTS)).toEqual(expected);
      expect(models.checkpoint(COUNTS)).toEqual({ version: 1, position: head });
    });
  });

  // docs/style.md §12, through the runner and the file: replaying the same events gives the same read model.
  describe('given a built read model', () => {
    it('rebuild(name) replays every event from position 0 into the same read model', async () => {
      await appendSpread(store, 1200, 5);
      const models = readModels();
      const projection = counted(countingProjection());
      const r = runner(models, [projection], 250);
      r.start();
      await within(10000, 'catch-up', r.waitFor(1200));
      const before = models.all(COUNTS);
      expect(projection.calls).toBe(1200);

      await within(10000, 'rebuild', r.rebuild(COUNTS));
      expect(projection.calls).toBe(2400);
      expect(models.all(COUNTS)).toEqual(before);
      expect(models.all(COUNTS)).toEqual(await expectedCounts(store));
      expect(models.checkpoint(COUNTS)).toEqual({ version: 1, position: 1200 });

      // Still live after the rebuild.
      const { position } = await store.append('key-new', [{ type: 'Counted', data: {} }]);
      await within(5000, 'live event', r.waitFor(position));
      expect(models.get(COUNTS, 'key-new')).toEqual({ count: 1, lastPosition: position });
    });
  });

  describe('given a read model built by version 1 of a projection', () => {
    it('rebuilds it from position 0 when the code brings version 2, and not again after that', async () => {
      await appendSpread(store, 600, 4, 10, 'key');
      await appendSpread(store, 300, 3, 10, 'hsm');
      const models = readModels();
      const v1 = runner(models, [countingProjection(COUNTS, 1)]);
      v1.start();
      await within(10000, 'v1 catch-up', v1.waitFor(900));
      await v1.stop();
      expect(models.all(COUNTS)).toHaveLength(7);

      // Version 2 counts key streams only, under a different doc shape.
      const v2: Projection = {
        name: COUNTS,
        version: 2,
        handles: (e) => (e.streamName.startsWith('key-') ? [e.streamName] : []),
        evolve: (doc, e) => ({
          events: ((doc?.events as number | undefined) ?? 0) + 1,
          revision: e.revision,
        }),
      };
      const second = counted(v2);
      const r2 = runner(models, [second]);
      r2.start();
      await within(10000, 'v2 rebuild', r2.waitFor(900));
      await r2.stop();
      expect(second.calls).toBe(600);
      // No v1 doc survives, not even for the hsm streams v2 ignores.
      expect(models.all(COUNTS)).toEqual(
        [0, 1, 2, 3].map((k) => ({ id: `key-${k}`, doc: { events: 150, revision: 149 } })),
      );
      expect(models.checkpoint(COUNTS)).toEqual({ version: 2, position: 900 });

      const third = counted(v2);
      const r3 = runner(models, [third]);
      r3.start();
      await within(5000, 'v2 restart', r3.waitFor(900));
      expect(third.calls).toBe(0);
    });
  });

  describe('given a projection that throws on one event', () => {
    const poisonAt = 7;
    function fragile(): Projection {
      return {
        name: 'fragile',
        version: 1,
        handles: (e) => [e.streamName],
        evolve(doc, e) {
          if (e.type === 'Poison') throw new Error('cannot parse hsmId');
          return { n: ((doc?.n as number | undefined) ?? 0) + 1 };
        },
      };
    }

    beforeEach(async () => {
      await appendSpread(store, poisonAt - 1, 2, 1);
      await store.append('key-0', [{ type: 'Poison', data: {} }]);
      await appendSpread(store, 3, 2, 1);
    });

    it('stops the runner with an error naming the projection and the event, committing only whole batches before it', async () => {
      const models = readModels();
      const r = runner(models, [fragile(), countingProjection()], 2);
      r.start();
      const failure = await within(
        5000,
        'the runner to fail',
        r.done.then(
          () => undefined,
          (e: unknown) => e,
        ),
      );
      expect(failure).toBeInstanceOf(ProjectionFailed);
      expect(failure).toMatchObject({
        projection: 'fragile',
        position: poisonAt,
        eventType: 'Poison',
        streamName: 'key-0',
      });
      expect((failure as Error).message).toBe(
        'projection "fragile" failed on event 7 (Poison in "key-0"): cannot parse hsmId',
      );
      // Batches of two: [1,2] [3,4] [5,6] committed; [7,8] failed and left no trace, for any projection.
      expect(models.checkpoint('fragile')).toEqual({ version: 1, position: 6 });
      expect(models.checkpoint(COUNTS)).toEqual({ version: 1, position: 6 });
      expect(models.all('fragile')).toEqual([
        { id: 'key-0', doc: { n: 3 } },
        { id: 'key-1', doc: { n: 3 } },
      ]);
      await expect(r.waitFor(8)).rejects.toBe(failure);
    });

    it('resumes after the fix from the last whole batch, losing and repeating nothing', async () => {
      const models = readModels();
      // The counting projection is fine; the failing one stops the runner they share.
      const both = runner(models, [fragile(), countingProjection('other-counts')], 2);
      both.start();
      await within(
        5000,
        'the runner to fail',
        both.done.catch(() => undefined),
      );
      expect(models.checkpoint('other-counts')).toEqual({ version: 1, position: 6 });

      // The fix ships as version 2 of "fragile" (rebuilt); "other-counts" resumes from 6.
      const fixed: Projection = {
        ...fragile(),
        version: 2,
        evolve: (doc) => ({ n: ((doc?.n as number | undefined) ?? 0) + 1 }),
      };
      const other = counted(countingProjection('other-counts'));
      const r = runner(models, [fixed, other], 2);
      r.start();
      await within(5000, 'catch-up after the fix', r.waitFor(10));
      expect(other.calls).toBe(4);
      expect(models.all('other-counts')).toEqual(await expectedCounts(store));
      expect(models.all('fragile')).toEqual([
        { id: 'key-0', doc: { n: 6 } },
        { id: 'key-1', doc: { n: 4 } },
      ]);
    });
  });

  describe('given a projection that throws on the second doc of an event, and a store slow to close', () => {
    it('commits no part of that event, even when an idle flush comes while the subscription closes', async () => {
      await appendSpread(store, 5, 1, 1);
      await store.append('key-9', [{ type: 'Poison', data: {} }]);
      let poisonCalls = 0;
      const pair: Projection = {
        name: 'pair',
        version: 1,
        handles: (e) => (e.type === 'Poison' ? ['a', 'b'] : ['a']),
        evolve(doc, e) {
          if (e.type === 'Poison' && ++poisonCalls === 2) throw new Error('second doc refused');
          return { n: ((doc?.n as number | undefined) ?? 0) + 1 };
        },
      };
      const models = readModels();
      const r = new ProjectionRunner(slowToClose(store), models, [pair]);
      runners.push(r);
      r.start();
      await within(
        5000,
        'the runner to fail',
        r.done.catch(() => undefined),
      );
      await new Promise((resolve) => setTimeout(resolve, 100)); // let any stray flush run
      // The five good events and the poison came in one batch: none of it is committed.
      expect(models.checkpoint('pair')).toEqual({ version: 1, position: 0 });
      expect(models.all('pair')).toEqual([]);
    });
  });

  describe('given a runner that has caught up', () => {
    it('waitFor(position of an append) resolves once that append is in the read model', async () => {
      await appendSpread(store, 50, 2);
      const models = readModels();
      const r = runner(models, [countingProjection()]);
      r.start();
      await within(5000, 'catch-up', r.waitFor(50));
      const appends = await Promise.all(
        [0, 1, 2, 3, 4].map((k) =>
          store.append(`op-${k}`, [
            { type: 'Counted', data: {} },
            { type: 'Counted', data: {} },
          ]),
        ),
      );
      for (const [k, { position }] of appends.entries()) {
        await within(5000, `op-${k}`, r.waitFor(position));
        expect(models.get(COUNTS, `op-${k}`)).toEqual({ count: 2, lastPosition: position });
      }
      await r.stop();
      await expect(r.waitFor(1000)).rejects.toThrow('the projection runner was stopped');
    });
  });

  describe('given a second projection added to a runner that already has one', () => {
    it('builds the new one from position 0 while the old one resumes from its checkpoint', async () => {
      await appendSpread(store, 400, 4);
      const models = readModels();
      const r1 = runner(models, [countingProjection('a')]);
      r1.start();
      await within(5000, 'a catch-up', r1.waitFor(400));
      await r1.stop();
      await appendSpread(store, 100, 4);

      const a = counted(countingProjection('a'));
      const b = counted(countingProjection('b'));
      const r2 = runner(models, [a, b]);
      r2.start();
      await within(5000, 'a and b catch-up', r2.waitFor(500));
      expect(a.calls).toBe(100);
      expect(b.calls).toBe(500);
      const expected = await expectedCounts(store);
      expect(models.all('a')).toEqual(expected);
      expect(models.all('b')).toEqual(expected);
    });
  });

  describe('given a runner process killed with SIGKILL mid-stream, three times', () => {
    it('restarts from its last commit each time and ends with every event counted exactly once', async () => {
      const TOTAL = 40_000;
      await appendSpread(store, TOTAL, 13, 50);
      const ledgerDir = join(dir, 'ledger');
      const modelDir = join(dir, 'read-models');
      const modelFile = join(modelDir, READ_MODEL_FILE_NAME);
      await store.close();

      const durableCheckpoint = (): number => {
        try {
          const db = new Database(modelFile, { readonly: true, fileMustExist: true });
          try {
            const row = db.prepare('SELECT position FROM checkpoints WHERE projection = ?').get(COUNTS) as
              { position: number } | undefined;
            return row?.position ?? 0;
          } finally {
            db.close();
          }
        } catch {
          return 0; // not created yet
        }
      };

      const killedAt: number[] = [];
      for (let round = 0; round < 3; round++) {
        const before = durableCheckpoint();
        const child = spawnTs('test/projections/fixtures/runner-child.ts', [ledgerDir, modelDir, '200']);
        let output = '';
        child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
        child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
        const exited = new Promise<NodeJS.Signals | null>((resolve) =>
          child.on('exit', (_code, signal) => resolve(signal)),
        );
        // Kill as soon as the child has committed something new: it is then mid-stream.
        await within(
          30000,
          `round ${round}: progress past ${before} (child said: ${output})`,
          (async () => {
            while (durableCheckpoint() <= before) await new Promise((r) => setTimeout(r, 2));
          })(),
        );
        child.kill('SIGKILL');
        expect(await exited).toBe('SIGKILL');
        const after = durableCheckpoint();
        expect(output).not.toContain('caught-up');
        expect(after).toBeGreaterThan(before);
        expect(after).toBeLessThan(TOTAL);
        killedAt.push(after);
      }
      expect(killedAt).toEqual([...killedAt].sort((x, y) => x - y));

      store = await openSqliteEventStore(ledgerDir);
      const models = readModels();
      // Whatever the kills left is a consistent prefix: the docs are exactly the fold up to it.
      const prefix = (await readEverything(store)).filter((e) => e.position <= killedAt[2]);
      const atKill = [...foldEvents(countingProjection(), prefix)].map(([id, doc]) => ({ id, doc }));
      expect(models.all(COUNTS)).toEqual(atKill.sort((a, b) => (a.id < b.id ? -1 : 1)));

      const projection = counted(countingProjection());
      const r = runner(models, [projection]);
      r.start();
      await within(20000, 'final catch-up', r.waitFor(TOTAL));
      expect(projection.calls).toBe(TOTAL - killedAt[2]);
      const expected = await expectedCounts(store);
      expect(expected.reduce((sum, d) => sum + (d.doc.count as number), 0)).toBe(TOTAL);
      expect(models.all(COUNTS)).toEqual(expected);
    });
  });
});
