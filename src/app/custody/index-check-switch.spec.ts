import { checkSkipIndexCheckEnv, SKIP_INDEX_CHECK_ENV, skipIndexCheck } from './index-check-switch';

describe('the test-only switch that skips the index check', () => {
  it('is off unless set to 1 in a test run', () => {
    expect(skipIndexCheck({})).toBe(false);
    expect(skipIndexCheck({ [SKIP_INDEX_CHECK_ENV]: '1', NODE_ENV: 'production' })).toBe(false);
    expect(skipIndexCheck({ [SKIP_INDEX_CHECK_ENV]: 'yes', NODE_ENV: 'test' })).toBe(false);
    expect(skipIndexCheck({ [SKIP_INDEX_CHECK_ENV]: '1', NODE_ENV: 'test' })).toBe(true);
  });

  it('stops start-up outside a test run, and on a value that is not 1', () => {
    expect(() => checkSkipIndexCheckEnv({})).not.toThrow();
    expect(() => checkSkipIndexCheckEnv({ [SKIP_INDEX_CHECK_ENV]: '' })).not.toThrow();
    expect(() => checkSkipIndexCheckEnv({ [SKIP_INDEX_CHECK_ENV]: '1' })).toThrow(
      'KEYLEDGER_TEST_SKIP_INDEX_CHECK=1 releases reused hashsig indices; it is a test-only switch and needs NODE_ENV=test',
    );
    expect(() => checkSkipIndexCheckEnv({ [SKIP_INDEX_CHECK_ENV]: 'on', NODE_ENV: 'test' })).toThrow(
      'KEYLEDGER_TEST_SKIP_INDEX_CHECK must be 1 or empty; got "on"',
    );
  });
});
