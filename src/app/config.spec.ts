/** loadConfig at the boundary: defaults, and a bad value refused with a message naming the variable. */
import { ConfigError, DEFAULT_REQUEST_TIMEOUT_MS, loadConfig } from './config';

describe('KEYLEDGER_REQUEST_TIMEOUT_MS', () => {
  it.each<[string, string | undefined, number]>([
    ['unset', undefined, DEFAULT_REQUEST_TIMEOUT_MS],
    ['empty', ' ', DEFAULT_REQUEST_TIMEOUT_MS],
    ['the lowest', '100', 100],
    ['a second, with spaces', ' 1000 ', 1000],
    ['the highest', '600000', 600_000],
  ])('%s: %s gives %i ms', (_label, value, expected) => {
    expect(loadConfig({ KEYLEDGER_REQUEST_TIMEOUT_MS: value }).requestTimeoutMs).toBe(expected);
  });

  it('defaults to 30 s', () => {
    expect(DEFAULT_REQUEST_TIMEOUT_MS).toBe(30_000);
  });

  it.each(['0', '99', '600001', '1.5', '-1000', '1e4', '30s', '0x3e8'])(
    'refuses %s naming the variable',
    (value) => {
      expect(() => loadConfig({ KEYLEDGER_REQUEST_TIMEOUT_MS: value })).toThrow(
        new ConfigError(
          `KEYLEDGER_REQUEST_TIMEOUT_MS must be a whole number of milliseconds from 100 to 600000, got "${value}"`,
        ),
      );
    },
  );
});
