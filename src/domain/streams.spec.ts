import { InvalidCommand } from './errors';
import { AUDIT_STREAM, parseStreamName, streamName } from './streams';

const SHA = 'ab'.repeat(32);

describe('streamName', () => {
  it.each([
    ['hsm', 'hsm-a', 'hsm-hsm-a'],
    ['kekdomain', 'kd-1', 'kekdomain-kd-1'],
    ['key', '0b6c6e1e-6f0e-4a53-9b5c-3c0a0d7f2a11', 'key-0b6c6e1e-6f0e-4a53-9b5c-3c0a0d7f2a11'],
    ['blob', SHA, `blob-${SHA}`],
    ['operator', 'alice', 'operator-alice'],
    ['approval', 'ap-7', 'approval-ap-7'],
  ] as const)('names a %s stream', (category, id, expected) => {
    expect(streamName(category, id)).toBe(expected);
    expect(parseStreamName(expected)).toEqual({ category, id });
  });

  it('names the audit stream', () => {
    expect(streamName('audit')).toBe('audit');
    expect(parseStreamName(AUDIT_STREAM)).toEqual({ category: 'audit' });
  });

  it.each([
    ['key', ''],
    ['key', 'a b'],
    ['hsm', '../x'],
    ['blob', 'AB'.repeat(32)],
    ['blob', 'ab'],
  ] as const)('refuses a %s id %j', (category, id) => {
    expect(() => streamName(category, id)).toThrow(InvalidCommand);
  });

  it.each(['key', 'nope-1', `blob-${'x'.repeat(64)}`, 'key-'])('does not parse %j', (name) => {
    expect(parseStreamName(name)).toBeNull();
  });
});
