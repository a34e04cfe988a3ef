/**
 * Acceptance, hashsig safety proved by a model-based test (issue 13), fixed seed: random sequences
 * of generate, sign, raw export, raw import of current and stale blobs, stale hand-ins, transfer,
 * residency delete, prefetch and paging under a small capacity, reconcile, keystore snapshots and
 * planted restores, and SIGKILL of `keyledger serve` at a random fault point, each against a fresh
 * world of two soft HSMs and the service. After every step the invariants hold (test/model/world.ts);
 * a failure is shrunk to a minimal command list and printed with the seed and path that replay it
 * (`npm run soak -- --seed S --path P`).
 */
import { FIXED_RUN, FIXED_SEED, runModel } from './run';

describe('hashsig safety, model-based (fixed seed, SQLite ledger)', () => {
  it('holds every invariant over random sequences with crashes and planted restores', async () => {
    const result = await runModel({
      ...FIXED_RUN,
      world: { capacity: 4 },
    });
    if (result.failure !== null)
      throw new Error(`${result.failure}\nsteps:\n${result.failingLog.join('\n')}`);
    // The run exercised what it claims to: planted restores refused, crashes recovered.
    expect(result.totals.sequences).toBe(FIXED_RUN.runs);
    expect(result.totals.plantedRestores).toBeGreaterThan(0);
    expect(result.totals.crashes).toBeGreaterThan(0);
    expect(result.totals.refusals).toBeGreaterThan(0);
    console.log(`model-based run, seed ${FIXED_SEED}: ${JSON.stringify(result.totals)}`);
  }, 170_000);
});
