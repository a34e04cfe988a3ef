/** Stale hashsig state is refused (issue 4 acceptance): old blobs, handed-in backups, concurrent imports. */
import { key as keyDomain } from '../../src/domain';
import type { CustodyNotFound } from '../../src/app/custody/errors';
import { makeTempDir, removeTempDir } from '../support/temp-dir';
import {
  holdersPerCopy,
  openCustody,
  registerInDomain,
  startHsm,
  verifies,
  type Custody,
  type TestHsm,
} from './support';

describe('a hashsig key exported, imported, used and exported again', () => {
  let dir: string;
  let hsms: TestHsm[];
  let custody: Custody;

  beforeAll(async () => {
    dir = await makeTempDir('custody-stale-');
    hsms = [await startHsm(dir, 'a'), await startHsm(dir, 'b')];
    custody = await openCustody(dir);
    await registerInDomain(custody.service, hsms);
  });
  afterAll(async () => {
    await custody.close();
    for (const h of hsms) await h.stop();
    await removeTempDir(dir);
  });

  it('refuses the earlier blob by import and by hand-in, naming the current blob and holder, and lets one of two concurrent imports win', async () => {
    const svc = custody.service;
    const k = await svc.generateKey({
      hsm: 'a',
      type: 'hashsig',
      levels: 1,
      lms: 'H5',
      lmots: 'W8',
      label: 'stale',
    });
    const first = await svc.rawExport(k.keyId, { hsm: 'a' });
    expect((await svc.getKey(k.keyId)).holders).toEqual([
      expect.objectContaining({ kind: 'blob', blobSha256: first.blobSha256 }),
    ]);
    await svc.rawImport(k.keyId, { hsm: 'a' });
    const signed = await svc.sign(k.keyId, { data: Buffer.from('after import') });
    expect(verifies(k, Buffer.from('after import'), signed.signature)).toBe(true);
    const second = await svc.rawExport(k.keyId, { hsm: 'a' });
    expect(second.blobSha256).not.toBe(first.blobSha256);

    const head = await custody.store.headPosition();
    const refused = svc.rawImport(k.keyId, { hsm: 'a', blobSha256: first.blobSha256 });
    await expect(refused).rejects.toBeInstanceOf(keyDomain.StaleBlob);
    await expect(refused).rejects.toThrow(
      new RegExp(
        `superseded by ${second.blobSha256.slice(0, 8)}.*held by blob ${second.blobSha256.slice(0, 8)}`,
      ),
    );
    expect(await custody.store.headPosition()).toBe(head);

    const oldBytes = (await svc.getBlob(first.blobSha256)).blob;
    const presented = await svc.presentBlob({ keyId: k.keyId, blob: oldBytes });
    expect(presented).toEqual(
      expect.objectContaining({
        accepted: false,
        sha256: first.blobSha256,
        currentBlob: second.blobSha256,
        currentHolder: `blob ${second.blobSha256}`,
      }),
    );
    const recorded = await custody.store.readStream(`blob-${first.blobSha256}`);
    expect(recorded.map((e) => e.type)).toEqual(['BlobStored', 'BlobRefused']);
    expect(recorded[1]!.data).toEqual(
      expect.objectContaining({
        keyId: k.keyId,
        currentBlobSha256: second.blobSha256,
        presentedBy: 'test-operator',
      }),
    );

    const current = await svc.presentBlob({
      keyId: k.keyId,
      blob: (await svc.getBlob(second.blobSha256)).blob,
    });
    expect(current).toEqual({ sha256: second.blobSha256, keyId: k.keyId, accepted: true });

    const outcomes = await Promise.allSettled([
      svc.rawImport(k.keyId, { hsm: 'a' }),
      svc.rawImport(k.keyId, { hsm: 'b' }),
    ]);
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    const loser = outcomes.find((o) => o.status === 'rejected') as PromiseRejectedResult;
    expect((loser.reason as { type?: string }).type).toMatch(/operation-in-progress|stale-blob/);
    const after = await svc.getKey(k.keyId);
    expect(after.holders).toHaveLength(1);
    expect([...holdersPerCopy(after).values()]).toEqual([1]);
    expect(after.openOperations).toEqual([]);
    const winner = after.holders[0]!.hsm!;
    const s2 = await svc.sign(k.keyId, { data: Buffer.from('winner') });
    expect(s2.hsm).toBe(winner);
    expect(s2.q).toBeGreaterThan(signed.q!);
    expect(verifies(k, Buffer.from('winner'), s2.signature)).toBe(true);
  });

  it('says which key owns a blob handed in for another key, and refuses random bytes', async () => {
    const svc = custody.service;
    const k1 = await svc.generateKey({ hsm: 'a', type: 'ec' });
    const k2 = await svc.generateKey({ hsm: 'a', type: 'ec' });
    const b1 = await svc.rawExport(k1.keyId, { hsm: 'a' });
    const other = await svc.presentBlob({ keyId: k2.keyId, blob: (await svc.getBlob(b1.blobSha256)).blob });
    expect(other.accepted).toBe(false);
    expect(other.reason).toBe(`blob ${b1.blobSha256} is a blob of key ${k1.keyId}, not of key ${k2.keyId}`);
    const random = await svc.presentBlob({ keyId: k2.keyId, blob: Buffer.from('not a blob at all') });
    expect(random.accepted).toBe(false);
    expect(random.reason).toMatch(/is not a blob of key/);
    await expect(svc.presentBlob({ keyId: 'no-such-key', blob: Buffer.from('x') })).rejects.toHaveProperty(
      'type',
      'not-found' satisfies CustodyNotFound['type'],
    );
  });
});
