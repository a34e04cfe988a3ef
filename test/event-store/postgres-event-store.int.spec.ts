import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { LedgerUnavailable, WrongExpectedRevision, type RecordedEvent } from '../../src/event-store';
import { chainedEventStore } from '../../src/event-store/chained-event-store';
import {
  openPostgresEventStore,
  parsePostgresUrl,
  type PostgresEventStore,
} from '../../src/event-store/postgres-event-store';
import { NoLedger } from '../../src/event-store/postgres-schema';
import { ledgerUrl, useTestDatabase } from '../support/postgres';
import { within } from '../support/within';
import { describeEventStoreContract } from './event-store.contract';

const database = useTestDatabase();

async function dropSchema(url: string): Promise<void> {
  const schema = new URL(url).searchParams.get('schema')!;
  const u = new URL(url);
  u.search = '';
  const client = new Client({ connectionString: u.toString() });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } finally {
    await client.end();
  }
}

describeEventStoreContract('PostgresEventStore', async () => {
  const url = ledgerUrl(database().url);
  const store = await openPostgresEventStore(url);
  return {
    store,
    async cleanup() {
      await store.close();
      await dropSchema(url);
    },
  };
});

describeEventStoreContract(
  'chained PostgresEventStore',
  async () => {
    const url = ledgerUrl(database().url);
    const store = chainedEventStore(await openPostgresEventStore(url));
    return {
      store,
      async cleanup() {
        await store.close();
        await dropSchema(url);
      },
    };
  },
  { chained: true },
);

describe('PostgresEventStore across instances', () => {
  const stores: PostgresEventStore[] = [];
  let url: string;

  beforeEach(() => {
    url = ledgerUrl(database().url);
  });
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((s) => s.close()));
    await dropSchema(url);
  });

  async function instance(
    options?: Parameters<typeof openPostgresEventStore>[1],
  ): Promise<PostgresEventStore> {
    const store = await openPostgresEventStore(url, options);
    stores.push(store);
    return store;
  }

  it('a catch-up reader sees every event of many concurrent writers on four instances exactly once, in position order', async () => {
    const writers = await Promise.all([1, 2, 3, 4].map(() => instance()));
    const reader = await instance();
    const total = 4 * 16 * 25;
    const subscription = reader.subscribeToAll();
    const delivered: RecordedEvent[] = [];
    const reading = (async () => {
      for await (const e of subscription) {
        delivered.push(e);
        if (delivered.length === total) break;
      }
    })();
    const acknowledged: Array<{ id: string; position: number }> = [];
    await Promise.all(
      writers.flatMap((store, s) =>
        Array.from({ length: 16 }, async (_, w) => {
          for (let i = 0; i < 25; i++) {
            const id = randomUUID();
            // Two streams per writer, some shared across instances: revisions must still be dense.
            const stream = i % 2 === 0 ? `own-${s}-${w}` : `shared-${w}`;
            const { position } = await store.append(stream, [{ id, type: 'Written', data: { s, w, i } }]);
            acknowledged.push({ id, position });
          }
        }),
      ),
    );
    await within(30_000, 'the reader catching up', reading);
    expect(delivered.map((e) => e.position)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    const byPosition = new Map(delivered.map((e) => [e.position, e.id]));
    for (const { id, position } of acknowledged) expect(byPosition.get(position)).toBe(id);
    for (let w = 0; w < 16; w++) {
      const shared = await reader.readStream(`shared-${w}`);
      expect(shared.map((e) => e.revision)).toEqual(Array.from({ length: 4 * 12 }, (_, i) => i));
    }
    expect(await reader.headPosition()).toBe(total);
  });

  it('wakes a subscription on another instance by NOTIFY, with no polling to fall back on', async () => {
    const writer = await instance();
    const reader = await instance({ fallbackWakeMs: 3_600_000 });
    const subscription = reader.subscribeToAll();
    const iterator = subscription[Symbol.asyncIterator]();
    const first = iterator.next();
    await subscription.caughtUp;
    // The listener connects in the background; an append before it listens is found on connect.
    await writer.append('s', [{ type: 'First', data: {} }]);
    expect((await within(10_000, 'the first event', first)).value).toMatchObject({ type: 'First' });
    // Delivered either way, the listener is up now: only a notification can bring the next one.
    const second = iterator.next();
    await writer.append('s', [{ type: 'Second', data: {} }]);
    expect((await within(10_000, 'the notified event', second)).value).toMatchObject({
      type: 'Second',
      position: 2,
    });
    await subscription.close();
  });

  it('settles each caller of a batch with its own result when some conflict', async () => {
    const [a, b] = await Promise.all([instance(), instance()]);
    await a.append('k', [{ type: 'Created', data: {} }]);
    const results = await Promise.allSettled(
      [a, b, a, b].map((store) => store.append('k', [{ type: 'Next', data: {} }], { expectedRevision: 0 })),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results.filter((r): r is PromiseRejectedResult => r.status === 'rejected'))
      expect(r.reason).toBeInstanceOf(WrongExpectedRevision);
    expect((await a.readStream('k')).map((e) => e.type)).toEqual(['Created', 'Next']);
  });
});

