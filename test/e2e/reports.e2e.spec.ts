/**
 * Acceptance, compliance reports (issue 10 item 4), over HTTP against the running service (real
 * ledger, demo soft HSMs). The policy gates destroy-key with one officer approval, so a custody
 * chain shows who asked and who approved: olga (operator) asks, bob (officer) approves.
 *
 * The central property: an inventory taken at position P and the inventory asked for later "as of
 * P", after more keys were generated, exported, imported, signed with and destroyed, are the same
 * bytes.
 */
import { parse } from 'csv-parse/sync';
import { approval } from '../../src/domain';
import { OPEN_POLICY } from '../support/policy';
import { expectProblem, pool, startService, type KeyJson, type Service } from '../api/support/service';

interface Report {
  report: string;
  asOf: { position: number; at: string | null };
  ledger: { position: number; events: number };
  checkpoint: null;
  [field: string]: unknown;
}

interface InventoryKey {
  keyId: string;
  label: string | null;
  type: string;
  state: string;
  holders: { kind: string; hsm?: string; blobSha256?: string }[];
  currentBlob: string | null;
  kekDomains: { kekDomainId: string; name: string | null }[];
  lastMovement: { type: string; position: number; by: { operatorId: string; name: string | null } | null };
  hashsig: { signatures: number; remaining: number } | null;
}

const POLICY: approval.ApprovalPolicy = {
  ...OPEN_POLICY,
  approvals: { ...OPEN_POLICY.approvals, 'destroy-key': 1 },
};
const HOSTILE = `<script>alert("pwned")</script> & 'quoted', "comma, too"`;
const CSV_COLUMNS = [
  'keyId',
  'label',
  'type',
  'params',
  'state',
  'holderHsms',
  'holderBlobs',
  'currentBlob',
  'kekDomains',
  'lastMovement',
  'lastMovementAt',
  'lastMovementPosition',
  'lastMovementBy',
  'lastMovementByName',
  'hashsigSignatures',
  'hashsigRemaining',
];

