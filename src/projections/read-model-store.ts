import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createPrivateFile, PRIVATE_DIR_MODE, tightenSqliteFiles } from '../lib/private-files';
import type { ErrorCategory } from '../domain/error-category';
import type { Doc } from './projection';

/** File name of the read models inside the data directory. */
export const READ_MODEL_FILE_NAME = 'read-models.sqlite';
/** `PRAGMA application_id` of a read-model file: ASCII "KLRM". */
const APPLICATION_ID = 0x4b4c524d;
/** `PRAGMA user_version`: bumped on every schema change. */
const SCHEMA_VERSION = 1;

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS documents (
    projection TEXT NOT NULL,
    id TEXT NOT NULL,
    json TEXT NOT NULL,
    PRIMARY KEY (projection, id)
  ) STRICT, WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS checkpoints (
    projection TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    position INTEGER NOT NULL
  ) STRICT, WITHOUT ROWID;
`;

/** The read-model file cannot be opened or is not one of ours. It holds nothing the ledger lacks. */
export class ReadModelUnavailable extends Error {
  static readonly category: ErrorCategory = 'unavailable';
  readonly type = 'read-model-unavailable';
}

export interface Checkpoint {
  /** The projection version the documents were built with. */
  readonly version: number;
  /** Global position of the last event applied (0: none). */
  readonly position: number;
}

export interface StoredDoc {
  readonly id: string;
  readonly doc: Doc;
}

/** One projection's share of a batch: changed docs (undefined deletes) and its new checkpoint. */
export interface ProjectionChanges {
  readonly projection: string;
  readonly version: number;
  readonly position: number;
  readonly docs: ReadonlyMap<string, Doc | undefined>;
}

/**
 * Read models in one SQLite file (WAL, synchronous=NORMAL). Documents and checkpoints change only
 * together, in one transaction (`commit`), so after a crash every projection's documents are
 * exactly the fold of the events up to its checkpoint. NORMAL keeps that atomicity (WAL commits
 * are not fsynced, checkpoints are): a power loss may only take the last commits back, and the
 * runner then replays them from the ledger, which stays FULL. This keeps an fsync per batch off
 * the event loop.
 */
export class ReadModelStore {
  private readonly getDoc: Database.Statement<[string, string], string>;
  private readonly allDocs: Database.Statement<[string], { id: string; json: string }>;
  private readonly putDoc: Database.Statement<[string, string, string]>;
  private readonly deleteDoc: Database.Statement<[string, string]>;
  private readonly deleteDocs: Database.Statement<[string]>;
  private readonly getCheckpoint: Database.Statement<[string], Checkpoint>;
  private readonly putCheckpoint: Database.Statement<[string, number, number]>;
  private readonly commitTx: (changes: readonly ProjectionChanges[]) => void;
  /**
   * Projections whose docs are also kept parsed in memory (`mirror`), by id. The file has one
   * writer, this store's runner, and every write goes through `commit` or `reset`, which update
   * the mirror after the transaction, so a mirror is never behind the file.
   */
  private readonly mirrors = new Map<string, { docs: Map<string, Doc>; ordered: StoredDoc[] | undefined }>();
  private readonly resetTx: (projection: string, version: number) => void;

  private constructor(
    readonly path: string,
    private readonly db: Database.Database,
  ) {
    this.getDoc = db
      .prepare<[string, string], string>('SELECT json FROM documents WHERE projection = ? AND id = ?')
      .pluck();
    this.allDocs = db.prepare('SELECT id, json FROM documents WHERE projection = ? ORDER BY id');
    this.putDoc = db.prepare(
      'INSERT INTO documents (projection, id, json) VALUES (?, ?, ?) ON CONFLICT (projection, id) DO UPDATE SET json = excluded.json',
    );
    this.deleteDoc = db.prepare('DELETE FROM documents WHERE projection = ? AND id = ?');
    this.deleteDocs = db.prepare('DELETE FROM documents WHERE projection = ?');
    this.getCheckpoint = db.prepare('SELECT version, position FROM checkpoints WHERE projection = ?');
    this.putCheckpoint = db.prepare(
      'INSERT INTO checkpoints (projection, version, position) VALUES (?, ?, ?) ON CONFLICT (projection) DO UPDATE SET version = excluded.version, position = excluded.position',
    );
    this.commitTx = db.transaction((changes: readonly ProjectionChanges[]) => {
      for (const { projection, version, position, docs } of changes) {
        for (const [id, doc] of docs) {
          if (doc === undefined) this.deleteDoc.run(projection, id);
          else this.putDoc.run(projection, id, JSON.stringify(doc));
        }
        this.putCheckpoint.run(projection, version, position);
      }
    });
    this.resetTx = db.transaction((projection: string, version: number) => {
      this.deleteDocs.run(projection);
      this.putCheckpoint.run(projection, version, 0);
    });
  }

  /** Opens or creates the read-model file at `path`; its files are 0600 (see `tightenSqliteFiles`). */
  static open(path: string): ReadModelStore {
    let db: Database.Database;
    try {
      createPrivateFile(path);
      db = new Database(path);
    } catch (error) {
      throw new ReadModelUnavailable(`read models ${path} cannot be opened: ${(error as Error).message}`, {
        cause: error,
      });
    }
    try {
      const appId = db.pragma('application_id', { simple: true }) as number;
      const version = db.pragma('user_version', { simple: true }) as number;
      const fresh = appId === 0 && version === 0;
      if (!fresh && (appId !== APPLICATION_ID || version !== SCHEMA_VERSION)) {
        throw new ReadModelUnavailable(
          `read models ${path} are not a keyledger read-model file of schema ${SCHEMA_VERSION} (application_id ${appId}, user_version ${version})`,
        );
      }
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      // A query (an API request) may read while the runner commits.
      db.pragma('busy_timeout = 5000');
      db.exec(SCHEMA);
      if (fresh) {
        db.pragma(`application_id = ${APPLICATION_ID}`);
        db.pragma(`user_version = ${SCHEMA_VERSION}`);
      }
      tightenSqliteFiles(path);
      return new ReadModelStore(path, db);
    } catch (error) {
      db.close();
      if (error instanceof ReadModelUnavailable) throw error;
      throw new ReadModelUnavailable(`read models ${path} cannot be used: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }

  /**
   * Keeps `projection`'s docs parsed in memory from now on (loaded once here), for read models that
   * are listed whole on a hot path. Docs handed out are shared: callers must not mutate them
   * (projections never do, docs/style.md §12).
   */
  mirror(projection: string): void {
    if (this.mirrors.has(projection)) return;
    const docs = new Map<string, Doc>();
    for (const { id, json } of this.allDocs.all(projection)) docs.set(id, JSON.parse(json) as Doc);
    this.mirrors.set(projection, { docs, ordered: undefined });
  }

  get(projection: string, id: string): Doc | undefined {
    const mirror = this.mirrors.get(projection);
    if (mirror !== undefined) return mirror.docs.get(id);
    const json = this.getDoc.get(projection, id);
    return json === undefined ? undefined : (JSON.parse(json) as Doc);
  }

  /** Every document of a projection, ordered by id. */
  all(projection: string): StoredDoc[] {
    const mirror = this.mirrors.get(projection);
    if (mirror !== undefined) {
      // Ordered once per change of the projection, then handed out as a copy.
      mirror.ordered ??= [...mirror.docs]
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([id, doc]) => ({ id, doc }));
      return [...mirror.ordered];
    }
    return this.allDocs.all(projection).map(({ id, json }) => ({ id, doc: JSON.parse(json) as Doc }));
  }

  /** The documents for which `predicate` holds, ordered by id. A scan: read models are small. */
  find(projection: string, predicate: (doc: Doc, id: string) => boolean): StoredDoc[] {
    return this.all(projection).filter(({ id, doc }) => predicate(doc, id));
  }

  checkpoint(projection: string): Checkpoint | undefined {
    return this.getCheckpoint.get(projection);
  }

  /** Writes changed docs and checkpoints of several projections in one transaction. */
  commit(changes: readonly ProjectionChanges[]): void {
    this.commitTx(changes);
    for (const { projection, docs } of changes) {
      const mirror = this.mirrors.get(projection);
      if (mirror === undefined) continue;
      for (const [id, doc] of docs) {
        if (doc === undefined) mirror.docs.delete(id);
        else mirror.docs.set(id, doc);
      }
      if (docs.size > 0) mirror.ordered = undefined;
    }
  }

  /** Deletes a projection's documents and sets its checkpoint to position 0 at `version`. */
  reset(projection: string, version: number): void {
    this.resetTx(projection, version);
    const mirror = this.mirrors.get(projection);
    if (mirror !== undefined) {
      mirror.docs.clear();
      mirror.ordered = undefined;
    }
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

/** Opens `<dataDir>/read-models.sqlite`, creating the directory (0700) if needed. */
export function openReadModelStore(dataDir: string): ReadModelStore {
  mkdirSync(dataDir, { recursive: true, mode: PRIVATE_DIR_MODE });
  return ReadModelStore.open(join(dataDir, READ_MODEL_FILE_NAME));
}
