import { chmodSync, existsSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import {
  READ_MODEL_FILE_NAME,
  ReadModelStore,
  ReadModelUnavailable,
  openReadModelStore,
} from '../../src/projections/read-model-store';
import { makeTempDir, removeTempDir } from '../support/temp-dir';

describe('ReadModelStore on a real file', () => {
  let dir: string;
  let models: ReadModelStore;

  beforeEach(async () => {
    dir = await makeTempDir('keyledger-read-models-');
    models = openReadModelStore(dir);
  });

  afterEach(async () => {
    models.close();
    await removeTempDir(dir);
  });

  describe('given docs committed for two projections', () => {
    beforeEach(() => {
      models.commit([
        {
          projection: 'inventory',
          version: 3,
          position: 40,
          docs: new Map([
            ['key-b', { state: 'resident' }],
            ['key-a', { state: 'exported' }],
          ]),
        },
        { projection: 'holders', version: 1, position: 40, docs: new Map([['hsm-a', { keys: ['key-b'] }]]) },
      ]);
    });

    it('reads them back per projection, by id, all in id order, and by predicate', () => {
      expect(models.get('inventory', 'key-a')).toEqual({ state: 'exported' });
      expect(models.get('inventory', 'hsm-a')).toBeUndefined();
      expect(models.all('inventory')).toEqual([
        { id: 'key-a', doc: { state: 'exported' } },
        { id: 'key-b', doc: { state: 'resident' } },
      ]);
      expect(models.find('inventory', (doc) => doc.state === 'resident')).toEqual([
        { id: 'key-b', doc: { state: 'resident' } },
      ]);
      expect(models.checkpoint('inventory')).toEqual({ version: 3, position: 40 });
      expect(models.checkpoint('unknown')).toBeUndefined();
    });

    it('deletes a doc committed as undefined and moves the checkpoint with it', () => {
      models.commit([
        { projection: 'inventory', version: 3, position: 41, docs: new Map([['key-a', undefined]]) },
      ]);
      expect(models.all('inventory').map((d) => d.id)).toEqual(['key-b']);
      expect(models.checkpoint('inventory')).toEqual({ version: 3, position: 41 });
    });

    it('writes nothing of a commit that fails part-way, for any projection', () => {
      const unserialisable = { count: 1n } as unknown as Record<string, unknown>;
      expect(() =>
        models.commit([
          { projection: 'holders', version: 1, position: 41, docs: new Map([['hsm-b', { keys: [] }]]) },
          { projection: 'inventory', version: 3, position: 41, docs: new Map([['key-c', unserialisable]]) },
        ]),
      ).toThrow(/BigInt/);
      expect(models.get('holders', 'hsm-b')).toBeUndefined();
      expect(models.checkpoint('holders')).toEqual({ version: 1, position: 40 });
      expect(models.checkpoint('inventory')).toEqual({ version: 3, position: 40 });
    });

    it("reset removes one projection's docs and restarts its checkpoint at 0 with the new version", () => {
      models.reset('inventory', 4);
      expect(models.all('inventory')).toEqual([]);
      expect(models.checkpoint('inventory')).toEqual({ version: 4, position: 0 });
      expect(models.all('holders')).toHaveLength(1);
    });

    it('answers a mirrored projection from memory exactly as from the file, through commits and resets', () => {
      const fromFile = openReadModelStore(dir);
      try {
        models.mirror('inventory');
        const same = () => {
          expect(models.all('inventory')).toEqual(fromFile.all('inventory'));
          for (const id of ['key-a', 'key-b', 'key-c'])
            expect(models.get('inventory', id)).toEqual(fromFile.get('inventory', id));
        };
        same();
        models.commit([
          {
            projection: 'inventory',
            version: 3,
            position: 41,
            docs: new Map([
              ['key-c', { state: 'new' }],
              ['key-a', undefined],
            ]),
          },
        ]);
        expect(models.all('inventory').map((d) => d.id)).toEqual(['key-b', 'key-c']);
        same();
        models.reset('inventory', 4);
        expect(models.all('inventory')).toEqual([]);
        same();
        // A projection that is not mirrored still reads the file.
        expect(models.get('holders', 'hsm-a')).toEqual({ keys: ['key-b'] });
      } finally {
        fromFile.close();
      }
    });

    it('keeps them across reopening, in a WAL-mode file', () => {
      models.close();
      models = openReadModelStore(dir);
      expect(models.all('holders')).toEqual([{ id: 'hsm-a', doc: { keys: ['key-b'] } }]);
      const raw = new Database(join(dir, READ_MODEL_FILE_NAME), { readonly: true });
      try {
        expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
      } finally {
        raw.close();
      }
    });
  });

  describe('given a file that is not a read-model file', () => {
    it('refuses another SQLite database', () => {
      const path = join(dir, 'other.sqlite');
      const other = new Database(path);
      other.pragma('application_id = 1234');
      other.close();
      expect(() => ReadModelStore.open(path)).toThrow(ReadModelUnavailable);
      expect(() => ReadModelStore.open(path)).toThrow(/not a keyledger read-model file/);
    });

    it('refuses a file that is not SQLite at all', () => {
      const path = join(dir, 'notes.txt');
      writeFileSync(path, 'x'.repeat(4096));
      expect(() => ReadModelStore.open(path)).toThrow(ReadModelUnavailable);
    });
  });

  describe('given the files on disk', () => {
    const mode = (p: string) => (existsSync(p) ? (statSync(p).mode & 0o777).toString(8) : 'absent');
    const files = (main: string) => ({
      main: mode(main),
      wal: mode(`${main}-wal`),
      shm: mode(`${main}-shm`),
    });
    const commitOne = (store: ReadModelStore, position: number) =>
      store.commit([
        { projection: 'p', version: 1, position, docs: new Map([[`d${position}`, { n: position }]]) },
      ]);

    it('keeps the read models, their -wal and their -shm 0600', () => {
      commitOne(models, 1);
      expect(files(join(dir, READ_MODEL_FILE_NAME))).toEqual({ main: '600', wal: '600', shm: '600' });
    });

    it('tightens read models left 0644 by an earlier keyledger to 0600 when it opens them', () => {
      commitOne(models, 1);
      models.close();
      const path = join(dir, READ_MODEL_FILE_NAME);
      chmodSync(path, 0o644);
      models = openReadModelStore(dir);
      commitOne(models, 2);
      expect(files(path)).toEqual({ main: '600', wal: '600', shm: '600' });
      expect(models.checkpoint('p')).toEqual({ version: 1, position: 2 });
    });
  });
});
