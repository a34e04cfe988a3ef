/**
 * The model-based test can fail (issue 13): against a deliberately broken build — the service
 * started with the test-only KEYLEDGER_TEST_SKIP_INDEX_CHECK=1, which releases hashsig signatures
 * without judging their index paths — the fixed-seed run finds a sequence that gets a reused index
 * out, and reports it.
 */
import { FIXED_RUN, runModel } from './run';
import { World } from './world';

describe('hashsig safety, model-based, against a build that skips the index check', () => {
  it('fails the fixed-seed run, naming the reused index', async () => {
    const result = await runModel({
      ...FIXED_RUN,
      noShrink: true,
      world: { capacity: 4, env: { NODE_ENV: 'test', KEYLEDGER_TEST_SKIP_INDEX_CHECK: '1' } },
    });
    expect(result.failure).not.toBeNull();
    expect(result.failure).toMatch(/was returned twice \(reuse of hashsig state\)|must be refused/);
    expect(result.failure).toMatch(/Counterexample: \[.*rollback-and-sign|planted-restore/);
    expect(result.failure).toMatch(new RegExp(`seed: ${FIXED_RUN.seed}, path: "\\d+`));
  }, 170_000);

  it('is refused outside a test run: the service does not start with the switch', async () => {
    await expect(
      World.start({ capacity: 4, env: { NODE_ENV: 'production', KEYLEDGER_TEST_SKIP_INDEX_CHECK: '1' } }),
    ).rejects.toThrow(
      /KEYLEDGER_TEST_SKIP_INDEX_CHECK=1 releases reused hashsig indices; it is a test-only switch/,
    );
  }, 60_000);
});
