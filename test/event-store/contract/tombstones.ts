import { StreamDeleted } from '../../../src/event-store';
import { event, events, readEverything, type StoreUnderTest } from './helpers';

export function tombstoneContract(store: StoreUnderTest): void {
  describe('given a tombstoned stream beside a live one', () => {
    beforeEach(async () => {
      await store().append('blob-1', events(2));
      await store().append('key-1', [event('KeyGenerated')]);
      await store().tombstone('blob-1', { expectedRevision: 1 });
    });

    it('refuses appends to it with StreamDeleted', async () => {
      const append = store().append('blob-1', [event('BlobStored')]);
      await expect(append).rejects.toBeInstanceOf(StreamDeleted);
      await expect(append).rejects.toMatchObject({ type: 'stream-deleted', stream: 'blob-1' });
    });

    it('refuses appends expecting no_stream with StreamDeleted too', async () => {
      const append = store().append('blob-1', [event('BlobStored')], { expectedRevision: 'no_stream' });
      await expect(append).rejects.toMatchObject({ type: 'stream-deleted', stream: 'blob-1' });
    });

    it('refuses reads of it with StreamDeleted', async () => {
      await expect(store().readStream('blob-1')).rejects.toMatchObject({
        type: 'stream-deleted',
        stream: 'blob-1',
      });
    });

    it('refuses a second tombstone with StreamDeleted', async () => {
      await expect(store().tombstone('blob-1')).rejects.toMatchObject({
        type: 'stream-deleted',
        stream: 'blob-1',
      });
    });

    it('still shows its events in the global order', async () => {
      const all = await readEverything(store());
      expect(all.filter((e) => e.streamName === 'blob-1').map((e) => e.data)).toEqual([{ n: 0 }, { n: 1 }]);
    });

    it('leaves the other stream readable and writable', async () => {
      await store().append('key-1', [event('KeyRawExported')], { expectedRevision: 0 });
      expect((await store().readStream('key-1')).map((e) => e.type)).toEqual([
        'KeyGenerated',
        'KeyRawExported',
      ]);
    });
  });

  describe('given a tombstone expecting the wrong revision', () => {
    it('refuses it with the actual revision and the stream stays usable', async () => {
      await store().append('blob-1', events(2));
      await expect(store().tombstone('blob-1', { expectedRevision: 0 })).rejects.toMatchObject({
        type: 'wrong-expected-revision',
        stream: 'blob-1',
        expected: 0,
        actual: 1,
      });
      expect(await store().append('blob-1', events(1), { expectedRevision: 1 })).toMatchObject({
        nextExpectedRevision: 2,
      });
    });
  });
}
