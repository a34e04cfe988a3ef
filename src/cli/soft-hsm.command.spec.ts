import { DEFAULT_CAPACITY } from '../soft-hsm/options';
import { SOFT_HSM_DEFAULT_CAPACITY, parseKekHex, parseListen, parsePin } from './soft-hsm.command';

describe('soft-hsm command option parsers', () => {
  it('takes a KEK of exactly 64 hex digits and never echoes it', () => {
    expect(parseKekHex('AB'.repeat(32))).toEqual(Buffer.alloc(32, 0xab));
    expect(() => parseKekHex('ab'.repeat(15))).toThrow('--kek-hex must be 64 hex digits (32 bytes), got 30');
    expect(() => parseKekHex('secretsecret')).toThrow(
      '--kek-hex must be 64 hex digits (32 bytes), got non-hex characters',
    );
  });

  it('takes PINs of 4..4096 bytes (UTF-8)', () => {
    expect(parsePin('fnord')).toBe('fnord');
    expect(() => parsePin('é1')).toThrow('--pin must be 4 to 4096 bytes, got 3');
  });

  it('parses HOST:PORT, IPv6 in brackets', () => {
    expect(parseListen('127.0.0.1:9000')).toEqual({ host: '127.0.0.1', port: 9000 });
    expect(parseListen('[::1]:0')).toEqual({ host: '::1', port: 0 });
    expect(() => parseListen('host:70000')).toThrow('--listen port must be between 0 and 65535, got 70000');
    expect(() => parseListen('::1:80')).toThrow(/--listen must be HOST:PORT/);
  });

  it("names the soft HSM's own default capacity in its help text", () => {
    expect(SOFT_HSM_DEFAULT_CAPACITY).toBe(DEFAULT_CAPACITY);
  });
});
