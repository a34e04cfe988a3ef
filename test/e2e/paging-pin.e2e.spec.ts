/**
 * Key paging over HTTP with the two demo HSMs of one KEK domain (capacity 4 each): page-ins go to
 * the HSM with room, concurrent signs with one missing key make one page-in, a pinned key stays
 * resident whatever else is paged, prefetch answers per key, a hashsig key is live on one HSM at a
 * time, and an HSM whose keys are all pinned refuses with a clear error instead of evicting one.
 */
import { randomBytes } from 'node:crypto';
import { ecdsaVerifies } from '../support/ecdsa';
import { rfc8554Verify } from '../hashsig/rfc8554-verify';
import { startService, type KeyJson, type Service } from '../api/support/service';

const CAPACITY = 4;

interface KeyView extends KeyJson {
  holders: (KeyJson['holders'][number] & { hsm?: string })[];
  pinned: boolean;
}

describe('paging across two HSMs, pinning and prefetch (HTTP)', () => {
  let svc: Service;
  const ec: KeyJson[] = [];
  // Every EC key made so far; which of them are out depends on the replacement policy's choices.
  const all: KeyJson[] = [];

  beforeAll(async () => {
    svc = await startService({ demo: { capacity: CAPACITY } });
  }, 60_000);

  afterAll(async () => {
    await svc?.close();
  });

  const view = (keyId: string) => svc.json<KeyView>('GET', `/v1/keys/${keyId}`);
  const hsmOf = async (keyId: string) =>
    (await view(keyId)).holders.filter((h) => h.kind === 'hsm').map((h) => h.hsm);
  const signEc = async (key: KeyJson) => {
    const data = randomBytes(24);
    const s = await svc.json<{ signature: string; hsm: string }>('POST', `/v1/keys/${key.keyId}/sign`, {
      data: data.toString('base64'),
    });
    expect(ecdsaVerifies(key.publicKey, data, s.signature)).toBe(true);
    return s.hsm;
  };
  const pageIns = async (keyId: string) =>
    (await svc.json<{ type: string; data: { reason?: string } }[]>('GET', `/v1/keys/${keyId}/events`)).filter(
      (e) => e.type === 'KeyRawImportStarted' && e.data.reason === 'paging',
    ).length;

  it('generates six keys on a full hsm-a by paging two out, and pages the next one in on hsm-b, which has room', async () => {
    for (let i = 0; i < 6; i++)
      ec.push(await svc.json<KeyJson>('POST', '/v1/keys', { hsm: 'hsm-a', type: 'ec', curve: 'P-256' }));
    all.push(...ec);
    const out: KeyJson[] = [];
    for (const k of ec) if ((await hsmOf(k.keyId)).length === 0) out.push(k);
    expect(out).toHaveLength(2);
    expect(await signEc(out[0]!)).toBe('hsm-b');
    expect(await hsmOf(out[0]!.keyId)).toEqual(['hsm-b']);
  });

  it('makes one page-in for eight concurrent signs with the same missing key', async () => {
    const missing = [];
    for (const k of ec) if ((await hsmOf(k.keyId)).length === 0) missing.push(k);
    const key = missing[0]!;
    const before = await pageIns(key.keyId);
    const hsms = await Promise.all(Array.from({ length: 8 }, () => signEc(key)));
    expect(new Set(hsms).size).toBe(1);
    expect((await pageIns(key.keyId)) - before).toBe(1);
  });

  it('keeps a pinned key resident while others are paged through, and pages in a pinned key that was out', async () => {
    const pinned = ec[0]!;
    const patched = await svc.json<KeyView>('PATCH', `/v1/keys/${pinned.keyId}`, { pinned: true });
    expect(patched.pinned).toBe(true);
    const home = await hsmOf(pinned.keyId);
    expect(home).toHaveLength(1);
    // Twelve more keys through eight slots: everything else is paged out at least once.
    const more: KeyJson[] = [];
    for (let i = 0; i < 12; i++)
      more.push(await svc.json<KeyJson>('POST', '/v1/keys', { hsm: home[0], type: 'ec', curve: 'P-256' }));
    all.push(...more);
    for (const k of [...more, ...ec.slice(1)]) await signEc(k);
    expect(await hsmOf(pinned.keyId)).toEqual(home);
    expect((await view(pinned.keyId)).holders.filter((h) => h.kind === 'hsm')).toHaveLength(1);

    // A key that is out, pinned: it comes in at once.
    let out: KeyJson | undefined;
    for (const k of more) if ((await hsmOf(k.keyId)).length === 0) out = k;
    expect(out).toBeDefined();
    const now = await svc.json<KeyView>('PATCH', `/v1/keys/${out!.keyId}`, { pinned: true });
    expect(now.pinned).toBe(true);
    expect(now.holders.some((h) => h.kind === 'hsm')).toBe(true);
    // Unpinned, it may go again.
    expect((await svc.json<KeyView>('PATCH', `/v1/keys/${out!.keyId}`, { pinned: false })).pinned).toBe(
      false,
    );
    const bad = await svc.call('PATCH', `/v1/keys/${out!.keyId}`, { pinned: 'yes' });
    expect(bad.status).toBe(400);
  });

  it('prefetches onto an HSM, answering per key in order', async () => {
    // Eighteen EC keys, eight slots: at least ten are out, whichever the policy chose to keep.
    let out: KeyJson | undefined;
    for (const k of all) if ((await hsmOf(k.keyId)).length === 0) out = k;
    expect(out).toBeDefined();
    const resident = ec[0]!;
    const [home] = await hsmOf(resident.keyId);
    const answer = await svc.json<{
      items: { keyId: string; outcome: string; hsm?: string; problem?: { status: number } }[];
    }>('POST', `/v1/hsms/${home}/prefetch`, { keyIds: [out!.keyId, resident.keyId, 'no-such-key'] });
    expect(answer.items.map((i) => [i.keyId, i.outcome])).toEqual([
      [out!.keyId, 'paged-in'],
      [resident.keyId, 'resident'],
      ['no-such-key', 'failed'],
    ]);
    expect(answer.items[2]!.problem?.status).toBe(404);
    expect(await hsmOf(out!.keyId)).toEqual([home]);
    const tooMany = await svc.call('POST', `/v1/hsms/${home}/prefetch`, {
      keyIds: Array.from({ length: 257 }, (_, i) => `k${i}`),
    });
    expect(tooMany.status).toBe(400);
  });

  it('keeps a hashsig key live on one HSM at a time as it is paged between them', async () => {
    const hss = await svc.json<KeyJson>('POST', '/v1/keys', {
      hsm: 'hsm-a',
      type: 'hashsig',
      levels: 1,
      lms: 'H5',
      lmots: 'W8',
    });
    const qs: number[] = [];
    for (let round = 0; round < 3; round++) {
      const data = randomBytes(16);
      const s = await svc.json<{ signature: string; q: number }>('POST', `/v1/keys/${hss.keyId}/sign`, {
        data: data.toString('base64'),
      });
      expect(
        rfc8554Verify(Buffer.from(hss.publicKeyRfc8554!, 'base64'), data, Buffer.from(s.signature, 'base64')),
      ).toBe(true);
      qs.push(s.q);
      expect((await view(hss.keyId)).holders).toHaveLength(1);
      // Push it out: sign with every EC key that is out.
      for (const k of ec) if ((await hsmOf(k.keyId)).length === 0) await signEc(k);
      for (let i = 0; i < 8; i++)
        await svc.json<KeyJson>('POST', '/v1/keys', {
          hsm: i % 2 === 0 ? 'hsm-a' : 'hsm-b',
          type: 'ec',
          curve: 'P-256',
        });
      expect((await view(hss.keyId)).holders).toHaveLength(1);
    }
    expect(new Set(qs).size).toBe(qs.length);
    expect(await pageIns(hss.keyId)).toBeGreaterThan(0);
  });

  it('refuses with a clear error when every key of the HSMs is pinned, and evicts nothing', async () => {
    const keys = await svc.json<KeyView[]>('GET', '/v1/keys');
    const resident = keys.filter((k) => k.state === 'active' && k.holders.some((h) => h.kind === 'hsm'));
    for (const k of resident) await svc.json('PATCH', `/v1/keys/${k.keyId}`, { pinned: true });
    const out = keys.find(
      (k) => k.type === 'ec' && k.state === 'active' && !k.holders.some((h) => h.kind === 'hsm'),
    )!;
    const response = await svc.call('POST', `/v1/keys/${out.keyId}/sign`, { data: 'AAAA' });
    const problem = (await response.json()) as { status: number; detail: string };
    expect(response.status).toBe(409);
    expect(problem.detail).toMatch(/pinned/);
    for (const k of resident) expect((await view(k.keyId)).holders.some((h) => h.kind === 'hsm')).toBe(true);

    // Pinning that key cannot keep it resident either: refused the same way, and no pin recorded.
    const pin = await svc.call('PATCH', `/v1/keys/${out.keyId}`, { pinned: true });
    expect(pin.status).toBe(409);
    expect(((await pin.json()) as { detail: string }).detail).toMatch(/pinned/);
    const after = await view(out.keyId);
    expect(after.pinned).toBe(false);
    expect(after.holders.some((h) => h.kind === 'hsm')).toBe(false);
    const events = await svc.json<{ type: string }[]>('GET', `/v1/keys/${out.keyId}/events`);
    expect(events.filter((e) => e.type === 'KeyPinChanged')).toEqual([]);
  });
});
