/**
 * `keyledger ledger copy` and `KEYLEDGER_EVENTSTORE` on what a new user gets wrong, against real
 * files and a real PostgreSQL server (README, "Moving a ledger" and "Several instances on
 * PostgreSQL"): the source is only read, so a source with no ledger is refused and nothing is
 * created in it; a URL parameter keyledger and node-postgres do not use is refused by name; the
 * target directory is private (0700, files 0600); a failed copy takes away what it created and
 * nothing else; a target that is a file is a usage error. No message ever holds the URL's password.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';
import { openSqliteEventStore } from '../../src/event-store';
import { chainedEventStore } from '../../src/event-store/chained-event-store';
import { openPostgresEventStore } from '../../src/event-store/postgres-event-store';
import { runCli, type CliResult } from '../support/cli';
import { ledgerUrl, useTestDatabase } from '../support/postgres';

const database = useTestDatabase();
const PASSWORD = 'pw-s3cret-7f1';
/** The test database's URL with a password (trust auth ignores it) and `query` appended. */
const withPassword = (query: string) => {
  const u = new URL(database().url);
  u.username ||= 'postgres';
  u.password = PASSWORD;
  return `${u.toString()}${query}`;
};

async function schemas(): Promise<string[]> {
  const client = new Client({ connectionString: database().url });
  await client.connect();
  try {
    const result = await client.query<{ name: string }>('SELECT nspname AS name FROM pg_namespace');
    return result.rows.map((r) => r.name);
  } finally {
    await client.end();
  }
}

