/** The HSM error taxonomy (§4.1, docs/style.md §8). */
import { errorCategory } from '../../../src/domain/error-category';
import { RpcFunc, RpcName } from '../../../src/hsm-adapter/constants';
import {
  FrameTooLarge,
  HAL_STATUS_NAMES,
  HalStatus,
  HalStatusError,
  halError,
  halStatusName,
  HsmError,
  HsmProtocolError,
  HsmTransportError,
  HsmUnknownStatus,
  XdrOverflow,
} from '../../../src/hsm-adapter/errors';

const codes = Array.from({ length: 50 }, (_, i) => i + 1);
const rpcNames = [undefined, ...(Object.keys(RpcFunc) as RpcName[])];

describe('halError for the 50 libhal statuses', () => {
  it.each(codes)('status %i gives its own class with the right code, name and RPC', (code) => {
    const err = halError(code, 'PKEY_OPEN');
    expect(err).toBeInstanceOf(HalStatusError);
    expect(err).toBeInstanceOf(HsmError);
    expect(err).not.toBeInstanceOf(HsmUnknownStatus);
    expect(err.kind).toBe('status');
    expect(err.code).toBe(code);
    expect(err.status).toBe(HAL_STATUS_NAMES[code]);
    expect(err.rpc).toBe('PKEY_OPEN');
    expect(err.name).toMatch(/^Hal[A-Za-z0-9]+$/);
    expect(err.message.startsWith(`PKEY_OPEN failed with ${HAL_STATUS_NAMES[code]} (${code}): `)).toBe(true);
  });

  it('uses 50 distinct classes, each named after its status', () => {
    const classes = codes.map((code) => halError(code).constructor);
    expect(new Set(classes).size).toBe(50);
    const names = codes.map((code) => halError(code).name);
    expect(names[20]).toBe('HalKeyNotFound');
    expect(halError(21, 'PKEY_OPEN')).toBeInstanceOf(classes[20]);
    const squash = (s: string) => s.replace(/_/g, '').toLowerCase();
    codes.forEach((code, i) => expect(squash(names[i])).toBe(`hal${squash(HAL_STATUS_NAMES[code])}`));
  });

  it('maps names to codes in order (§4.1), the Python client convention', () => {
    expect(HAL_STATUS_NAMES).toHaveLength(51);
    expect(new Set(HAL_STATUS_NAMES).size).toBe(51);
    HAL_STATUS_NAMES.forEach((name, code) => expect([name, HalStatus[name]]).toEqual([name, code]));
    expect(HalStatus).toMatchObject({
      OK: 0,
      KEY_NOT_FOUND: 21,
      XDR_BUFFER_OVERFLOW: 27,
      RPC_BAD_FUNCTION: 30,
      TAMPER: 50,
    });
    expect(halStatusName(48)).toBe('HASHSIG_KEY_EXHAUSTED');
    expect(halStatusName(51)).toBeUndefined();
  });

  it('writes messages without placeholders, for every status and every RPC (or none)', () => {
    for (const code of codes)
      for (const rpc of rpcNames) {
        const { message } = halError(code, rpc);
        expect(message).not.toMatch(/undefined|null|NaN|\$\{|%s|<|>|\[object|TODO/);
        expect(message.length).toBeGreaterThan(30);
      }
  });

  it('says what to do for the statuses an operator meets', () => {
    expect(halError(9, 'IMPORT_RAW').message).toContain(
      "the blob does not unwrap under this HSM's master KEK (wrong KEK domain or damaged blob)",
    );
    expect(halError(24, 'LOGIN').message).toContain('wrong PIN');
    expect(halError(23, 'PKEY_GENERATE_EC').message).toContain(
      'the HSM keystore is full; delete or raw-export keys first',
    );
    expect(halError(41, 'IMPORT_RAW').message).toContain(
      'the HSM keystore is full; delete or raw-export keys first',
    );
    expect(halError(30, 'EXPORT_RAW').message).toContain('the HSM firmware does not implement EXPORT_RAW');
    expect(halError(30).message).toBe(
      'HSM call failed with RPC_BAD_FUNCTION (30): the HSM firmware does not implement this RPC function',
    );
  });
});

describe('HSM errors at the API', () => {
  it('are all HSM failures, and a status error carries its status and RPC as problem extensions', () => {
    for (const code of [...codes, 51]) expect(errorCategory(halError(code))).toBe('hsm-failure');
    const err = halError(HalStatus.PIN_INCORRECT, 'LOGIN');
    expect([err.type, err.problemDetail, err.problemExtensions]).toEqual([
      'hsm-error',
      err.message,
      { hsmStatus: 'PIN_INCORRECT', rpc: 'LOGIN' },
    ]);
  });

  it('say that a transport or protocol failure is about the HSM', () => {
    const transport = new HsmTransportError('muxd closed the socket', 'PKEY_SIGN');
    const protocol = new XdrOverflow('LOGIN request.pin', 20, 12, 'frame');
    expect([transport.type, transport.problemDetail, transport.problemExtensions]).toEqual([
      'hsm-transport-error',
      'the HSM could not be reached or answered badly: muxd closed the socket',
      { rpc: 'PKEY_SIGN' },
    ]);
    expect([errorCategory(protocol), protocol.type]).toEqual(['hsm-failure', 'hsm-protocol-error']);
  });
});

describe('halError outside the libhal list', () => {
  it.each([51, 66, 1000, 0xffffffff])('status %i gives HsmUnknownStatus with that code', (code) => {
    const err = halError(code, 'GET_VERSION');
    expect(err).toBeInstanceOf(HsmUnknownStatus);
    expect(err.code).toBe(code);
    expect(err.status).toBe('UNKNOWN');
    expect(err.message).toContain(`(${code})`);
  });

  it('refuses status 0, which is OK and not an error', () => {
    expect(() => halError(0)).toThrow(RangeError);
  });
});

describe('errors that are not HSM statuses', () => {
  it('XdrOverflow is a protocol error a server answers with XDR_BUFFER_OVERFLOW, naming the field', () => {
    const err = new XdrOverflow('LOGIN request.pin', 0xfffffff0, 12, 'frame');
    expect(err).toBeInstanceOf(HsmProtocolError);
    expect(err.kind).toBe('protocol');
    expect(err.halStatus).toBe(27);
    expect(err.message).toBe('"LOGIN request.pin" needs 4294967280 bytes but only 12 remain in the frame');
  });

  it('FrameTooLarge is a protocol error with RPC_PACKET_OVERFLOW', () => {
    const err = new FrameTooLarge(16385, 16384);
    expect(err).toBeInstanceOf(HsmProtocolError);
    expect(err.halStatus).toBe(29);
    expect(err.message).toContain('16384');
  });

  it('HsmTransportError keeps its cause and RPC', () => {
    const cause = new Error('ECONNRESET');
    const err = new HsmTransportError('muxd closed the socket', 'PKEY_SIGN', { cause });
    expect(err).toBeInstanceOf(HsmError);
    expect(err.kind).toBe('transport');
    expect(err.rpc).toBe('PKEY_SIGN');
    expect(err.cause).toBe(cause);
  });
});
