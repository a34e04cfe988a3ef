/**
 * Acceptance, hashsig safety proved by a model-based test (issue 13), with a server store: the
 * same commands against two `keyledger serve` instances on one PostgreSQL ledger, each step sent
 * to either, plus racing moves (two imports of one blob through both instances: exactly one wins;
 * signs through both at once: no index twice), and SIGKILL of either instance at a fault point.
 */
import { FIXED_SEED, runModel } from './run';
import { createTestDatabase, type TestDatabase } from '../support/postgres';

describe('hashsig safety, model-based (fixed seed, two instances on PostgreSQL)', () => {
  let database: TestDatabase;
  let schemas = 0;

  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await database?.drop();
  });

  it('holds every invariant with both instances acting on the same keys', async () => {
    const result = await runModel({
      seed: FIXED_SEED + 1,
      runs: 4,
      maxCommands: 16,
      crashes: true,
      twoInstances: true,
      world: () => {
        // A fresh ledger (schema) per sequence in the suite's database.
        const u = new URL(database.url);
        u.searchParams.set('schema', `mb${++schemas}`);
        return { capacity: 4, postgresUrl: u.toString() };
      },
    });
    if (result.failure !== null)
      throw new Error(`${result.failure}\nsteps:\n${result.failingLog.join('\n')}`);
    expect(result.totals.sequences).toBe(4);
    expect(result.totals.races).toBeGreaterThan(0);
    console.log(`model-based run on PostgreSQL, seed ${FIXED_SEED + 1}: ${JSON.stringify(result.totals)}`);
  }, 170_000);
});
