/**
 * Cycling (issue 4 acceptance, scaled down: 200 EC keys through an HSM of capacity 50; the
 * 1,000/100 run is the HTTP e2e): raw-export and evict, import later, sign with the same key.
 */
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
import type { KeyView } from '../../src/app/custody/views';

const KEYS = 200;
const CAPACITY = 50;
const BATCH = 25;

async function inBatches<T, R>(items: readonly T[], fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += BATCH)
    out.push(...(await Promise.all(items.slice(i, i + BATCH).map(fn))));
  return out;
}

describe(`${KEYS} EC keys through an HSM of capacity ${CAPACITY}`, () => {
  let dir: string;
  let hsm: TestHsm;
  let custody: Custody;

  beforeAll(async () => {
    dir = await makeTempDir('custody-cycle-');
    hsm = await startHsm(dir, 'a', { capacity: CAPACITY });
    custody = await openCustody(dir);
    await registerInDomain(custody.service, [hsm], 'domain-1', CAPACITY);
  });
  afterAll(async () => {
    await custody.close();
    await hsm.stop();
    await removeTempDir(dir);
  });

  it('pages every key out and back in; each signs with its original public key and its ledger shows each move', async () => {
    const svc = custody.service;
    const keys: KeyView[] = [];
    // Generate and page out in batches that fit, so the HSM never holds more than a batch.
    for (let i = 0; i < KEYS; i += BATCH) {
      const batch = await Promise.all(
        Array.from({ length: BATCH }, (_, j) =>
          svc.generateKey({ hsm: 'a', type: 'ec', label: `k${i + j}` }),
        ),
      );
      await Promise.all(batch.map((k) => svc.rawExport(k.keyId, { hsm: 'a', evict: true })));
      keys.push(...batch);
    }
    expect((await svc.getHsm('a')).residentKeys).toBe(0);

    const results = await inBatches(keys, async (k) => {
      await svc.rawImport(k.keyId, { hsm: 'a' });
      const data = Buffer.from(`message for ${k.keyId}`);
      const { signature, hsm: signer } = await svc.sign(k.keyId, { data });
      await svc.rawExport(k.keyId, { hsm: 'a', evict: true });
      return { k, ok: verifies(k, data, signature), signer };
    });
    expect(results.filter((r) => !r.ok)).toEqual([]);
    expect(new Set(results.map((r) => r.signer))).toEqual(new Set(['a']));

    const sample = keys[KEYS - 1]!;
    const events = (await svc.keyEvents(sample.keyId)).map((e) => e.type);
    expect(events).toEqual([
      'KeyGenerated',
      'KeyRawExportStarted',
      'KeyRawExported',
      'KeyDeletedFromHsm',
      'KeyRawImportStarted',
      'KeyRawImported',
      'KeyRawExportStarted',
      'KeyRawExported',
      'KeyDeletedFromHsm',
    ]);
    const view = await svc.getKey(sample.keyId);
    expect(view.label).toBe(`k${KEYS - 1}`);
    expect(view.holders).toEqual([expect.objectContaining({ kind: 'blob', blobSha256: view.currentBlob })]);
    expect(view.publicKey.equals(sample.publicKey)).toBe(true);

    const client = await directClient(hsm);
    try {
      expect(await client.match({})).toEqual([]);
    } finally {
      client.disconnect();
    }
  }, 240_000);

  it('fails an import into a full HSM cleanly, with the operation closed and the blob still current', async () => {
    const svc = custody.service;
    const fillers = await Promise.all(
      Array.from({ length: CAPACITY }, () => svc.generateKey({ hsm: 'a', type: 'ec' })),
    );
    const [paged] = await svc.listKeys();
    const head = await custody.store.headPosition();
    const attempt = svc.rawImport(paged!.keyId, { hsm: 'a' });
    await expect(attempt).rejects.toHaveProperty('type', 'hsm-full');
    await expect(attempt).rejects.toThrow(/a has no free key slot/);
    const events = (await svc.keyEvents(paged!.keyId)).filter((e) => e.position > head).map((e) => e.type);
    expect(events).toEqual(['KeyRawImportStarted', 'KeyOperationFailed']);
    const view = await svc.getKey(paged!.keyId);
    expect(view.openOperations).toEqual([]);
    expect(view.holders).toEqual([expect.objectContaining({ kind: 'blob' })]);
    for (const f of fillers) await svc.rawExport(f.keyId, { hsm: 'a', evict: true });
  }, 120_000);
});
