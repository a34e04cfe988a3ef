/**
 * Destroying a key records the destruction on each of its blob streams (`BlobDestroyed`) instead of
 * tombstoning them (docs/architecture.md §2, §6.1): nothing leaves the ledger and every chain stays
 * intact, while a destroyed key's blob answers as before: not served, not imported, refused when
 * handed back in.
 */
import { checkChain } from '../../src/audit/chain';
import { CustodyNotFound } from '../../src/app/custody/errors';
import type { KeyView } from '../../src/app/custody/views';
import { key } from '../../src/domain';
import { readEverything } from '../event-store/contract/helpers';
import { makeTempDir, removeTempDir } from '../support/temp-dir';
import { openCustody, registerInDomain, startHsm, type Custody, type TestHsm } from './support';

describe('destroying a key with a raw-exported blob', () => {
  let dir: string;
  let hsm: TestHsm;
  let custody: Custody;
  let k: KeyView;
  let sha: string;
  let bytes: Buffer;

  beforeAll(async () => {
    dir = await makeTempDir('custody-destroy-');
    hsm = await startHsm(dir, 'a');
    custody = await openCustody(dir);
    await registerInDomain(custody.service, [hsm]);
    k = await custody.service.generateKey({ hsm: 'a', type: 'ec' });
    sha = (await custody.service.rawExport(k.keyId, { hsm: 'a' })).blobSha256;
    bytes = (await custody.service.getBlob(sha)).blob;
    expect((await custody.service.destroyKey(k.keyId)).state).toBe('destroyed');
  });
  afterAll(async () => {
    await custody?.close();
    await hsm?.stop();
    await removeTempDir(dir);
  });

  const blobStream = () => custody.store.readStream(`blob-${sha}`);

  it('records BlobDestroyed on the blob stream in the same use case, keeps the bytes, and chains it all', async () => {
    const [storedEvent, destroyedEvent, ...more] = await blobStream();
    expect(more).toEqual([]);
    expect(storedEvent!.type).toBe('BlobStored');
    expect(Buffer.from(storedEvent!.data.bytesBase64 as string, 'base64').equals(bytes)).toBe(true);
    expect(destroyedEvent!.type).toBe('BlobDestroyed');
    expect(destroyedEvent!.data).toEqual({
      sha256: sha,
      keyId: k.keyId,
      reason: 'key destroyed',
      at: expect.any(String),
    });
    const keyDestroyed = (await custody.store.readStream(`key-${k.keyId}`)).at(-1)!;
    expect(keyDestroyed.type).toBe('KeyDestroyed');
    expect(destroyedEvent!.metadata.correlationId).toBe(keyDestroyed.metadata.correlationId);
    expect(destroyedEvent!.metadata.causationId).toBe(keyDestroyed.id);
    expect(checkChain(await readEverything(custody.store), { densePositions: true })).toEqual([]);
  });

  it('does not serve the blob', async () => {
    const read = custody.service.getBlob(sha);
    await expect(read).rejects.toBeInstanceOf(CustodyNotFound);
    await expect(read).rejects.toThrow(`blob ${sha} was destroyed with its key`);
  });

  it('hands its bytes to no import', async () => {
    await expect(custody.core.blobBytes(sha)).rejects.toThrow(`blob ${sha} is not stored (destroyed)`);
    await expect(custody.service.rawImport(k.keyId, { hsm: 'a', blobSha256: sha })).rejects.toBeInstanceOf(
      key.KeyIsDestroyed,
    );
  });

  it('refuses the blob handed back in, and now records the refusal on its stream', async () => {
    const result = await custody.service.presentBlob({ keyId: k.keyId, blob: bytes });
    expect(result).toMatchObject({ sha256: sha, keyId: k.keyId, accepted: false });
    expect((await blobStream()).map((e) => e.type)).toEqual(['BlobStored', 'BlobDestroyed', 'BlobRefused']);
  });

  it('records nothing more when destroyed again', async () => {
    const head = await custody.store.headPosition();
    expect((await custody.service.destroyKey(k.keyId)).state).toBe('destroyed');
    expect(await custody.store.headPosition()).toBe(head);
  });

  it('finishes a destroy interrupted before its blob streams recorded it, when asked again', async () => {
    const other = await custody.service.generateKey({ hsm: 'a', type: 'ec' });
    const otherSha = (await custody.service.rawExport(other.keyId, { hsm: 'a' })).blobSha256;
    jest.spyOn(custody.core, 'decideBlob').mockRejectedValueOnce(new Error('the process died here'));
    await expect(custody.service.destroyKey(other.keyId)).rejects.toThrow('the process died here');
    const stream = () => custody.store.readStream(`blob-${otherSha}`);
    expect((await stream()).map((e) => e.type)).toEqual(['BlobStored']);

    expect((await custody.service.destroyKey(other.keyId)).state).toBe('destroyed');
    expect((await stream()).map((e) => e.type)).toEqual(['BlobStored', 'BlobDestroyed']);
  });
});