async function sql(text: string): Promise<void> {
  const client = new Client({ connectionString: database().url });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

const copy = (from: string, to: string) => runCli(['ledger', 'copy', '--from', from, '--to', to]);

function expectNoPassword(result: CliResult): void {
  expect(result.stdout + result.stderr).not.toContain(PASSWORD);
}

const mode = (file: string) => (fs.statSync(file).mode & 0o777).toString(8);

describe('keyledger ledger copy', () => {
  let scratch: string;
  beforeEach(() => {
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'kl-copy-cli-'));
  });
  afterEach(() => fs.rmSync(scratch, { recursive: true, force: true }));

  /** An embedded ledger of three chained events in `dir`. */
  async function sqliteLedger(dir: string): Promise<void> {
    const store = await openSqliteEventStore(dir);
    const chained = chainedEventStore(store);
    await chained.append('key-1', [{ type: 'Made', data: { n: 1 } }]);
    await chained.append('key-2', [{ type: 'Made', data: { n: 2 } }]);
    await chained.append('key-1', [{ type: 'Moved', data: { to: 'b' } }]);
    await store.close();
  }

  describe('from a PostgreSQL schema that does not exist', () => {
    it('refuses it as a missing data directory is refused, and creates neither schema nor target', async () => {
      const target = path.join(scratch, 'x');
      const result = await copy(withPassword('?schema=nosuch'), target);
      expect(result.stdout).toBe('');
      expect(result.stderr.trim()).toBe(
        `keyledger: there is no ledger in postgres://127.0.0.1:5432/${database().name}?schema=nosuch: ` +
          'schema "nosuch" does not exist',
      );
      expect(result.code).toBe(2);
      expect(await schemas()).not.toContain('nosuch');
      expect(fs.existsSync(target)).toBe(false);
      expectNoPassword(result);
    });
  });

  describe('from a PostgreSQL schema that is empty or holds something else', () => {
    it('refuses each and writes nothing into it', async () => {
      await sql('CREATE SCHEMA bare; CREATE SCHEMA shop; CREATE TABLE shop.orders (id int)');
      const bare = await copy(withPassword('?schema=bare'), path.join(scratch, 'a'));
      expect(bare.stderr).toContain('there is no ledger in postgres://');
      expect(bare.stderr).toContain('schema "bare" is empty');
      expect(bare.code).toBe(2);
      const shop = await copy(withPassword('?schema=shop'), path.join(scratch, 'b'));
      expect(shop.stderr).toContain('schema "shop" holds tables (orders) but no keyledger ledger');
      expect(shop.code).toBe(2);
      const client = new Client({ connectionString: database().url });
      await client.connect();
      const tables = await client.query<{ t: string }>(
        "SELECT table_schema || '.' || table_name AS t FROM information_schema.tables " +
          "WHERE table_schema IN ('bare', 'shop') ORDER BY 1",
      );
      await client.end();
      expect(tables.rows.map((r) => r.t)).toEqual(['shop.orders']);
      expect(fs.readdirSync(scratch)).toEqual([]);
      expectNoPassword(bare);
      expectNoPassword(shop);
    });
  });

  describe('with a URL parameter that neither keyledger nor node-postgres uses', () => {
    it.each([
      ['--from', '?schema=s1&foo=bar', 'foo'],
      ['--from', '?shema=s1', 'shema'],
      ['--to', '?schema=s2&sslmod=disable', 'sslmod'],
    ])('%s …%s is refused naming "%s" and listing the accepted ones', async (flag, query, name) => {
      const source = path.join(scratch, 'src');
      await sqliteLedger(source);
      const target = path.join(scratch, 'out');
      const url = withPassword(query);
      const result = flag === '--from' ? await copy(url, target) : await copy(source, url);
      expect(result.stderr).toContain(
        `keyledger: ${flag}: the PostgreSQL ledger URL has an unknown parameter "${name}"`,
      );
      expect(result.stderr).toContain('accepted: schema, connect_timeout, host, port, user, password');
      expect(result.stderr).toContain('sslmode');
      expect(result.code).toBe(2);
      expect(fs.existsSync(target)).toBe(false);
      expect(await schemas()).not.toContain('s2');
      expectNoPassword(result);
    });
  });

  describe('into a new data directory', () => {
    it('creates it and every directory above it 0700 and the ledger files 0600', async () => {
      const source = path.join(scratch, 'src');
      await sqliteLedger(source);
      const target = path.join(scratch, 'new', 'data');
      const result = await copy(source, target);
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(result.stdout).toContain('verified: both hold 3 events');
      expect([mode(path.join(scratch, 'new')), mode(target)]).toEqual(['700', '700']);
      const files = fs.readdirSync(target);
      expect(files).toContain('ledger.sqlite');
      expect(files.map((f) => [f, mode(path.join(target, f))])).toEqual(files.map((f) => [f, '600']));
    });
  });

  describe('from PostgreSQL into a data directory and back', () => {
    it('copies a ledger that is there, through a URL with parameters node-postgres takes', async () => {
      const source = path.join(scratch, 'src');
      await sqliteLedger(source);
      const url = `${ledgerUrl(withPassword(''))}&application_name=kl-copy&sslmode=disable&connect_timeout=5`;
      const there = await copy(source, url);
      expect(there.code).toBe(0);
      const back = await copy(url, path.join(scratch, 'back'));
      expect(back.stderr).toBe('');
      expect(back.code).toBe(0);
      expect(back.stdout).toContain('verified: both hold 3 events');
      expectNoPassword(there);
      expectNoPassword(back);
    });
  });

  describe('that fails', () => {
    it('leaves no target directory behind when the source is missing', async () => {
      const target = path.join(scratch, 'a', 'b');
      const result = await copy(path.join(scratch, 'none'), target);
      expect(result.stderr.trim()).toBe(`keyledger: there is no ledger in ${path.join(scratch, 'none')}`);
      expect(result.code).toBe(2);
      expect(fs.readdirSync(scratch)).toEqual([]);
    });

    // A source the copy cannot replay (a stream that starts at revision 1) fails once the target exists.
    async function brokenPostgresLedger(): Promise<string> {
      const url = ledgerUrl(database().url);
      await (await openPostgresEventStore(url)).close();
      const s = new URL(url).searchParams.get('schema')!;
      await sql(
        `INSERT INTO ${s}.events VALUES (1, 'key-1', 1, 'e1', 'Made', '{}', '{}', '2024-01-01T00:00:00Z');
         INSERT INTO ${s}.streams VALUES ('key-1', 1); UPDATE ${s}.head SET position = 1`,
      );
      return url;
    }

    it('removes the directories it created, with the ledger in them', async () => {
      const source = await brokenPostgresLedger();
      const target = path.join(scratch, 'a', 'b');
      const result = await copy(source, target);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('expected revision 0');
      expect(fs.readdirSync(scratch)).toEqual([]);
    });

    it('in a directory that was there, removes only the ledger files it created', async () => {
      const source = await brokenPostgresLedger();
      const target = path.join(scratch, 'kept');
      fs.mkdirSync(target, { mode: 0o700 });
      fs.writeFileSync(path.join(target, 'notes.txt'), 'mine');
      const result = await copy(source, target);
      expect(result.code).toBe(1);
      expect(fs.readdirSync(target)).toEqual(['notes.txt']);
    });
  });

  describe('--to an existing regular file', () => {
    it('is a usage error naming the path, and the file is left as it was', async () => {
      const source = path.join(scratch, 'src');
      await sqliteLedger(source);
      const file = path.join(scratch, 'file');
      fs.writeFileSync(file, 'not a ledger');
      const result = await copy(source, file);
      expect(result.stderr.trim()).toBe(
        `keyledger: --to ${file} is a file, not a directory: name a new or empty directory for the copy`,
      );
      expect(result.code).toBe(2);
      expect(fs.readFileSync(file, 'utf8')).toBe('not a ledger');

      const below = await copy(source, path.join(file, 'sub'));
      expect(below.stderr.trim()).toBe(
        `keyledger: --to ${path.join(file, 'sub')} cannot be created: a directory on its path is a file`,
      );
      expect(below.code).toBe(2);
    });
  });
});

describe('keyledger serve with KEYLEDGER_EVENTSTORE', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kl-serve-url-'));
  });
  afterEach(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it.each([
    ['?foo=bar', 'foo'],
    ['?shema=other', 'shema'],
  ])('postgres://…%s stops start-up naming "%s", and creates no schema', async (query, name) => {
    const result = await runCli(['serve'], {
      KEYLEDGER_DATA_DIR: dataDir,
      KEYLEDGER_PORT: '0',
      KEYLEDGER_EVENTSTORE: withPassword(query),
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `the PostgreSQL ledger URL has an unknown parameter "${name}"; accepted: schema`,
    );
    expect(result.stdout).not.toContain('listening');
    expect(await schemas()).not.toContain('keyledger');
    expectNoPassword(result);
  });
});
