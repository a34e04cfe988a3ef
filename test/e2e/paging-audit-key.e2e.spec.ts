/**
 * The audit key on a full HSM (docs/architecture.md §4 "Key paging"): when the first checkpoint is
 * due and the HSM that is to hold the audit key has every slot taken by ledger keys, the pager
 * pages one out to make room, the audit key keeps that slot, and paging goes on around it.
 */
import { randomBytes } from 'node:crypto';
import { startService, type KeyJson, type Service } from '../api/support/service';
import { ecdsaVerifies } from '../support/ecdsa';

const CAPACITY = 4;

describe('the audit key on a full HSM (HTTP)', () => {
  let svc: Service;

  beforeAll(async () => {
    svc = await startService({ demo: { capacity: CAPACITY }, env: { KEYLEDGER_CHECKPOINT_EVERY: '40' } });
  }, 60_000);

  afterAll(async () => {
    await svc?.close();
  });

  it('pages a key out for the audit key, signs the first checkpoint, and every key still signs', async () => {
    const keys: KeyJson[] = [];
    // More keys than hsm-a has slots, so it is full when the checkpoint falls due (40 events).
    for (let i = 0; i < CAPACITY * 3; i++)
      keys.push(await svc.json<KeyJson>('POST', '/v1/keys', { hsm: 'hsm-a', type: 'ec', curve: 'P-256' }));

    let auditKey = await svc.call('GET', '/v1/audit/key');
    for (let i = 0; i < 100 && auditKey.status !== 200; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      auditKey = await svc.call('GET', '/v1/audit/key');
    }
    expect(auditKey.status).toBe(200);
    const checkpoint = await svc.json<{ treeSize: number }>('GET', '/v1/audit/checkpoint');
    expect(checkpoint.treeSize).toBeGreaterThanOrEqual(40);

    for (const k of keys) {
      const data = randomBytes(24);
      const s = await svc.json<{ signature: string }>('POST', `/v1/keys/${k.keyId}/sign`, {
        data: data.toString('base64'),
      });
      expect(ecdsaVerifies(k.publicKey, data, s.signature)).toBe(true);
    }
  }, 120_000);
});
