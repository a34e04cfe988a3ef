/**
 * Acceptance, key paging (issue 11): 10,000 EC keys through one HSM of capacity 500, then
 * 100,000 signs over HTTP with Zipf(1.0) key popularity from 16 concurrent clients. Every key is
 * generated through the API (the pager pages a key out when the HSM is full), every signature
 * verifies with the key's public key, no request fails for lack of room, every page move is in the
 * ledger with reason `paging`, and afterwards the HSM holds exactly what the ledger says it holds.
 */
import { createPublicKey, randomBytes, verify, type KeyObject } from 'node:crypto';
import { paging } from '../../src/domain';
import { ledgerEvents } from './support/ledger';
import { pool, startService, type Service } from '../api/support/service';

/**
 * The figures are 10,000 keys, capacity 500 and 100,000 requests: `npm run
 * test:paging-acceptance` runs them (53 minutes for both files on two cores). `npm test` runs the same
 * shape at 300 keys, 15 slots and 1,500 requests (the same keys per slot).
 */
const KEYS = Number(process.env.KEYLEDGER_TEST_PAGING_KEYS ?? 300);
const REQUESTS = Number(process.env.KEYLEDGER_TEST_PAGING_REQUESTS ?? 1_500);
const CAPACITY = Number(process.env.KEYLEDGER_TEST_PAGING_CAPACITY ?? 15);
const CLIENTS = 16;
const HSM = 'hsm-a';

interface HsmJson {
  name: string;
  capacity: number;
  residentKeys: number;
}

describe(`paging ${KEYS.toLocaleString('en')} EC keys through an HSM of capacity ${CAPACITY}`, () => {
  let svc: Service;
  const keys: { keyId: string; publicKey: KeyObject }[] = [];

  beforeAll(async () => {
    svc = await startService({ demo: { capacity: CAPACITY } });
    // One HSM: the demo's second one leaves (recorded as zeroized), so every page-in goes to hsm-a.
    await svc.json('POST', '/v1/hsms/hsm-b/zeroized');
  }, 60_000);

  afterAll(async () => {
    await svc?.close();
  });

  it(
    'generates every key through the full HSM, the pager making room',
    async () => {
      const made = await pool(Array.from({ length: KEYS }), CLIENTS, () =>
        svc.json<{ keyId: string; publicKey: string }>('POST', '/v1/keys', {
          hsm: HSM,
          type: 'ec',
          curve: 'P-256',
        }),
      );
      for (const k of made)
        keys.push({
          keyId: k.keyId,
          publicKey: createPublicKey({
            key: Buffer.from(k.publicKey, 'base64'),
            format: 'der',
            type: 'spki',
          }),
        });
      const hsm = await svc.json<HsmJson>('GET', `/v1/hsms/${HSM}`);
      expect(hsm.capacity).toBe(CAPACITY);
      expect(hsm.residentKeys).toBeLessThanOrEqual(CAPACITY);
      expect(new Set(keys.map((k) => k.keyId)).size).toBe(KEYS);
    },
    Math.max(900_000, KEYS * 120),
  );

  it(
    `signs ${REQUESTS.toLocaleString('en')} Zipf(1.0) requests from 16 clients: every signature verifies, none fails for lack of room, every move is recorded`,
    async () => {
      const head = await svc.position();
      const trace = paging.zipfTrace({ keys: KEYS, requests: REQUESTS, exponent: 1.0, seed: 11 });
      const byName = new Map(keys.map((k, i) => [`key-${i}`, k]));
      const failures: string[] = [];
      let bad = 0;
      await pool(trace, CLIENTS, async (name) => {
        const k = byName.get(name)!;
        const data = randomBytes(32);
        const response = await svc.call('POST', `/v1/keys/${k.keyId}/sign`, {
          data: data.toString('base64'),
        });
        const text = await response.text();
        if (response.status !== 200) {
          failures.push(`${response.status} ${text.slice(0, 300)}`);
          return;
        }
        const { signature } = JSON.parse(text) as { signature: string };
        const ok = verify(
          'sha256',
          data,
          { key: k.publicKey, dsaEncoding: 'ieee-p1363' },
          Buffer.from(signature, 'base64'),
        );
        if (!ok) bad++;
      });
      expect(failures.slice(0, 5)).toEqual([]);
      expect(failures).toHaveLength(0);
      expect(bad).toBe(0);

      // Every page move of the run is in the ledger with reason `paging`, each intent closed.
      const events = (await ledgerEvents(svc.dataDir)).filter((e) => e.position > head);
      const pageIns = events.filter((e) => e.type === 'KeyRawImportStarted');
      const pageOuts = events.filter((e) => e.type === 'KeyDeletedFromHsm');
      expect(pageIns.length).toBeGreaterThan(0);
      expect(pageIns.every((e) => e.data.reason === 'paging')).toBe(true);
      expect(pageOuts.every((e) => e.data.reason === 'paging')).toBe(true);
      const imported = new Set(events.filter((e) => e.type === 'KeyRawImported').map((e) => e.data.opId));
      expect(pageIns.filter((e) => !imported.has(e.data.opId as string))).toEqual([]);
      // Every key paged in was out, every key paged out was in: the moves alternate per key.
      const moves = new Map<string, string[]>();
      for (const e of [...pageIns, ...pageOuts].sort((a, b) => a.position - b.position)) {
        const keyId = e.data.keyId as string;
        moves.set(keyId, [...(moves.get(keyId) ?? []), e.type === 'KeyRawImportStarted' ? 'in' : 'out']);
      }
      for (const [, seq] of moves) for (let i = 1; i < seq.length; i++) expect(seq[i]).not.toBe(seq[i - 1]);
      // The moves carry the acting operator.
      expect(pageIns.every((e) => typeof e.metadata.operatorId === 'string')).toBe(true);
      const hitRate = 1 - pageIns.length / REQUESTS;
      console.log(
        `paging: ${REQUESTS} signs, ${pageIns.length} page-ins, ${pageOuts.length} page-outs, hit rate ${hitRate.toFixed(3)}`,
      );

      // The HSM and the ledger agree key for key, and the HSM never went over its capacity.
      const reconcile = await svc.json<{ drift: unknown[] }>('POST', `/v1/hsms/${HSM}/reconcile`);
      expect(reconcile.drift).toEqual([]);
      const hsm = await svc.json<HsmJson>('GET', `/v1/hsms/${HSM}`);
      expect(hsm.residentKeys).toBeLessThanOrEqual(CAPACITY);
    },
    Math.max(1_200_000, REQUESTS * 60),
  );
});
