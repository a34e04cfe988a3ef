/** Disaster recovery and HSM-to-HSM transfer (issue 4 acceptance), on real soft HSMs. */
import { zeroizeSoftHsm, enterMasterKek } from '../../src/soft-hsm';
import type { KeyView } from '../../src/app/custody/views';
import { makeTempDir, removeTempDir } from '../support/temp-dir';
import {
  KEK_1,
  openCustody,
  registerInDomain,
  startHsm,
  verifies,
  type Custody,
  type TestHsm,
} from './support';

describe('custody across HSMs', () => {
  let dir: string;
  let hsms: TestHsm[];
  let custody: Custody;
  let domainId: string;

  beforeAll(async () => {
    dir = await makeTempDir('custody-dr-');
    hsms = [await startHsm(dir, 'a'), await startHsm(dir, 'b')];
    custody = await openCustody(dir);
    domainId = await registerInDomain(custody.service, hsms);
  });
  afterAll(async () => {
    await custody.close();
    for (const h of hsms) await h.stop();
    await removeTempDir(dir);
  });

  it('recovers keys of all three types onto a zeroized HSM after the KEK is re-entered and the canary proves the domain', async () => {
    const svc = custody.service;
    const keys: KeyView[] = [
      await svc.generateKey({ hsm: 'a', type: 'rsa', bits: 1024 }),
      await svc.generateKey({ hsm: 'a', type: 'ec' }),
      await svc.generateKey({ hsm: 'a', type: 'hashsig', levels: 1, lms: 'H5', lmots: 'W8' }),
    ];
    const before = await svc.sign(keys[2]!.keyId, { data: Buffer.from('before') });
    for (const k of keys) await svc.rawExport(k.keyId, { hsm: 'a' });
    // The RSA and EC keys stay resident (no eviction): the zeroization is what removes them.
    expect((await svc.getHsm('a')).residentKeys).toBe(2);

    const a = hsms[0]!;
    await a.stop();
    zeroizeSoftHsm(a.stateDir);
    enterMasterKek(a.stateDir, KEK_1);
    await a.start();

    const zeroized = await svc.recordZeroized('a');
    expect(zeroized).toEqual(
      expect.objectContaining({ kekDomainId: null, residentKeys: 0, status: 'zeroized' }),
    );
    await expect(svc.rawImport(keys[0]!.keyId, { hsm: 'a' })).rejects.toHaveProperty(
      'type',
      'wrong-kek-domain',
    );
    const joined = await svc.joinKekDomain({ kekDomain: 'domain-1', hsm: 'a' });
    expect(joined.members).toContain(zeroized.hsmId);
    expect((await svc.getHsm('a')).kekDomainId).toBe(domainId);

    for (const k of keys) {
      await svc.rawImport(k.keyId, { hsm: 'a' });
      const data = Buffer.from(`recovered ${k.type}`);
      const { signature, q } = await svc.sign(k.keyId, { data });
      expect(verifies(k, data, signature)).toBe(true);
      if (k.type === 'hashsig') expect(q).toBeGreaterThan(before.q!);
    }
    const hsmEvents = await custody.store.readStream(`hsm-${zeroized.hsmId}`);
    expect(hsmEvents.map((e) => e.type)).toEqual([
      'HsmRegistered',
      'HsmJoinedKekDomain',
      'HsmZeroized',
      'HsmJoinedKekDomain',
    ]);
  }, 120_000);

  it('moves a hashsig key from a to b with disjoint index ranges and records the KEKEK provenance', async () => {
    const svc = custody.service;
    const k = await svc.generateKey({ hsm: 'a', type: 'hashsig', levels: 1, lms: 'H5', lmots: 'W8' });
    const signatures: { q: number; hsm: string; data: Buffer; signature: Buffer }[] = [];
    const signOn = async (hsm: string, n: number) => {
      for (let i = 0; i < n; i++) {
        const data = Buffer.from(`${hsm}-${signatures.length}`);
        const s = await svc.sign(k.keyId, { data, hsm });
        signatures.push({ q: s.q!, hsm: s.hsm, data, signature: s.signature });
      }
    };
    await signOn('a', 2);
    const moved = await svc.transfer(k.keyId, { from: 'a', to: 'b' });
    expect(moved.holders.map((h) => h.hsm).sort()).toEqual(['a', 'b']);
    expect(new Set(moved.holders.map((h) => h.copyId)).size).toBe(2);
    await signOn('a', 3);
    await signOn('b', 3);

    for (const s of signatures) expect(verifies(k, s.data, s.signature)).toBe(true);
    const qa = signatures.filter((s) => s.hsm === 'a').map((s) => s.q);
    const qb = signatures.filter((s) => s.hsm === 'b').map((s) => s.q);
    expect(new Set([...qa, ...qb]).size).toBe(qa.length + qb.length);
    expect(Math.max(...qa)).toBeLessThan(Math.min(...qb));

    const events = await svc.keyEvents(k.keyId);
    const kekek = events.find((e) => e.type === 'KekekGenerated')!.data as {
      hsmId: string;
      kekekName: string;
      spkiSha256: string;
    };
    const b = await svc.getHsm('b');
    expect(kekek).toEqual(
      expect.objectContaining({ hsmId: b.hsmId, spkiSha256: expect.stringMatching(/^[0-9a-f]{64}$/) }),
    );
    const exported = events.find((e) => e.type === 'KeyTransitExported')!.data as {
      partition: { sourceRange: { end: number }; exportedRange: { start: number; end: number } };
    };
    expect(exported.partition.exportedRange).toEqual({ start: 17, end: 32 });
    expect(qa.every((q) => q < exported.partition.sourceRange.end)).toBe(true);
    expect(qb.every((q) => q >= exported.partition.exportedRange.start)).toBe(true);
    expect(events.map((e) => e.type).filter((t) => t.startsWith('Key') || t.startsWith('Kekek'))).toEqual([
      'KeyGenerated',
      'KeyTransferPrepared',
      'KekekGenerated',
      'KeyTransferStarted',
      'KeyTransitExported',
      'KeyTransitImported',
    ]);
  }, 120_000);
});
