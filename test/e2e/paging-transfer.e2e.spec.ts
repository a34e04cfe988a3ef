/**
 * A transfer to a full HSM pages keys out first (found by the model-based test of issue 13): the
 * destination needs two slots while the transfer runs, its KEKEK and the key. Over HTTP against the
 * demo HSMs of one KEK domain with 4 slots each.
 */
import { randomBytes } from 'node:crypto';
import { ecdsaVerifies } from '../support/ecdsa';
import { startService, type KeyJson, type Service } from '../api/support/service';

const CAPACITY = 4;

describe('transfer onto a full HSM (HTTP, paging on)', () => {
  let svc: Service;

  beforeAll(async () => {
    svc = await startService({ demo: { capacity: CAPACITY } });
  }, 60_000);

  afterAll(async () => {
    await svc?.close();
  });

  const residents = async (hsm: string) =>
    Object.keys((await svc.json<{ keys: Record<string, unknown> }>('GET', `/v1/hsms/${hsm}/keys`)).keys);

  it('pages keys out of the destination for the KEKEK and the key, and the key signs there', async () => {
    for (let i = 0; i < CAPACITY; i++)
      await svc.json('POST', '/v1/keys', { hsm: 'hsm-b', type: 'ec', curve: 'P-256' });
    expect(await residents('hsm-b')).toHaveLength(CAPACITY);
    const key = await svc.json<KeyJson>('POST', '/v1/keys', { hsm: 'hsm-a', type: 'ec', curve: 'P-256' });

    const moved = await svc.json<KeyJson & { holders: { kind: string; hsm?: string }[] }>(
      'POST',
      `/v1/keys/${key.keyId}/transfer`,
      { from: 'hsm-a', to: 'hsm-b' },
    );
    expect(
      moved.holders
        .filter((h) => h.kind === 'hsm')
        .map((h) => h.hsm)
        .sort(),
    ).toEqual(['hsm-a', 'hsm-b']);
    const onB = await residents('hsm-b');
    expect(onB).toContain(key.keyId);
    expect(onB.length).toBeLessThanOrEqual(CAPACITY);
    // Two keys made room: the KEKEK's slot is free again.
    expect(onB).toHaveLength(CAPACITY - 1);

    const data = randomBytes(24);
    const s = await svc.json<{ signature: string }>('POST', `/v1/keys/${key.keyId}/sign`, {
      data: data.toString('base64'),
      hsm: 'hsm-b',
    });
    expect(ecdsaVerifies(key.publicKey, data, s.signature)).toBe(true);

    // A reconcile finds the KEKEK gone and nothing else out of place.
    const report = await svc.json<{ drift: unknown[] }>('POST', '/v1/hsms/hsm-b/reconcile');
    expect(report.drift).toEqual([]);
  });
});