describe('compliance reports', () => {
  let svc: Service;
  const tokens: Record<string, string> = {};
  const ids: Record<string, string> = {};

  const as = (who: string) => ({
    async json<T = Record<string, unknown>>(
      method: string,
      p: string,
      body?: unknown,
      status?: number,
    ): Promise<T> {
      const response = await svc.call(method, p, body, { auth: tokens[who] });
      const text = await response.text();
      if (status !== undefined ? response.status !== status : !response.ok)
        throw new Error(`${who}: ${method} ${p} answered ${response.status}: ${text}`);
      return JSON.parse(text) as T;
    },
  });
  /** A report as the auditor reads it: the response and its text. */
  const report = async (p: string) => {
    const response = await svc.call('GET', p, undefined, { auth: tokens.aude });
    const text = await response.text();
    if (response.status !== 200) throw new Error(`GET ${p} answered ${response.status}: ${text}`);
    return { response, text };
  };
  const generate = (spec: Record<string, unknown>, who = 'olga') =>
    as(who).json<KeyJson>('POST', '/v1/keys', { hsm: 'hsm-a', ...spec }, 201);
  const destroy = async (keyId: string) => {
    const request = await as('olga').json<{ approvalId: string }>(
      'DELETE',
      `/v1/keys/${keyId}`,
      undefined,
      202,
    );
    const done = await as('bob').json<{ status: string }>(
      'POST',
      `/v1/approvals/${request.approvalId}/approve`,
    );
    expect(done.status).toBe('executed');
    return request.approvalId;
  };

  beforeAll(async () => {
    svc = await startService({ policy: POLICY, prefix: 'kl-rep-' });
    tokens.first = svc.token;
    for (const [name, role] of [
      ['bob', 'officer'],
      ['olga', 'operator'],
      ['aude', 'auditor'],
    ] as const) {
      const o = await as('first').json<{ operatorId: string; token: string }>(
        'POST',
        '/v1/operators',
        { name, role },
        201,
      );
      tokens[name] = o.token;
      ids[name] = o.operatorId;
    }
  }, 60_000);

  afterAll(async () => {
    await svc?.close();
  });

  describe('as of a past position', () => {
    it('the inventory taken at P equals, byte for byte, the inventory asked for later as of P', async () => {
      const ec = await generate({ type: 'ec', label: 'payments 2026' });
      const rsa = await generate({ type: 'rsa', bits: 2048, label: HOSTILE });
      const hss = await generate({ type: 'hashsig', lms: 'H5', lmots: 'W8', label: 'firmware' });
      await as('olga').json('POST', `/v1/keys/${ec.keyId}/raw-export`, { hsm: 'hsm-a' });
      for (let i = 0; i < 3; i++)
        await as('olga').json('POST', `/v1/keys/${hss.keyId}/sign`, {
          data: Buffer.from(`m${i}`).toString('base64'),
        });

      const then = await report('/v1/reports/inventory');
      const taken = JSON.parse(then.text) as Report & { keys: InventoryKey[] };
      const P = taken.asOf.position;
      expect(P).toBe(await svc.position());
      expect(taken).toEqual(
        expect.objectContaining({
          report: 'inventory',
          ledger: { position: P, events: P },
          checkpoint: null,
        }),
      );
      expect(then.response.headers.get('content-type')).toBe('application/json; charset=utf-8');
      expect(then.response.headers.get('keyledger-as-of-position')).toBe(String(P));
      const others = Object.fromEntries(
        ['dual-control', 'hashsig-usage', `custody-chain?key=${hss.keyId}`].map((r) => [r, '']),
      );
      for (const r of Object.keys(others)) others[r] = (await report(`/v1/reports/${r}`)).text;

      // Keep writing: more keys, a hashsig raw export (it leaves the HSM) and import, signatures,
      // a transfer, an eviction, and keys destroyed through an approval.
      const later = await pool([1, 2, 3, 4, 5, 6], 3, (i) => generate({ type: 'ec', label: `later ${i}` }));
      await as('olga').json('POST', `/v1/keys/${hss.keyId}/raw-export`, { hsm: 'hsm-a' });
      await as('olga').json('POST', `/v1/keys/${hss.keyId}/raw-import`, { hsm: 'hsm-b' });
      await as('olga').json('POST', `/v1/keys/${hss.keyId}/sign`, { data: 'AAAA' });
      await as('olga').json('POST', `/v1/keys/${rsa.keyId}/transfer`, { from: 'hsm-a', to: 'hsm-b' });
      await as('olga').json('DELETE', `/v1/keys/${ec.keyId}/residency/hsm-a`);
      await destroy(later[0]!.keyId);
      await destroy(ec.keyId);
      expect(await svc.position()).toBeGreaterThan(P + 20);

      const now = await report('/v1/reports/inventory');
      expect(now.text).not.toBe(then.text);
      const asOfP = await report(`/v1/reports/inventory?asOf=${P}`);
      expect(asOfP.text).toBe(then.text);
      expect(asOfP.response.headers.get('keyledger-as-of-position')).toBe(String(P));
      for (const r of Object.keys(others)) {
        const sep = r.includes('?') ? '&' : '?';
        expect({ r, text: (await report(`/v1/reports/${r}${sep}asOf=${P}`)).text }).toEqual({
          r,
          text: others[r],
        });
      }

      // What the inventory said at P.
      const byId = new Map(taken.keys.map((k) => [k.keyId, k]));
      expect(byId.get(ec.keyId)).toEqual(
        expect.objectContaining({
          type: 'ec',
          state: 'active',
          label: 'payments 2026',
          holders: [
            expect.objectContaining({ kind: 'blob', blobSha256: byId.get(ec.keyId)!.currentBlob }),
            expect.objectContaining({ kind: 'hsm', hsm: 'hsm-a' }),
          ],
          lastMovement: expect.objectContaining({
            type: 'KeyRawExported',
            by: { operatorId: ids.olga, name: 'olga' },
          }),
          hashsig: null,
        }),
      );
      expect(byId.get(ec.keyId)!.kekDomains).toEqual([
        expect.objectContaining({ kekDomainId: expect.any(String) }),
      ]);
      expect(byId.get(hss.keyId)!.hashsig).toEqual({ signatures: 3, remaining: 29 });
      expect(byId.get(rsa.keyId)!.label).toBe(HOSTILE);
      // And what it says now.
      const current = new Map(
        (JSON.parse(now.text) as { keys: InventoryKey[] }).keys.map((k) => [k.keyId, k]),
      );
      expect(current.get(ec.keyId)!.state).toBe('destroyed');
      expect(current.get(hss.keyId)!.hashsig).toEqual({ signatures: 4, remaining: 28 });
      expect(
        current
          .get(rsa.keyId)!
          .holders.filter((h) => h.kind === 'hsm')
          .map((h) => h.hsm),
      ).toEqual(['hsm-a', 'hsm-b']);
    });

    it('as of a time: the last event at or before it; before the first event: position 0', async () => {
      const head = JSON.parse((await report('/v1/reports/inventory')).text) as Report;
      const byTime = JSON.parse((await report(`/v1/reports/inventory?asOf=${head.asOf.at}`)).text) as Report;
      expect(byTime.asOf.position).toBe(head.asOf.position);
      const empty = JSON.parse(
        (await report('/v1/reports/inventory?asOf=2000-01-01T00:00:00Z')).text,
      ) as Report;
      expect(empty).toEqual(
        expect.objectContaining({
          asOf: { position: 0, at: null },
          ledger: { position: 0, events: 0 },
          keys: [],
        }),
      );
      const offset = JSON.parse((await report('/v1/reports/inventory?asOf=0')).text) as Report;
      expect(offset.asOf.position).toBe(0);
    });
  });

  describe('formats', () => {
    it('CSV: RFC 4180 with the documented columns, one record per key, values as in the JSON', async () => {
      const json = JSON.parse((await report('/v1/reports/inventory')).text) as Report & {
        keys: InventoryKey[];
      };
      const { response, text } = await report(`/v1/reports/inventory?format=csv&asOf=${json.asOf.position}`);
      expect(response.headers.get('content-type')).toBe('text/csv; charset=utf-8; header=present');
      expect(response.headers.get('content-disposition')).toBe(
        `inline; filename="keyledger-inventory-${json.asOf.position}.csv"`,
      );
      expect(text.endsWith('\r\n')).toBe(true);
      const records = parse(text, { record_delimiter: '\r\n', relax_quotes: false }) as string[][];
      expect(records[0]).toEqual(CSV_COLUMNS);
      expect(records.slice(1).map((r) => r[0])).toEqual(json.keys.map((k) => k.keyId));
      expect(records.every((r) => r.length === CSV_COLUMNS.length)).toBe(true);
      const rows = parse(text, { columns: true }) as Record<string, string>[];
      for (const [i, k] of json.keys.entries()) {
        const row = rows[i]!;
        expect(row).toEqual(
          expect.objectContaining({
            keyId: k.keyId,
            label: k.label ?? '',
            type: k.type,
            state: k.state,
            currentBlob: k.currentBlob ?? '',
            holderHsms: k.holders
              .filter((h) => h.kind === 'hsm')
              .map((h) => h.hsm)
              .join('; '),
            lastMovement: k.lastMovement.type,
            lastMovementPosition: String(k.lastMovement.position),
            lastMovementBy: k.lastMovement.by?.operatorId ?? '',
            hashsigRemaining: k.hashsig === null ? '' : String(k.hashsig.remaining),
          }),
        );
      }
      expect(rows.map((r) => r.label)).toContain(HOSTILE);
    });

    it('HTML: one page, labels escaped, stating position, as-of and how it was asked for', async () => {
      const json = JSON.parse((await report('/v1/reports/inventory')).text) as Report;
      const { response, text } = await report(`/v1/reports/inventory?format=html&asOf=${json.asOf.position}`);
      expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(response.headers.get('content-security-policy')).toMatch(/default-src 'none'/);
      expect(text).toMatch(/^<!DOCTYPE html>/);
      expect(text).not.toMatch(/<script/i);
      expect(text).not.toMatch(/\s(src|href)=/);
      expect(text).toContain(
        '&lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt; &amp; &#39;quoted&#39;, &quot;comma, too&quot;',
      );
      expect(text).toContain(`ledger position ${json.asOf.position}, the event recorded at ${json.asOf.at}`);
      expect(text).toContain(`report=inventory, format=html, asOf=${json.asOf.position}`);
    });
  });

  describe('custody chain and dual control', () => {
    it("names who asked, who approved and who executed a key's destruction, beside every move", async () => {
      const k = await generate({ type: 'ec', label: 'short-lived' });
      await as('olga').json('POST', `/v1/keys/${k.keyId}/raw-export`, { hsm: 'hsm-a' });
      const approvalId = await destroy(k.keyId);
      const chain = JSON.parse((await report(`/v1/reports/custody-chain?key=${k.keyId}`)).text) as Report & {
        key: { keyId: string; state: string };
        entries: {
          type: string;
          by: { operatorId: string; name: string | null };
          hsms: { name: string }[];
          blobs: string[];
          approval: {
            approvalId: string;
            requestedBy: { name: string };
            approvedBy: { name: string }[];
          } | null;
        }[];
      };
      expect(chain.key).toEqual(expect.objectContaining({ keyId: k.keyId, state: 'destroyed' }));
      expect(chain.entries.map((e) => [e.type, e.by.name])).toEqual([
        ['KeyGenerated', 'olga'],
        ['KeyRawExportStarted', 'olga'],
        ['KeyRawExported', 'olga'],
        ['ApprovalRequested', 'olga'],
        ['ApprovalGranted', 'bob'],
        ['KeyDeletedFromHsm', 'bob'],
        ['KeyDestroyed', 'bob'],
        ['ApprovalExecuted', 'bob'],
      ]);
      expect(chain.entries[0]!.hsms.map((h) => h.name)).toEqual(['hsm-a']);
      expect(chain.entries[6]!.approval).toEqual({
        approvalId,
        requestedBy: { operatorId: ids.olga, name: 'olga' },
        approvedBy: [{ operatorId: ids.bob, name: 'bob' }],
      });
      expect(chain.entries[6]!.blobs).toHaveLength(1);

      const dual = JSON.parse((await report('/v1/reports/dual-control')).text) as Report & {
        requests: {
          approvalId: string;
          status: string;
          requestedBy: { name: string };
          approvals: { by: { name: string } }[];
        }[];
        counts: { action: string; requests: number; executed: number }[];
      };
      expect(dual.requests.find((r) => r.approvalId === approvalId)).toEqual(
        expect.objectContaining({
          status: 'executed',
          requestedBy: { operatorId: ids.olga, name: 'olga' },
          approvals: [expect.objectContaining({ by: { operatorId: ids.bob, name: 'bob' } })],
        }),
      );
      expect(dual.counts).toEqual([
        expect.objectContaining({ action: 'destroy-key', requests: 3, executed: 3 }),
      ]);
    });

    it('forecasts hashsig exhaustion from the index log', async () => {
      const usage = JSON.parse((await report('/v1/reports/hashsig-usage')).text) as Report & {
        keys: { used: number; remaining: number; ratePerDay: number | null; exhaustsAt: string | null }[];
      };
      expect(usage.keys).toEqual([
        expect.objectContaining({
          used: 4,
          remaining: 28,
          ratePerDay: expect.any(Number),
          exhaustsAt: expect.any(String),
        }),
      ]);
      expect(Date.parse(usage.keys[0]!.exhaustsAt!)).toBeGreaterThan(Date.parse(usage.asOf.at!));
    });
  });

  describe('bounded inputs', () => {
    const bad = async (p: string, status: number, field?: string) => {
      const problem = await expectProblem(await svc.call('GET', p, undefined, { auth: tokens.aude }), status);
      if (field !== undefined) expect(problem.errors).toEqual([expect.objectContaining({ field })]);
      return problem;
    };

    it('answers 400 naming the field for a bad asOf, format, key or an unknown parameter', async () => {
      await bad('/v1/reports/inventory?asOf=yesterday', 400, 'asOf');
      await bad('/v1/reports/inventory?asOf=2026-02-30T10:00:00Z', 400, 'asOf');
      await bad('/v1/reports/inventory?asOf=2026-12-07', 400, 'asOf');
      await bad('/v1/reports/inventory?asOf=-1', 400, 'asOf');
      await bad('/v1/reports/inventory?asOf=1&asOf=2', 400, 'asOf');
      await bad('/v1/reports/inventory?format=xml', 400, 'format');
      await bad('/v1/reports/inventory?asof=12', 400, 'asof');
      await bad('/v1/reports/inventory?key=abc', 400, 'key');
      await bad('/v1/reports/custody-chain', 400, 'key');
      await bad('/v1/reports/custody-chain?key=%3Cscript%3E', 400, 'key');
    });

    it('refuses a position beyond the head with 400 (no clamping)', async () => {
      const head = await svc.position();
      const problem = await bad(`/v1/reports/inventory?asOf=${head + 1000}`, 400, 'asOf');
      expect(problem.detail).toMatch(new RegExp(`beyond the ledger head \\(position \\d+\\)`));
    });

    it('answers 404 for an unknown key or report, listing the reports', async () => {
      await bad('/v1/reports/custody-chain?key=5b0c9a4e-0000-4000-8000-000000000000', 404);
      const problem = await bad('/v1/reports/usage', 404);
      expect(problem.detail).toBe(
        'there is no report named "usage"; the reports are: inventory, custody-chain, hashsig-usage, dual-control, integrity',
      );
      // A key generated after the position asked for is not in the ledger as of it.
      const k = await generate({ type: 'ec' });
      const before = (await svc.position()) - 1;
      expect((await bad(`/v1/reports/custody-chain?key=${k.keyId}&asOf=${before}`, 404)).detail).toBe(
        `key "${k.keyId}" is not in the ledger as of position ${before}`,
      );
    });

    it('is documented: its formats, its parameters and its problems, for the auditor role', async () => {
      const doc = (await (await fetch(`${svc.url}/docs-json`)).json()) as {
        paths: Record<string, Record<string, Record<string, unknown>>>;
      };
      const op = doc.paths['/v1/reports/{name}']!.get! as {
        responses: Record<string, { content?: Record<string, unknown> }>;
        parameters: { name: string; schema?: { enum?: string[] } }[];
        'x-keyledger-role': string;
      };
      expect(Object.keys(op.responses['200']!.content!).sort()).toEqual([
        'application/json',
        'text/csv',
        'text/html',
      ]);
      expect(Object.keys(op.responses)).toEqual(
        expect.arrayContaining(['400', '401', '403', '404', '500', '503']),
      );
      expect(op.parameters.map((p) => p.name).sort()).toEqual(['asOf', 'format', 'key', 'name']);
      expect(op.parameters.find((p) => p.name === 'name')!.schema!.enum).toEqual([
        'inventory',
        'custody-chain',
        'hashsig-usage',
        'dual-control',
        'integrity',
      ]);
      expect(op['x-keyledger-role']).toBe('auditor');
    });

    it('needs a token; auditors and everyone above read reports', async () => {
      await expectProblem(await svc.call('GET', '/v1/reports/inventory', undefined, { auth: false }), 401);
      for (const who of ['aude', 'olga', 'bob'])
        expect(
          (await svc.call('GET', '/v1/reports/dual-control', undefined, { auth: tokens[who] })).status,
        ).toBe(200);
    });
  });
});
