/**
 * Signing with kept key handles (real soft HSM on a socket): an RSA/EC key is opened once and
 * signs with one PKEY_SIGN; every path that deletes it closes the kept handle first; a dropped
 * client, a restarted HSM or a key deleted behind the ledger never yields another key's signature.
 */
import type { KeyView } from '../../src/app/custody/views';
import { KeyHandles } from '../../src/app/custody/key-handles';
import { Curve, KeyFlag, type Hsm } from '../../src/hsm-adapter';
import type { SoftHsm } from '../../src/soft-hsm';
import { makeTempDir, removeTempDir } from '../support/temp-dir';
import {
  directClient,
  openCustody,
  registerInDomain,
  startHsm,
  verifies,
  type Custody,
  type TestHsm,
} from './support';

type Rpc = 'PKEY_OPEN' | 'PKEY_SIGN' | 'PKEY_CLOSE' | 'PKEY_DELETE' | 'PKEY_GET_PUBLIC_KEY';
const METHODS: Record<Rpc, keyof SoftHsm> = {
  PKEY_OPEN: 'pkeyOpen',
  PKEY_SIGN: 'pkeySign',
  PKEY_CLOSE: 'pkeyClose',
  PKEY_DELETE: 'pkeyDelete',
  PKEY_GET_PUBLIC_KEY: 'pkeyGetPublicKey',
};

/**
 * The key-handle RPCs the soft HSM engine is asked, in order, with the handle each names (PKEY_OPEN:
 * the one it gave, or NaN). Once per engine until the spies are restored.
 */
function recordRpcs(h: TestHsm): { rpc: Rpc; pkey: number }[] {
  const calls: { rpc: Rpc; pkey: number }[] = [];
  const engine = h.server.hsm as unknown as Record<
    string,
    (client: number, args: { pkey?: number }) => { pkey?: number }
  >;
  for (const [rpc, method] of Object.entries(METHODS) as [Rpc, string][]) {
    const original = engine[method]!.bind(engine);
    jest.spyOn(engine, method).mockImplementation((client, args) => {
      const call = { rpc, pkey: args.pkey ?? NaN };
      calls.push(call);
      const result = original(client, args);
      if (rpc === 'PKEY_OPEN') call.pkey = result.pkey!;
      return result;
    });
  }
  return calls;
}

const count = (calls: readonly { rpc: Rpc }[], rpc: Rpc) => calls.filter((c) => c.rpc === rpc).length;
const signedWith = (calls: readonly { rpc: Rpc; pkey: number }[]) =>
  calls.filter((c) => c.rpc === 'PKEY_SIGN').map((c) => c.pkey);

/** Stops and starts the HSM; its engine forgets every handle. The client's idle connections close meanwhile. */
async function restart(h: TestHsm): Promise<void> {
  await h.stop();
  await new Promise((resolve) => setTimeout(resolve, 100));
  await h.start();
}

