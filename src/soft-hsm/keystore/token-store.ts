/**
 * The token keystore (docs/libhal-rpc.md §6.1): persistent records, one sealed JSON file per key in
 * `<state>/keys/<uuid>.json`. Every change is durable before the method returns (temp → fsync →
 * rename → fsync(dir)), so a caller that answers an RPC after `put`/`delete` has persisted it.
 * All records are read (and checked) when the store opens; a bad file stops the open with an
 * error naming it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { corruptFile } from '../errors';
import { mkdirDurable, removeStaleTemporaries, unlinkDurable, writeFileDurable } from './durable-fs';
import {
  keyRecordFromJson,
  keyRecordToJson,
  uuidFromString,
  uuidToString,
  type KeyRecord,
} from './key-record';
import { openSealedJson, sealJson } from './sealed-json';

export const KEYS_DIR = 'keys';

export class TokenStore {
  private readonly records = new Map<string, KeyRecord>();

  private constructor(readonly dir: string) {}

  /** Opens (creating if needed) `<stateDir>/keys`, removing crash leftovers and loading every record. */
  static open(stateDir: string): TokenStore {
    const store = new TokenStore(path.join(stateDir, KEYS_DIR));
    mkdirDurable(store.dir);
    removeStaleTemporaries(store.dir);
    for (const entry of fs.readdirSync(store.dir).sort()) {
      const file = path.join(store.dir, entry);
      const m = /^(.*)\.json$/.exec(entry);
      const name = m ? uuidFromString(m[1]) : undefined;
      if (!name) throw corruptFile(file, 'unexpected file in the keystore directory (expected <uuid>.json)');
      const record = keyRecordFromJson(openSealedJson(fs.readFileSync(file), file), file);
      if (!record.name.equals(name)) throw corruptFile(file, 'record name does not match the file name');
      store.records.set(entry.slice(0, -5), record);
    }
    return store;
  }

  get size(): number {
    return this.records.size;
  }

  get(name: Uint8Array): KeyRecord | undefined {
    return this.records.get(uuidToString(name));
  }

  has(name: Uint8Array): boolean {
    return this.records.has(uuidToString(name));
  }

  /** Every record, in UUID byte order (the order PKEY_MATCH reports, §3.3). */
  sorted(): KeyRecord[] {
    return [...this.records.values()].sort((a, b) => Buffer.compare(a.name, b.name));
  }

  /** Creates or replaces a record; durable on return. */
  put(record: KeyRecord): void {
    const id = uuidToString(record.name);
    writeFileDurable(this.fileOf(id), sealJson(keyRecordToJson(record)));
    this.records.set(id, record);
  }

  /** Removes a record; durable on return. Returns whether it existed. */
  delete(name: Uint8Array): boolean {
    const id = uuidToString(name);
    const existed = this.records.delete(id);
    unlinkDurable(this.fileOf(id));
    return existed;
  }

  private fileOf(id: string): string {
    return path.join(this.dir, `${id}.json`);
  }
}
