import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

/**
 * The PostgreSQL server the tests use: KEYLEDGER_TEST_PG_URL, or the project machines' local one
 * (127.0.0.1:5432, trust auth). CI starts it when it is down (.ci/run).
 */
export const TEST_SERVER_URL =
  process.env.KEYLEDGER_TEST_PG_URL?.trim() || 'postgres://postgres@127.0.0.1:5432/postgres';

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

async function admin<T>(work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: TEST_SERVER_URL, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
  } catch (error) {
    throw new Error(
      `the tests need a PostgreSQL server at ${new URL(TEST_SERVER_URL).host} (set KEYLEDGER_TEST_PG_URL, or start ` +
        `the local one: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start): ${(error as Error).message}`,
    );
  }
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

export interface TestDatabase {
  /** postgres:// URL of the database (add `?schema=` for a ledger of its own). */
  readonly url: string;
  readonly name: string;
  drop(): Promise<void>;
}

/** A new, empty database for one test file; `drop()` removes it even if clients are still connected. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `keyledger_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  await admin((client) => client.query(`CREATE DATABASE ${name}`));
  return {
    url: withDatabase(TEST_SERVER_URL, name),
    name,
    drop: () =>
      admin((client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined),
  };
}

/** A database for the whole file: created in beforeAll, dropped in afterAll. */
export function useTestDatabase(): () => TestDatabase {
  let database: TestDatabase | undefined;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await database?.drop();
  });
  return () => {
    if (!database) throw new Error('no test database: beforeAll failed');
    return database;
  };
}

let schemas = 0;
/** `url` with a schema of its own (a fresh, empty ledger in a shared test database). */
export function ledgerUrl(url: string, schema = `t${process.pid}_${++schemas}`): string {
  const u = new URL(url);
  u.searchParams.set('schema', schema);
  return u.toString();
}
