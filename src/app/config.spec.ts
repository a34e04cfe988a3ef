/** loadConfig at the boundary: defaults, and a bad value refused with a message naming the variable. */
import { ConfigError, DEFAULT_CHECKPOINT_EVERY, DEFAULT_REQUEST_TIMEOUT_MS, loadConfig } from './config';

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

describe('KEYLEDGER_CHECKPOINT_EVERY', () => {
  it.each<[string, string | undefined, { events: number | null; seconds: number | null }]>([
    ['unset', undefined, DEFAULT_CHECKPOINT_EVERY],
    ['events', '500', { events: 500, seconds: null }],
    ['seconds', '30s', { events: null, seconds: 30 }],
    ['minutes', '5m', { events: null, seconds: 300 }],
    ['both', ' 1000 , 1h ', { events: 1000, seconds: 3600 }],
    ['off', 'off', { events: null, seconds: null }],
  ])('%s: %s', (_label, value, expected) => {
    expect(loadConfig({ KEYLEDGER_CHECKPOINT_EVERY: value }).checkpointEvery).toEqual(expected);
  });

  it.each(['0', '10x', '1000,2000', '60s,1m', '-5', '1.5s', 'never'])(
    'refuses %s naming the variable',
    (value) => {
      expect(() => loadConfig({ KEYLEDGER_CHECKPOINT_EVERY: value })).toThrow(
        new ConfigError(
          `KEYLEDGER_CHECKPOINT_EVERY must be a number of events (e.g. 1000), a time (e.g. 60s, 5m, 1h), both separated by a comma, or off; got "${value}"`,
        ),
      );
    },
  );
});

describe('KEYLEDGER_AUDIT_ORIGIN', () => {
  it('is unset by default and taken as given otherwise', () => {
    expect(loadConfig({}).auditOrigin).toBeUndefined();
    expect(loadConfig({ KEYLEDGER_AUDIT_ORIGIN: 'bank.example/keyledger-prod' }).auditOrigin).toBe(
      'bank.example/keyledger-prod',
    );
  });

  it.each(['has space', 'a+b', 'x'.repeat(201)])('refuses %s', (value) => {
    expect(() => loadConfig({ KEYLEDGER_AUDIT_ORIGIN: value })).toThrow(/KEYLEDGER_AUDIT_ORIGIN must be/);
  });
});

describe('KEYLEDGER_PAGING and KEYLEDGER_PAGING_POLICY', () => {
  it('pages with W-TinyLFU unless told otherwise', () => {
    expect(loadConfig({}).paging).toEqual({ enabled: true, policy: 'w-tinylfu' });
    expect(loadConfig({ KEYLEDGER_PAGING: 'OFF', KEYLEDGER_PAGING_POLICY: ' lru ' }).paging).toEqual({
      enabled: false,
      policy: 'lru',
    });
    expect(loadConfig({ KEYLEDGER_PAGING: 'on' }).paging.enabled).toBe(true);
  });

  it('refuses other values, naming the variable and the choices', () => {
    expect(() => loadConfig({ KEYLEDGER_PAGING: 'yes' })).toThrow(
      /KEYLEDGER_PAGING must be "on" or "off", got "yes"/,
    );
    expect(() => loadConfig({ KEYLEDGER_PAGING_POLICY: 'fifo' })).toThrow(
      /KEYLEDGER_PAGING_POLICY must be one of w-tinylfu, lru, got "fifo"/,
    );
  });
});
