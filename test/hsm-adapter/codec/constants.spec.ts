/** Function codes and constants (§3.2, §4) and the RPC table built on them. */
import { KEY_FLAGS_ALL, KeyFlag, RpcFunc, RpcName, rpcName } from '../../../src/hsm-adapter/constants';
import { RPC } from '../../../src/hsm-adapter/codec/rpc';

describe('RPC function codes', () => {
  it('are 0..31 in the order of §3.2, then 32 EXPORT_RAW, 33 IMPORT_RAW and 66 CHECK_TAMPER', () => {
    const codes = Object.values(RpcFunc);
    expect(codes).toEqual([...Array.from({ length: 34 }, (_, i) => i), 66]);
    expect(RpcFunc).toMatchObject({ PKEY_GET_KEY_CURVE: 26, PKEY_EXPORT: 29, PKEY_GENERATE_HASHSIG: 31 });
  });

  it('map back to their names, and unknown codes to undefined', () => {
    for (const name of Object.keys(RpcFunc) as RpcName[]) expect(rpcName(RpcFunc[name])).toBe(name);
    expect(rpcName(34)).toBeUndefined();
    expect(rpcName(1979)).toBeUndefined();
  });

  it('each have one RPC table entry with that name and code', () => {
    expect(Object.keys(RPC)).toEqual(Object.keys(RpcFunc));
    for (const name of Object.keys(RpcFunc) as RpcName[])
      expect([RPC[name].name, RPC[name].code]).toEqual([name, RpcFunc[name]]);
  });
});

describe('key flags (§4.3)', () => {
  it('KEY_FLAGS_ALL is exactly the six defined bits', () => {
    expect(Object.values(KeyFlag).reduce((a, b) => a | b, 0)).toBe(KEY_FLAGS_ALL);
  });
});
