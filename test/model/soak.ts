/**
 * `npm run soak -- --runs N --seed S [--seeds K] [--minutes M] [--store sqlite|postgres]
 * [--max-commands C] [--path P]`: the model-based hashsig test (issue 13) for as long as asked.
 * Runs N sequences for each of the seeds S, S+1, … S+K-1 (stopping before a new seed once M
 * minutes have passed), prints one JSON line per finished sequence and a summary, and exits 1 on
 * the first failure with fast-check's shrunk command list, the seed and path that replay it
 * (`--seed S --path P --runs 1`), and the failing sequence's steps.
 */
import { parseArgs } from 'node:util';
import { runModel, type ModelRunTotals } from './run';
import { createTestDatabase, type TestDatabase } from '../support/postgres';

const USAGE =
  'usage: npm run soak -- --runs N --seed S [--seeds K] [--minutes M] [--store sqlite|postgres] [--max-commands C] [--path P]';

function positive(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1) {
    console.error(`--${name} expected a positive integer, got "${value}"\n${USAGE}`);
    process.exit(2);
  }
  return n;
}

async function main(): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      options: {
        runs: { type: 'string' },
        seed: { type: 'string' },
        seeds: { type: 'string' },
        minutes: { type: 'string' },
        store: { type: 'string' },
        'max-commands': { type: 'string' },
        path: { type: 'string' },
        help: { type: 'boolean' },
      },
    }).values;
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  if (parsed.help) {
    console.log(USAGE);
    return 0;
  }
  const runs = positive('runs', parsed.runs, 20);
  const seed = parsed.seed === undefined ? Date.now() % 1_000_000_000 : positive('seed', parsed.seed, 1);
  const seeds = positive('seeds', parsed.seeds, 1);
  const minutes = parsed.minutes === undefined ? Infinity : positive('minutes', parsed.minutes, 1);
  const maxCommands = positive('max-commands', parsed['max-commands'], 24);
  const store = parsed.store ?? 'sqlite';
  if (store !== 'sqlite' && store !== 'postgres') {
    console.error(`--store expected sqlite or postgres, got "${store}"\n${USAGE}`);
    return 2;
  }
  const started = Date.now();
  const totals: ModelRunTotals & { seeds: number } = {
    seeds: 0,
    sequences: 0,
    steps: 0,
    crashes: 0,
    restarts: 0,
    plantedRestores: 0,
    signatures: 0,
    refusals: 0,
    races: 0,
  };
  let database: TestDatabase | undefined;
  let schemas = 0;
  try {
    if (store === 'postgres') database = await createTestDatabase();
    for (let s = seed; s < seed + seeds; s++) {
      if ((Date.now() - started) / 60_000 >= minutes) break;
      const result = await runModel({
        seed: s,
        runs,
        maxCommands,
        crashes: true,
        twoInstances: database !== undefined,
        ...(parsed.path === undefined ? {} : { path: parsed.path }),
        world: () => {
          if (database === undefined) return { capacity: 4 };
          const u = new URL(database.url);
          u.searchParams.set('schema', `soak${++schemas}`);
          return { capacity: 4, postgresUrl: u.toString() };
        },
        onSequence: (t) =>
          console.log(JSON.stringify({ seed: s, ...t, elapsedS: Math.round((Date.now() - started) / 1000) })),
      });
      totals.seeds++;
      for (const k of Object.keys(result.totals) as (keyof ModelRunTotals)[]) totals[k] += result.totals[k];
      if (result.failure !== null) {
        console.error(
          `FAILED (seed ${s}):\n${result.failure}\nsteps of the failing sequence:\n${result.failingLog.join('\n')}`,
        );
        console.log(JSON.stringify({ summary: true, ok: false, store, ...totals }));
        return 1;
      }
    }
  } finally {
    await database?.drop();
  }
  console.log(
    JSON.stringify({
      summary: true,
      ok: true,
      store,
      firstSeed: seed,
      ...totals,
      minutes: +((Date.now() - started) / 60_000).toFixed(1),
    }),
  );
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
