import { randomBytes } from 'node:crypto';
import { Keystore } from './keystore';
import type { KeyRecord } from './key-record';
import type { TokenStore } from './token-store';

/** An in-memory stand-in for the token store. */
function memoryTokens(): TokenStore {
  const records = new Map<string, KeyRecord>();
  const id = (n: Uint8Array) => Buffer.from(n).toString('hex');
  return {
    get size() {
      return records.size;
    },
    get: (n: Uint8Array) => records.get(id(n)),
    has: (n: Uint8Array) => records.has(id(n)),
    sorted: () => [...records.values()],
    put: (r: KeyRecord) => void records.set(id(r.name), r),
    delete: (n: Uint8Array) => records.delete(id(n)),
  } as unknown as TokenStore;
}

describe('Keystore.unwrapCached', () => {
  const setup = () => {
    const ks = new Keystore(memoryTokens(), randomBytes(32), 10, () => false);
    const plain = randomBytes(40);
    const record = ks.seal({ name: randomBytes(16), type: 1, curve: 0, flags: 0, der: plain }, 'T');
    return { ks, plain, record };
  };

  it('unwraps and parses once per record object, and zeroes the plaintext when the record is deleted', () => {
    const { ks, plain, record } = setup();
    ks.add(record, true, 0, 'T');
    let parses = 0;
    const view = ks.unwrapCached(record, 'raw', 'T', (der) => (parses++, der));
    expect(view.equals(plain)).toBe(true);
    expect(ks.unwrapCached(record, 'raw', 'T', (der) => (parses++, der))).toBe(view);
    expect(parses).toBe(1);
    ks.delete(record.name, true);
    expect(ks.unwrappedCount).toBe(0);
    expect(view.every((b) => b === 0)).toBe(true);
  });

  it('drops the entry when the record is replaced, its owner logs out, or the KEK is wiped', () => {
    const { ks, record } = setup();
    ks.add(record, false, 7, 'T');
    const first = ks.unwrapCached(record, 'raw', 'T', (der) => der);
    ks.replace({ ...record, flags: 1 }, false, 'T');
    expect(first.every((b) => b === 0)).toBe(true);
    const replaced = ks.get(record.name, false, 7)!.record;
    const second = ks.unwrapCached(replaced, 'raw', 'T', (der) => der);
    ks.purgeOwner(7);
    expect(second.every((b) => b === 0)).toBe(true);
    const other = setup();
    other.ks.add(other.record, true, 0, 'T');
    const third = other.ks.unwrapCached(other.record, 'raw', 'T', (der) => der);
    other.ks.wipeKek();
    expect(third.every((b) => b === 0)).toBe(true);
    expect(() => other.ks.unwrapCached(other.record, 'raw', 'T', (der) => der)).toThrow();
  });
});