describe('PostgresEventStore schema', () => {
  let url: string;
  beforeEach(() => {
    url = ledgerUrl(database().url);
  });
  afterEach(() => dropSchema(url));

  async function sql(text: string): Promise<void> {
    const u = new URL(url);
    u.search = '';
    const client = new Client({ connectionString: u.toString() });
    await client.connect();
    try {
      await client.query(text);
    } finally {
      await client.end();
    }
  }
  const schema = () => new URL(url).searchParams.get('schema')!;

  it('is created on first open, and a second open keeps what the first wrote', async () => {
    const first = await openPostgresEventStore(url);
    await first.append('s', [{ type: 'Kept', data: { n: 1 } }]);
    await first.close();
    const second = await openPostgresEventStore(url);
    expect((await second.readAll()).map((e) => [e.position, e.type, e.data])).toEqual([
      [1, 'Kept', { n: 1 }],
    ]);
    await second.close();
  });

  it('refuses a schema newer than this code knows, saying so', async () => {
    await (await openPostgresEventStore(url)).close();
    await sql(`UPDATE ${schema()}.meta SET value = '99' WHERE key = 'schema_version'`);
    await expect(openPostgresEventStore(url)).rejects.toThrow(
      /schema is version 99, newer than this keyledger knows \(1\)/,
    );
  });

  it('refuses a schema that holds tables of something else', async () => {
    await sql(`CREATE SCHEMA ${schema()}; CREATE TABLE ${schema()}.orders (id int)`);
    await expect(openPostgresEventStore(url)).rejects.toThrow(
      /holds tables \(orders\) but is not a keyledger ledger/,
    );
  });

  it('names the server but never the password when it cannot connect', async () => {
    const error = await openPostgresEventStore('postgres://me:s3cret-pw@127.0.0.1:1/nowhere').catch(
      (e: Error) => e,
    );
    expect(error).toBeInstanceOf(LedgerUnavailable);
    expect((error as Error).message).toMatch(
      /PostgreSQL ledger 127\.0\.0\.1:1\/nowhere \(schema keyledger\): connecting failed/,
    );
    expect((error as Error).message).not.toContain('s3cret');
  });

  it('refuses a schema name that is not a plain identifier', async () => {
    await expect(openPostgresEventStore('postgres://127.0.0.1/db?schema=a;drop')).rejects.toThrow(
      /schema must be a lower-case identifier/,
    );
  });
});

describe('PostgresEventStore URL parameters', () => {
  const base = 'postgres://me:s3cret-pw@127.0.0.1:5432/db';

  it.each([
    ['?foo=bar', 'unknown parameter "foo"; accepted: schema, connect_timeout, host, port, user, password'],
    ['?shema=x', 'unknown parameter "shema"; accepted: schema,'],
    ['?schema=a&schema=b', 'has the parameter "schema" twice'],
    ['?ssl=false', 'ssl must be one of true, 1, 0, no-verify, got "false"'],
    ['?sslmode=allow', 'sslmode must be one of disable, prefer, require, verify-ca, verify-full, no-verify'],
    ['?connect_timeout=soon', 'connect_timeout must be whole seconds 0..3600 (0: no limit), got "soon"'],
  ])('refuses %s, saying why and never showing the password', (query, message) => {
    expect(() => parsePostgresUrl(`${base}${query}`)).toThrow(message);
    expect(() => parsePostgresUrl(`${base}${query}`)).not.toThrow(/s3cret/);
  });

  it('keeps what node-postgres reads for it, and takes its own parameters off', () => {
    const location = parsePostgresUrl(
      `${base}?schema=ledger_a&application_name=kl&sslmode=disable&options=-c%20statement_timeout%3D0&connect_timeout=3`,
    );
    expect(location).toMatchObject({ schema: 'ledger_a', connectTimeoutMs: 3000 });
    const passed = new URL(location.connectionString).searchParams;
    expect([...passed.keys()]).toEqual(['application_name', 'sslmode', 'options']);
    expect(parsePostgresUrl(base).connectTimeoutMs).toBe(10_000);
    expect(parsePostgresUrl('postgres:///db?host=/run/postgresql').where).toBe(
      'PostgreSQL ledger /run/postgresql:5432/db (schema keyledger)',
    );
  });

  it('opens with parameters node-postgres uses: the session carries them', async () => {
    const url = `${ledgerUrl(database().url)}&application_name=kl-url-test&connect_timeout=5`;
    const store = await openPostgresEventStore(url);
    try {
      await store.append('s', [{ type: 'Kept', data: {} }]);
      expect(await store.headPosition()).toBe(1);
      const client = new Client({ connectionString: database().url });
      await client.connect();
      const sessions = await client.query(
        "SELECT 1 FROM pg_stat_activity WHERE application_name = 'kl-url-test' AND datname = current_database()",
      );
      await client.end();
      expect(sessions.rowCount).toBeGreaterThan(0);
    } finally {
      await store.close();
      await dropSchema(url);
    }
  });
});

describe('PostgresEventStore opened as an existing ledger', () => {
  let url: string;
  beforeEach(() => {
    url = ledgerUrl(database().url);
  });
  afterEach(() => dropSchema(url));
  const schema = () => new URL(url).searchParams.get('schema')!;

  async function schemaExists(): Promise<boolean> {
    const u = new URL(url);
    u.search = '';
    const client = new Client({ connectionString: u.toString() });
    await client.connect();
    try {
      return (await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema()])).rowCount === 1;
    } finally {
      await client.end();
    }
  }

  it('refuses a schema that is absent, and does not create it', async () => {
    const error = await openPostgresEventStore(url, { existing: true }).catch((e: Error) => e);
    expect(error).toBeInstanceOf(NoLedger);
    expect((error as NoLedger).reason).toBe(`schema "${schema()}" does not exist`);
    expect(await schemaExists()).toBe(false);
  });

  it('opens a ledger that is there, and reads it', async () => {
    const writer = await openPostgresEventStore(url);
    await writer.append('s', [{ type: 'Kept', data: { n: 1 } }]);
    await writer.close();
    const reader = await openPostgresEventStore(url, { existing: true });
    try {
      expect((await reader.readAll()).map((e) => e.type)).toEqual(['Kept']);
    } finally {
      await reader.close();
    }
  });
});
