import { randomUUID } from 'node:crypto';
import { WrongExpectedRevision } from '../../../src/event-store';
import { ascending, lastRevision, type StoreUnderTest } from './helpers';

interface Win {
  writer: number;
  revision: number;
  id: string;
}

export function concurrencyContract(store: StoreUnderTest): void {
  describe('given 50 writers racing to append to one stream with expected revisions', () => {
    const WRITERS = 50;
    const EACH = 4;

    /** Reload the revision, append expecting it, retry on conflict, until `EACH` appends won. */
    async function writer(writerNo: number, wins: Win[]): Promise<number> {
      let conflicts = 0;
      for (let written = 0; written < EACH;) {
        const revision = await lastRevision(store(), 'key-contended');
        const id = randomUUID();
        try {
          const result = await store().append(
            'key-contended',
            [{ id, type: 'Signed', data: { writerNo, written } }],
            {
              expectedRevision: revision < 0 ? 'no_stream' : revision,
            },
          );
          wins.push({ writer: writerNo, revision: result.nextExpectedRevision, id });
          written++;
        } catch (err) {
          if (!(err instanceof WrongExpectedRevision)) throw err;
          conflicts++;
        }
      }
      return conflicts;
    }

    it('gives each revision to exactly one writer and loses or duplicates no event', async () => {
      const wins: Win[] = [];
      const conflicts = await Promise.all(ascending(WRITERS).map((w) => writer(w, wins)));

      const total = WRITERS * EACH;
      expect(wins.map((w) => w.revision).sort((a, b) => a - b)).toEqual(ascending(total));
      const stream = await store().readStream('key-contended');
      expect(stream.map((e) => e.revision)).toEqual(ascending(total));
      const byRevision = [...wins].sort((a, b) => a.revision - b.revision);
      expect(stream.map((e) => [e.revision, e.id, e.data.writerNo])).toEqual(
        byRevision.map((w) => [w.revision, w.id, w.writer]),
      );
      expect(new Set(stream.map((e) => e.id)).size).toBe(total);
      for (const w of ascending(WRITERS)) expect(wins.filter((win) => win.writer === w)).toHaveLength(EACH);
      // Writers that reload in the same turn collide: the race really happened.
      expect(conflicts.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    });
  });
}