async function until(what: string, done: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !done(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  if (!done()) throw new Error(`${what}: not seen within 2 s`);
}

describe('signing with kept key handles', () => {
  let dir: string;
  let hsm: TestHsm;
  let custody: Custody;
  let hsmId: string;

  beforeAll(async () => {
    dir = await makeTempDir('custody-handles-');
    hsm = await startHsm(dir, 'a');
    custody = await openCustody(dir);
    await registerInDomain(custody.service, [hsm]);
    hsmId = (await custody.service.getHsm('a')).hsmId;
  });
  afterEach(() => jest.restoreAllMocks());
  afterAll(async () => {
    await custody.close();
    await hsm.stop();
    await removeTempDir(dir);
  });

  async function signs(k: KeyView, text: string): Promise<void> {
    const data = Buffer.from(text);
    const { signature } = await custody.service.sign(k.keyId, { data });
    expect(verifies(k, data, signature)).toBe(true);
  }

  describe('a resident RSA or EC key', () => {
    it.each(['ec', 'rsa'] as const)(
      '%s: is opened once for many signatures, sequential and concurrent, each verifying',
      async (type) => {
        const k = await custody.service.generateKey({ hsm: 'a', type });
        const calls = recordRpcs(hsm);
        for (let i = 0; i < 5; i++) await signs(k, `sequential ${i}`);
        await Promise.all(Array.from({ length: 10 }, (_, i) => signs(k, `concurrent ${i}`)));
        expect({
          opens: count(calls, 'PKEY_OPEN'),
          signs: count(calls, 'PKEY_SIGN'),
          closes: count(calls, 'PKEY_CLOSE'),
        }).toEqual({ opens: 1, signs: 15, closes: 0 });
        expect(new Set(signedWith(calls))).toEqual(new Set([calls[0]!.pkey]));
      },
    );
  });

  describe('a hashsig key', () => {
    it('still opens, signs and closes for every signature', async () => {
      const k = await custody.service.generateKey({
        hsm: 'a',
        type: 'hashsig',
        levels: 1,
        lms: 'H5',
        lmots: 'W8',
      });
      const calls = recordRpcs(hsm);
      for (let i = 0; i < 3; i++) await signs(k, `hashsig ${i}`);
      expect(calls.map((c) => c.rpc)).toEqual(
        Array.from({ length: 3 }, () => ['PKEY_OPEN', 'PKEY_SIGN', 'PKEY_CLOSE']).flat(),
      );
    });
  });

  describe('a key deleted through the ledger', () => {
    it('raw export with eviction closes the kept handle before PKEY_DELETE; after raw import a new handle signs', async () => {
      const k = await custody.service.generateKey({ hsm: 'a', type: 'ec' });
      const calls = recordRpcs(hsm);
      await signs(k, 'before export');
      const kept = calls[0]!.pkey;
      await custody.service.rawExport(k.keyId, { hsm: 'a', evict: true });
      const closed = calls.findIndex((c) => c.rpc === 'PKEY_CLOSE' && c.pkey === kept);
      const deleted = calls.findIndex((c) => c.rpc === 'PKEY_DELETE');
      expect(closed).toBeGreaterThan(0);
      expect(deleted).toBeGreaterThan(closed);

      const imported = await custody.service.rawImport(k.keyId, { hsm: 'a' });
      const from = calls.length;
      await signs(k, 'after import');
      await signs(k, 'after import, again');
      const after = calls.slice(from);
      expect(after.map((c) => c.rpc)).toEqual(['PKEY_OPEN', 'PKEY_SIGN', 'PKEY_SIGN']);
      expect((await custody.service.getKey(k.keyId)).holders).toContainEqual(
        expect.objectContaining({ kind: 'hsm', hsmKeyName: imported.hsmKeyName }),
      );
      expect(after[0]!.pkey).not.toBe(kept);
    });

    it('destroy closes the kept handle before PKEY_DELETE', async () => {
      const k = await custody.service.generateKey({ hsm: 'a', type: 'rsa' });
      const calls = recordRpcs(hsm);
      await signs(k, 'before destroy');
      const kept = calls[0]!.pkey;
      await custody.service.destroyKey(k.keyId);
      const closed = calls.findIndex((c) => c.rpc === 'PKEY_CLOSE' && c.pkey === kept);
      expect(closed).toBeGreaterThan(0);
      expect(calls.findIndex((c) => c.rpc === 'PKEY_DELETE')).toBeGreaterThan(closed);
    });
  });

  describe('a key deleted behind the ledger', () => {
    it('closes the dead kept handle, opens again once, and refuses: the HSM has no key by that name', async () => {
      const k = await custody.service.generateKey({ hsm: 'a', type: 'ec' });
      await signs(k, 'before');
      const name = k.holders[0]!.hsmKeyName!;
      const client = await directClient(hsm);
      try {
        await client.delete(await client.open(name));
      } finally {
        client.disconnect();
      }
      const calls = recordRpcs(hsm);
      const refused = custody.service.sign(k.keyId, { data: Buffer.from('after delete') });
      await expect(refused).rejects.toHaveProperty('type', 'hsm-state-mismatch');
      await expect(refused).rejects.toThrow(
        `a has no key named ${name}, which the ledger records as resident`,
      );
      const kept = calls[0]!.pkey;
      expect(calls.map((c) => c.rpc)).toEqual([
        'PKEY_SIGN',
        'PKEY_GET_PUBLIC_KEY',
        'PKEY_CLOSE',
        'PKEY_OPEN',
      ]);
      expect(calls.slice(0, 3).map((c) => c.pkey)).toEqual([kept, kept, kept]);
    });

    it('reconcile closes the kept handle of the key it finds missing', async () => {
      const k = await custody.service.generateKey({ hsm: 'a', type: 'rsa' });
      const calls = recordRpcs(hsm);
      await signs(k, 'before');
      const kept = calls[0]!.pkey;
      const name = k.holders[0]!.hsmKeyName!;
      const client = await directClient(hsm);
      try {
        await client.delete(await client.open(name));
      } finally {
        client.disconnect();
      }
      const from = calls.length;
      const report = await custody.service.reconcile('a');
      expect(report.drift).toContainEqual({ hsmKeyName: name, kind: 'missing-on-hsm', keyId: k.keyId });
      expect(calls.slice(from)).toEqual([
        { rpc: 'PKEY_GET_PUBLIC_KEY', pkey: kept },
        { rpc: 'PKEY_CLOSE', pkey: kept },
      ]);
    });
  });

  describe('an HSM without a free handle slot', () => {
    it('gives back the older half of its kept handles and opens once more', async () => {
      const keys = await Promise.all(
        Array.from({ length: 8 }, () => custody.service.generateKey({ hsm: 'a', type: 'ec' })),
      );
      await custody.core.registry.drop(hsmId); // start with nothing kept
      const other = await directClient(hsm);
      const taken: number[] = [];
      try {
        // Another client takes every slot but four.
        const name = keys[0]!.holders[0]!.hsmKeyName!;
        for (;;) {
          try {
            taken.push(await other.open(name));
          } catch (error) {
            expect((error as { status?: string }).status).toBe('NO_KEY_SLOTS_AVAILABLE');
            break;
          }
        }
        for (const h of taken.splice(-4)) await other.close(h);
        const calls = recordRpcs(hsm);
        for (const [i, k] of keys.entries()) await signs(k, `sign ${i}`);
        // Keys 0-3 took the four free slots; key 4 found none, so 0 and 1 were closed and 4 reopened.
        expect(count(calls, 'PKEY_SIGN')).toBe(8);
        expect(count(calls, 'PKEY_CLOSE')).toBeGreaterThanOrEqual(2);
        for (const [i, k] of keys.entries()) await signs(k, `again ${i}`);
      } finally {
        for (const h of taken) await other.close(h).catch(() => undefined);
        other.disconnect();
      }
    });
  });

  describe('a dropped client', () => {
    it('closes its kept handles before it disconnects; the next sign opens again with a new client', async () => {
      const k = await custody.service.generateKey({ hsm: 'a', type: 'ec' });
      const calls = recordRpcs(hsm);
      await signs(k, 'before drop');
      const kept = calls[0]!.pkey;
      await custody.core.registry.drop(hsmId);
      // With the handles earlier specs left kept.
      expect(calls.filter((c) => c.rpc === 'PKEY_CLOSE').map((c) => c.pkey)).toContain(kept);
      await signs(k, 'after drop');
      expect(calls.slice(-2).map((c) => c.rpc)).toEqual(['PKEY_OPEN', 'PKEY_SIGN']);
    });
  });

  describe('an HSM restarted behind the client (its pool reconnects silently)', () => {
    it('signs again after the kept handle answers KEY_NOT_FOUND', async () => {
      const k = await custody.service.generateKey({ hsm: 'a', type: 'ec' });
      await signs(k, 'before restart');
      await restart(hsm);
      const calls = recordRpcs(hsm);
      await signs(k, 'after restart');
      expect(calls.map((c) => c.rpc)).toEqual([
        'PKEY_SIGN',
        'PKEY_GET_PUBLIC_KEY',
        'PKEY_CLOSE',
        'PKEY_OPEN',
        'PKEY_SIGN',
      ]);
    });

    it('never returns the signature of the key its old handle number now opens, and leaves that handle open', async () => {
      const a = await custody.service.generateKey({ hsm: 'a', type: 'ec' });
      const b = await custody.service.generateKey({ hsm: 'a', type: 'ec' });
      let calls = recordRpcs(hsm);
      await signs(a, 'before restart');
      const stale = signedWith(calls)[0]!;
      jest.restoreAllMocks();
      await restart(hsm);
      // Another client opens b until the restarted HSM hands out the number the service keeps for a.
      const other = await directClient(hsm);
      try {
        const filler: number[] = [];
        while (filler.length < (stale & 0xffff)) filler.push(await other.open(b.holders[0]!.hsmKeyName!));
        let handle = await other.open(b.holders[0]!.hsmKeyName!);
        for (let i = 0; handle !== stale && i < 0x8000; i++) {
          await other.close(handle);
          handle = await other.open(b.holders[0]!.hsmKeyName!);
        }
        expect(handle).toBe(stale);

        calls = recordRpcs(hsm);
        await signs(a, 'after restart');
        const signed = signedWith(calls);
        expect(signed).toHaveLength(2);
        expect(signed[0]).toBe(stale);
        expect(signed[1]).not.toBe(stale);
        await until('the kept handles let go', () =>
          calls.some((c) => c.rpc === 'PKEY_GET_PUBLIC_KEY' && c.pkey === stale),
        );
        await signs(a, 'once more');
        expect(calls.some((c) => c.rpc === 'PKEY_CLOSE' && c.pkey === stale)).toBe(false);
        expect((await other.getPublicKey(stale)).equals(b.publicKey)).toBe(true);
      } finally {
        other.disconnect();
      }
    });
  });
});

describe('KeyHandles', () => {
  let dir: string;
  let hsm: TestHsm;
  let client: Hsm;

  beforeAll(async () => {
    dir = await makeTempDir('custody-handles-lru-');
    hsm = await startHsm(dir, 'lru');
    client = await directClient(hsm);
  });
  afterEach(() => jest.restoreAllMocks());
  afterAll(async () => {
    client.disconnect();
    await hsm.stop();
    await removeTempDir(dir);
  });

  it('keeps at most `max` handles, closing the least recently used; release closes the rest', async () => {
    const keys = await Promise.all(
      [0, 1, 2].map(async () => {
        const ref = await client.generateEc(Curve.P256, KeyFlag.USAGE_DIGITALSIGNATURE | KeyFlag.TOKEN);
        const publicKey = await client.getPublicKey(ref.handle);
        await client.close(ref.handle);
        return { name: ref.uuid, publicKey };
      }),
    );
    const calls = recordRpcs(hsm);
    const handles = new KeyHandles(client, 2);
    const use = (i: number) => handles.use(keys[i]!.name, keys[i]!.publicKey, async (h) => h);
    const h0 = (await use(0))!.value;
    const h1 = (await use(1))!.value;
    expect((await use(0))!.value).toBe(h0);
    const h2 = (await use(2))!.value;
    // 1 was used least recently.
    await until('the evicted handle closed', () => calls.some((c) => c.rpc === 'PKEY_CLOSE'));
    expect(calls.filter((c) => c.rpc === 'PKEY_CLOSE').map((c) => c.pkey)).toEqual([h1]);
    expect(handles.size).toBe(2);
    expect((await use(0))!.value).toBe(h0);
    await handles.release();
    expect(handles.size).toBe(0);
    expect(
      calls
        .filter((c) => c.rpc === 'PKEY_CLOSE')
        .map((c) => c.pkey)
        .sort(),
    ).toEqual([h0, h1, h2].sort());
    expect(count(calls, 'PKEY_OPEN')).toBe(3);
  });

  it('answers null for a name the HSM does not have, and keeps nothing for it', async () => {
    const handles = new KeyHandles(client);
    expect(
      await handles.use('00000000-0000-4000-8000-000000000001', Buffer.alloc(1), async () => 'signed'),
    ).toBeNull();
    expect(handles.size).toBe(0);
  });
});
