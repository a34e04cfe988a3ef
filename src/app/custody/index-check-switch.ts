/**
 * The deliberately broken build (issue 13): with `KEYLEDGER_TEST_SKIP_INDEX_CHECK=1` the ledger
 * releases hashsig signatures without judging their index paths against the index log
 * (docs/architecture.md §3 "Observed state and the index log"), so reuse goes through. It exists
 * only so the model-based test can prove that it fails on such a build; outside a test run
 * (NODE_ENV=test, as jest sets it) the service refuses to start with it.
 */
export const SKIP_INDEX_CHECK_ENV = 'KEYLEDGER_TEST_SKIP_INDEX_CHECK';

export function skipIndexCheck(env: NodeJS.ProcessEnv): boolean {
  return env[SKIP_INDEX_CHECK_ENV] === '1' && env.NODE_ENV === 'test';
}

/** Start-up check: the switch is refused outside tests, and any value but 1 or empty is a typo. */
export function checkSkipIndexCheckEnv(env: NodeJS.ProcessEnv): void {
  const value = env[SKIP_INDEX_CHECK_ENV];
  if (value === undefined || value === '' || value === '0') return;
  if (value !== '1')
    throw new Error(`${SKIP_INDEX_CHECK_ENV} must be 1 or empty; got "${value.slice(0, 20)}"`);
  if (env.NODE_ENV !== 'test')
    throw new Error(
      `${SKIP_INDEX_CHECK_ENV}=1 releases reused hashsig indices; it is a test-only switch and needs NODE_ENV=test`,
    );
}
