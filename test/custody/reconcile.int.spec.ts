/** Reconciliation (docs/architecture.md §4): drift between PKEY_MATCH and the ledger is reported and recorded, never fixed. */
import { CustodyNotFound } from '../../src/app/custody/errors';
import { makeTempDir, removeTempDir } from '../support/temp-dir';
import { directClient, openCustody, registerInDomain, startHsm, type Custody, type TestHsm } from './support';

describe('reconcile', () => {
  let dir: string;
  let hsm: TestHsm;
  let custody: Custody;

  beforeAll(async () => {
    dir = await makeTempDir('custody-reconcile-');
    hsm = await startHsm(dir, 'a');
    custody = await openCustody(dir);
    await registerInDomain(custody.service, [hsm]);
  });
  afterAll(async () => {
    await custody.close();
    await hsm.stop();
    await removeTempDir(dir);
  });

  it('reports a key deleted behind the ledger and a key it never recorded, records the report, and changes no residency', async () => {
    const svc = custody.service;
    const kept = await svc.generateKey({ hsm: 'a', type: 'ec' });
    const gone = await svc.generateKey({ hsm: 'a', type: 'ec' });
    const goneName = gone.holders[0]!.hsmKeyName!;
    const client = await directClient(hsm);
    let strayName: string;
    try {
      await client.delete(await client.open(goneName));
      const stray = await client.generateEc(1, 0x01 | 0x08);
      strayName = stray.uuid;
    } finally {
      client.disconnect();
    }
    const report = await svc.reconcile('a');
    expect(report.expected).toEqual([kept.holders[0]!.hsmKeyName!, goneName].sort());
    expect(report.drift).toEqual([
      { hsmKeyName: goneName, kind: 'missing-on-hsm', keyId: gone.keyId },
      { hsmKeyName: strayName, kind: 'unknown-to-ledger' },
    ]);
    expect((await svc.getKey(gone.keyId)).holders).toEqual([
      expect.objectContaining({ kind: 'hsm', hsmKeyName: goneName }),
    ]);
    const hsmId = (await svc.getHsm('a')).hsmId;
    const recorded = await custody.store.readStream(`hsmreconcile-${hsmId}`);
    expect(recorded.map((e) => [e.type, (e.data as { drift: unknown[] }).drift.length])).toEqual([
      ['HsmReconciled', 2],
    ]);
    await expect(svc.reconcile('missing')).rejects.toBeInstanceOf(CustodyNotFound);
  });
});
