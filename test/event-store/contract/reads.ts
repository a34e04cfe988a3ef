import type { RecordedEvent, ReadStreamOptions } from '../../../src/event-store';
import { appendInOrder, events, readEverything, type StoreUnderTest } from './helpers';

const revisions = (read: RecordedEvent[]) => read.map((e) => e.revision);
const where = (read: RecordedEvent[]) => read.map((e) => [e.position, e.streamName, e.revision]);

export function readContract(store: StoreUnderTest): void {
  describe('given a stream of five events', () => {
    beforeEach(async () => {
      await store().append('key-1', events(5));
    });

    it.each<[string, ReadStreamOptions | undefined, number[]]>([
      ['forwards by default', undefined, [0, 1, 2, 3, 4]],
      ['backwards from the end', { direction: 'backwards' }, [4, 3, 2, 1, 0]],
      ['forwards from revision 2', { fromRevision: 2 }, [2, 3, 4]],
      ['backwards from revision 2', { direction: 'backwards', fromRevision: 2 }, [2, 1, 0]],
      ['forwards from "start" with maxCount 2', { fromRevision: 'start', maxCount: 2 }, [0, 1]],
      [
        'backwards from "end" with maxCount 1',
        { direction: 'backwards', fromRevision: 'end', maxCount: 1 },
        [4],
      ],
      ['forwards from revision 3 with maxCount 10', { fromRevision: 3, maxCount: 10 }, [3, 4]],
      ['forwards from past the last revision as nothing', { fromRevision: 5 }, []],
    ])('reads %s', async (_, options, expected) => {
      expect(revisions(await store().readStream('key-1', options))).toEqual(expected);
    });

    it('returns each event with its data in revision order', async () => {
      expect((await store().readStream('key-1')).map((e) => e.data)).toEqual(
        [0, 1, 2, 3, 4].map((n) => ({ n })),
      );
    });
  });

  describe('given events appended to three streams in turn', () => {
    beforeEach(async () => {
      await appendInOrder(store(), [
        ['key-a', { i: 1 }],
        ['key-b', { i: 2 }],
        ['key-a', { i: 3 }],
        ['key-c', { i: 4 }],
        ['key-b', { i: 5 }],
      ]);
    });

    it('reads all streams in global order', async () => {
      const all = await store().readAll();
      expect(where(all)).toEqual([
        [1, 'key-a', 0],
        [2, 'key-b', 0],
        [3, 'key-a', 1],
        [4, 'key-c', 0],
        [5, 'key-b', 1],
      ]);
      expect(all.map((e) => e.data)).toEqual([1, 2, 3, 4, 5].map((i) => ({ i })));
    });

    it('pages through all streams with an exclusive fromPosition', async () => {
      const page = (fromPosition: number) => store().readAll({ fromPosition, maxCount: 2 });
      expect((await page(0)).map((e) => e.position)).toEqual([1, 2]);
      expect((await page(2)).map((e) => e.position)).toEqual([3, 4]);
      expect((await page(4)).map((e) => e.position)).toEqual([5]);
      expect(await page(5)).toEqual([]);
    });

    it('reads the same events from each stream as from all', async () => {
      const all = await readEverything(store());
      for (const stream of ['key-a', 'key-b', 'key-c']) {
        expect(await store().readStream(stream)).toEqual(all.filter((e) => e.streamName === stream));
      }
    });

    it('reports the position of the last event as the head', async () => {
      expect(await store().headPosition()).toBe(5);
    });
  });
}
