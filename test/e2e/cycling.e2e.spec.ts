/**
 * Acceptance, cycling (issue 4): 1,000 EC keys through an HSM of capacity 100 over HTTP. Each key
 * is generated, raw-exported and deleted to make room; later each is raw-imported again, signs
 * (verified with the public key it was generated with) and is evicted again. The ledger shows
 * every move of every key, and the HSM never holds more than its capacity.
 */
import { randomBytes } from 'node:crypto';
import { ecdsaVerifies } from '../support/ecdsa';
import { pool, startService, type KeyJson, type Service } from '../api/support/service';

// `npm test` cycles 400 keys through 40 slots (CI's time budget); `npm run test:cycling-acceptance`
// runs the 1,000 through 100 (KEYLEDGER_TEST_CYCLING_KEYS, KEYLEDGER_TEST_CYCLING_CAPACITY).
const KEYS = Number(process.env.KEYLEDGER_TEST_CYCLING_KEYS ?? 400);
const CAPACITY = Number(process.env.KEYLEDGER_TEST_CYCLING_CAPACITY ?? 40);
const CONCURRENCY = 8;
const HSM = 'hsm-a';

interface HsmJson {
  name: string;
  capacity: number;
  residentKeys: number;
}

describe(`cycling ${KEYS.toLocaleString('en')} EC keys through an HSM of capacity ${CAPACITY}`, () => {
  let svc: Service;
  const keys: { keyId: string; publicKey: string; blobSha256: string }[] = [];

  beforeAll(async () => {
    svc = await startService({ demo: { capacity: CAPACITY } });
  }, 60_000);

  afterAll(async () => {
    await svc?.close();
  });

  const resident = async () => (await svc.json<HsmJson>('GET', `/v1/hsms/${HSM}`)).residentKeys;

  it('generates, evicts, re-imports and signs with every key; each key keeps its public key and its events show each move', async () => {
    const hsm = await svc.json<HsmJson>('GET', `/v1/hsms/${HSM}`);
    expect(hsm.capacity).toBe(CAPACITY);
    // The KEK domain's canary may hold a slot; the rest is ours.
    const batch = CAPACITY - hsm.residentKeys;
    expect(batch).toBeGreaterThan(CAPACITY / 2);
    let peak = 0;

    // Out: generate a batch that fills the HSM, then raw-export and delete each to make room.
    for (let start = 0; start < KEYS; start += batch) {
      const count = Math.min(batch, KEYS - start);
      const generated = await pool(Array.from({ length: count }), CONCURRENCY, () =>
        svc.json<KeyJson>('POST', '/v1/keys', { hsm: HSM, type: 'ec', curve: 'P-256' }),
      );
      peak = Math.max(peak, await resident());
      await pool(generated, CONCURRENCY, async (key) => {
        const { blobSha256 } = await svc.json<{ blobSha256: string }>(
          'POST',
          `/v1/keys/${key.keyId}/raw-export`,
          { hsm: HSM },
        );
        await svc.json('DELETE', `/v1/keys/${key.keyId}/residency/${HSM}`);
        keys.push({ keyId: key.keyId, publicKey: key.publicKey, blobSha256 });
      });
    }
    expect(keys).toHaveLength(KEYS);
    expect(await resident()).toBe(CAPACITY - batch);

    // Back: import each key's current blob, sign, verify with the original public key, evict.
    for (let start = 0; start < KEYS; start += batch) {
      const slice = keys.slice(start, start + batch);
      await pool(slice, CONCURRENCY, async (key) => {
        const imported = await svc.json<{ hsm: string; blobSha256: string }>(
          'POST',
          `/v1/keys/${key.keyId}/raw-import`,
          { hsm: HSM },
        );
        expect(imported.blobSha256).toBe(key.blobSha256);
      });
      peak = Math.max(peak, await resident());
      await pool(slice, CONCURRENCY, async (key) => {
        const data = randomBytes(48);
        const signed = await svc.json<{ signature: string; hsm: string }>(
          'POST',
          `/v1/keys/${key.keyId}/sign`,
          { data: data.toString('base64') },
        );
        expect(signed.hsm).toBe(HSM);
        expect(ecdsaVerifies(key.publicKey, data, signed.signature)).toBe(true);
        await svc.json('DELETE', `/v1/keys/${key.keyId}/residency/${HSM}`);
      });
    }
    expect(peak).toBeLessThanOrEqual(CAPACITY);
    expect(await resident()).toBe(CAPACITY - batch);
    // The residency read model agrees: none of the cycled keys is left on the HSM.
    const residency = await svc.json<{ count: number; keys: Record<string, unknown> }>(
      'GET',
      `/v1/hsms/${HSM}/keys`,
    );
    expect(residency.count).toBe(CAPACITY - batch);
    expect(keys.filter((k) => Object.hasOwn(residency.keys, k.keyId))).toEqual([]);

    // The ledger shows each move of each key.
    const moves = [
      'KeyGenerated',
      'KeyRawExported',
      'KeyDeletedFromHsm',
      'KeyRawImported',
      'KeyDeletedFromHsm',
    ];
    await pool(keys, CONCURRENCY, async (key) => {
      const events = await svc.json<{ type: string; data: { blobSha256?: string } }[]>(
        'GET',
        `/v1/keys/${key.keyId}/events`,
      );
      expect(events.map((e) => e.type).filter((t) => !t.endsWith('Started'))).toEqual(moves);
      expect(events.find((e) => e.type === 'KeyRawImported')?.data.blobSha256).toBe(key.blobSha256);
      const view = await svc.json<KeyJson>('GET', `/v1/keys/${key.keyId}`);
      expect(view.publicKey).toBe(key.publicKey);
      expect(view.currentBlob).toBe(key.blobSha256);
      expect(view.holders).toEqual([expect.objectContaining({ kind: 'blob', blobSha256: key.blobSha256 })]);
    });
  }, 600_000);
});
