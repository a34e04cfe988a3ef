/**
 * Acceptance (issue 12): a 10,000-key embedded ledger copied into PostgreSQL with `keyledger ledger
 * copy` verifies (count and SHA-256 of both, and `audit verify` of the copy's hash chain) and a
 * service on the copy answers `GET /v1/keys` exactly as one on the original. Then back: the
 * PostgreSQL ledger copied into a new embedded one holds the same digest.
 *
 * `npm test` copies a 2,000-key ledger (CI's time budget); `npm run test:ledger-copy-acceptance`
 * runs the 10,000 keys (KEYLEDGER_TEST_COPY_KEYS).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { seedKeys } from '../../bench/seed';
import { openSqliteEventStore } from '../../src/event-store';
import { startService, type Service } from '../api/support/service';
import { runCli } from '../support/cli';
import { ledgerUrl, useTestDatabase } from '../support/postgres';

const KEYS = Number(process.env.KEYLEDGER_TEST_COPY_KEYS ?? 2_000);
const database = useTestDatabase();

describe(`keyledger ledger copy of a ${KEYS.toLocaleString('en')}-key ledger`, () => {
  const services: Service[] = [];
  let original: string;
  let url: string;
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'kl-copy-'));

  afterAll(async () => {
    await Promise.all(services.map((s) => s.close()));
    fs.rmSync(scratch, { recursive: true, force: true });
  });

  it('copies SQLite into PostgreSQL and says what it verified', async () => {
    original = path.join(scratch, 'original');
    await seedKeys(original, KEYS);
    const events = await (async () => {
      const store = await openSqliteEventStore(original);
      try {
        return await store.headPosition();
      } finally {
        await store.close();
      }
    })();
    url = ledgerUrl(database().url, 'copied');
    const copy = await runCli(['ledger', 'copy', '--from', original, '--to', url, '--json'], {}, 120_000);
    expect(copy.stderr).toBe('');
    expect(copy.code).toBe(0);
    const report = JSON.parse(copy.stdout) as { events: number; digest: string; to: string };
    expect(report).toMatchObject({ events, to: expect.stringMatching(/^postgres:\/\/127\.0\.0\.1:5432\//) });
    expect(report.digest).toMatch(/^[0-9a-f]{64}$/);

    const verify = await runCli(
      ['audit', 'verify', '--json', '--no-record'],
      { KEYLEDGER_EVENTSTORE: url },
      120_000,
    );
    expect(verify.code).toBe(0);
    expect(JSON.parse(verify.stdout)).toMatchObject({ ok: true });

    const again = await runCli(['ledger', 'copy', '--from', original, '--to', url]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('the target ledger is not empty');
  }, 240_000);

  it('serves the same GET /v1/keys from the copy as from the original', async () => {
    const fromSqlite = await startService({
      demo: false,
      seed: async (dir) => fs.cpSync(original, dir, { recursive: true }),
    });
    services.push(fromSqlite);
    const fromPostgres = await startService({ demo: false, env: { KEYLEDGER_EVENTSTORE: url } });
    services.push(fromPostgres);
    const [a, b] = await Promise.all([
      fromSqlite.json<unknown[]>('GET', '/v1/keys'),
      fromPostgres.json<unknown[]>('GET', '/v1/keys'),
    ]);
    expect(a).toHaveLength(KEYS);
    expect(b).toEqual(a);
  }, 240_000);

  it('copies PostgreSQL back into a new embedded ledger with the same digest', async () => {
    const back = path.join(scratch, 'back');
    const first = JSON.parse(
      (
        await runCli(
          ['ledger', 'copy', '--from', original, '--to', ledgerUrl(database().url, 'second'), '--json'],
          {},
          120_000,
        )
      ).stdout,
    ) as { digest: string };
    const copy = await runCli(
      ['ledger', 'copy', '--from', ledgerUrl(database().url, 'second'), '--to', back, '--json'],
      {},
      120_000,
    );
    expect(copy.code).toBe(0);
    expect((JSON.parse(copy.stdout) as { digest: string }).digest).toBe(first.digest);
  }, 240_000);
});
