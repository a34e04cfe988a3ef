import type { JsonObject, RecordedEvent } from '../../event-store/event-store';
import {
  KEY,
  at,
  deletedFromHsm,
  hashsigGenerated,
  path1,
  rawExportStarted,
  rawExported,
  rawImportStarted,
  rawImported,
  released,
  rsaGenerated,
  sha,
} from '../../domain/key/fixtures';
import { REPORTS, ReportFold, buildReport, findReport, reportOver } from '.';
import { custodyChainReport } from './custody-chain.report';
import { dualControlReport } from './dual-control.report';
import { exhaustsAt, hashsigUsageReport, ratePerDay } from './hashsig-usage.report';
import { inventoryReport } from './inventory.report';

const RSA_KEY = '7c1d2e3f-0000-4000-8000-00000000000a';
const A = sha('aa');
const B = sha('bb');
const C = sha('cc');

type Spec = { stream: string; type: string; data: object; by?: string; meta?: JsonObject };

/** Numbers events as the store would; metadata names the operator (`by`) and the decision time. */
function recordAll(events: readonly Spec[]): RecordedEvent[] {
  const revisions = new Map<string, number>();
  return events.map((e, i) => {
    const revision = revisions.get(e.stream) ?? 0;
    revisions.set(e.stream, revision + 1);
    const data = e.data as JsonObject;
    return Object.freeze({
      id: `00000000-0000-4000-8000-${String(i + 1).padStart(12, '0')}`,
      streamName: e.stream,
      revision,
      position: i + 1,
      type: e.type,
      data,
      metadata: { operatorId: e.by ?? 'keyledger', at: data.at as string, ...e.meta },
      recordedAt: '2030-01-01T00:00:00.000Z',
    });
  });
}

const hs = (e: { type: string; data: object }, by = 'olga-id'): Spec => ({ stream: `key-${KEY}`, by, ...e });
const rsa = (e: { type: string; data: object }, by = 'olga-id', meta?: JsonObject): Spec => ({
  stream: `key-${RSA_KEY}`,
  by,
  meta,
  ...e,
  data: { ...e.data, keyId: RSA_KEY },
});
const enrolled = (operatorId: string, name: string, role: string): Spec => ({
  stream: `operator-${operatorId}`,
  type: 'OperatorEnrolled',
  by: 'first-officer',
  data: { operatorId, name, role, tokenHash: sha('00'), basis: 'not-gated', at: at(0) },
});
const registered = (hsmId: string, name: string): Spec => ({
  stream: `hsm-${hsmId}`,
  type: 'HsmRegistered',
  data: { hsmId, name, endpoint: `unix:/run/${hsmId}.sock`, kekDomainId: null, capacity: 100, at: at(0) },
});
const joined = (hsmId: string): Spec => ({
  stream: `hsm-${hsmId}`,
  type: 'HsmJoinedKekDomain',
  data: { hsmId, kekDomainId: 'kd-1', canaryBlobSha256: C, canaryPublicKeySha256: C, at: at(0) },
});
const approvalEvent = (type: string, data: object, by: string): Spec => ({
  stream: 'approval-ap-1',
  type,
  by,
  data: { approvalId: 'ap-1', ...data },
});
const labelled = (e: ReturnType<typeof rsaGenerated>, label: string) => ({
  ...e,
  data: { ...e.data, attributes: { ...e.data.attributes, '3': Buffer.from(label).toString('base64') } },
});

/**
 * Two officers and an operator; hsm-a and hsm-b in KEK domain kd-1 ("domain-1"). A hashsig key:
 * generated on hsm-a, three signatures over two hours, raw-exported to blob A and deleted from hsm-a,
 * imported on hsm-b. An RSA key labelled `<b>"pay" & 'co'</b>`: generated on hsm-a, raw-exported to
 * blob B, destroyed through approval ap-1 (olga asked, bob approved, bob's approval ran it).
 */
const history = recordAll([
  enrolled('olga-id', 'olga', 'operator'),
  enrolled('bob-id', 'bob', 'officer'),
  registered('hsm-a', 'hsm-a'),
  registered('hsm-b', 'hsm-b'),
  {
    stream: 'kekdomain-kd-1',
    type: 'KekDomainCreated',
    data: {
      kekDomainId: 'kd-1',
      name: 'domain-1',
      canaryKeyId: 'canary',
      canaryPublicKey: 'AAEC',
      canaryPublicKeySha256: C,
      canaryBlobSha256: C,
      foundingHsmId: 'hsm-a',
      at: at(0),
    },
  },
  joined('hsm-a'),
  joined('hsm-b'),
  hs(hashsigGenerated('hsm-a')),
  hs(released('c0', 'hsm-a', [path1(0)], 1)),
  hs(released('c0', 'hsm-a', [path1(1), path1(2)], 3, 1)),
  hs(rawExportStarted('op1', 'hsm-a', 4)),
  hs(rawExported('op1', 'hsm-a', A, 4, { range: { start: 3, end: 32 } })),
  hs(deletedFromHsm('hsm-a', 4)),
  hs(rawImportStarted('op2', 'hsm-b', A, 5)),
  hs(rawImported('op2', 'hsm-b', A, 5)),
  rsa(labelled(rsaGenerated('hsm-a'), `<b>"pay" & 'co'</b>`)),
  rsa(rawExportStarted('op3', 'hsm-a', 6)),
  rsa(rawExported('op3', 'hsm-a', B, 6)),
  approvalEvent(
    'ApprovalRequested',
    {
      action: 'destroy-key',
      params: { keyId: RSA_KEY },
      requestedBy: 'olga-id',
      required: 1,
      expiresAt: at(20),
      at: at(7),
    },
    'olga-id',
  ),
  approvalEvent('ApprovalGranted', { by: 'bob-id', role: 'officer', at: at(8) }, 'bob-id'),
  rsa(deletedFromHsm('hsm-a', 8, { reason: 'destroy' }), 'bob-id', {
    approvalId: 'ap-1',
    requestedBy: 'olga-id',
    approvedBy: ['bob-id'],
  }),
  rsa({ type: 'KeyDestroyed', data: { blobSha256s: [B], reason: 'approved', at: at(8) } }, 'bob-id', {
    approvalId: 'ap-1',
    requestedBy: 'olga-id',
    approvedBy: ['bob-id'],
  }),
  approvalEvent('ApprovalExecuted', { by: 'bob-id', result: { keyId: RSA_KEY }, at: at(8) }, 'bob-id'),
]);

const json = (v: unknown) => JSON.stringify(v);
const keyOf = (name: string) => (name === 'custody-chain' ? RSA_KEY : null);

describe('reports', () => {
  it.each(REPORTS.map((r) => [r.name, r] as const))(
    '%s: the same ledger gives the same bytes, whether folded at once or one event at a time',
    (_name, report) => {
      const whole = json(reportOver(report, history, keyOf(report.name)).document);
      expect(json(reportOver(report, history, keyOf(report.name)).document)).toBe(whole);
      const fold = new ReportFold(report.projections(keyOf(report.name)));
      for (const event of history) fold.add([event]);
      expect(json(buildReport(report, fold, keyOf(report.name)).document)).toBe(whole);
    },
  );

  it.each(REPORTS.map((r) => [r.name, r] as const))(
    '%s: states the report, the position and time it is as of, and no checkpoint yet',
    (name, report) => {
      const doc = reportOver(report, history.slice(0, 20), keyOf(name)).document;
      expect(Object.keys(doc).slice(0, 4)).toEqual(['report', 'asOf', 'ledger', 'checkpoint']);
      expect(doc).toEqual(
        expect.objectContaining({
          report: name,
          asOf: { position: 20, at: at(8) },
          ledger: { position: 20, events: 20 },
          checkpoint: null,
        }),
      );
    },
  );

  it('finds a report by name, and lists the known ones for an unknown name', () => {
    expect(findReport('inventory')).toBe(inventoryReport);
    expect(() => findReport('usage')).toThrow(
      'there is no report named "usage"; the reports are: inventory, custody-chain, hashsig-usage, dual-control, integrity',
    );
  });

  describe('inventory', () => {
    it('lists each key in generation order with holders, current blob, KEK domain, last movement and hashsig use', () => {
      const doc = reportOver(inventoryReport, history.slice(0, 18)).document as { keys: unknown[] };
      expect(doc.keys).toEqual([
        {
          keyId: KEY,
          label: null,
          type: 'hashsig',
          params: { levels: 1, lmsType: 5, lmotsType: 3, I: '10'.repeat(16), lms: 'H5', lmots: 'W4' },
          state: 'active',
          generatedPosition: 8,
          holders: [
            {
              kind: 'hsm',
              copyId: 'c0',
              hsmId: 'hsm-b',
              hsm: 'hsm-b',
              hsmKeyName: 'bb000000-0000-4000-8000-000000000001',
              since: at(5),
            },
          ],
          currentBlob: null,
          kekDomains: [{ kekDomainId: 'kd-1', name: 'domain-1' }],
          lastMovement: {
            type: 'KeyRawImported',
            at: at(5),
            position: 15,
            by: { operatorId: 'olga-id', name: 'olga' },
            approvalId: null,
          },
          hashsig: { signatures: 3, remaining: 29 },
        },
        {
          keyId: RSA_KEY,
          label: `<b>"pay" & 'co'</b>`,
          type: 'rsa',
          params: { bits: 2048 },
          state: 'active',
          generatedPosition: 16,
          holders: [
            {
              kind: 'blob',
              copyId: 'c0',
              blobSha256: B,
              since: at(6),
            },
            {
              kind: 'hsm',
              copyId: 'c0',
              hsmId: 'hsm-a',
              hsm: 'hsm-a',
              hsmKeyName: 'aa000000-0000-4000-8000-000000000001',
              since: at(0),
            },
          ],
          currentBlob: B,
          kekDomains: [{ kekDomainId: 'kd-1', name: 'domain-1' }],
          lastMovement: expect.objectContaining({ type: 'KeyRawExported', position: 18 }),
          hashsig: null,
        },
      ]);
    });

    it('shows a key destroyed through an approval, named by the approval that ran it', () => {
      const doc = reportOver(inventoryReport, history).document as {
        keys: { state: string }[];
        totals: object;
      };
      expect(doc.keys[1]).toEqual(
        expect.objectContaining({
          state: 'destroyed',
          holders: [],
          currentBlob: null,
          lastMovement: {
            type: 'KeyDestroyed',
            at: at(8),
            position: 22,
            by: { operatorId: 'bob-id', name: 'bob' },
            approvalId: 'ap-1',
          },
        }),
      );
      expect(doc.totals).toEqual({ keys: 2, active: 1, frozen: 0, destroyed: 1, rsa: 1, ec: 0, hashsig: 1 });
    });

    it('flattens each key into one CSV row: lists as cells, hashsig columns empty for RSA', () => {
      const [table] = reportOver(inventoryReport, history.slice(0, 18)).tables;
      expect(table.rows[1]).toEqual({
        keyId: RSA_KEY,
        label: `<b>"pay" & 'co'</b>`,
        type: 'rsa',
        params: 'bits=2048',
        state: 'active',
        holderHsms: ['hsm-a'],
        holderBlobs: [B],
        currentBlob: B,
        kekDomains: ['domain-1'],
        lastMovement: 'KeyRawExported',
        lastMovementAt: at(6),
        lastMovementPosition: 18,
        lastMovementBy: 'olga-id',
        lastMovementByName: 'olga',
        hashsigSignatures: null,
        hashsigRemaining: null,
      });
      expect(Object.keys(table.rows[0]!)).toEqual(table.columns.map((c) => c.name));
    });
  });

  describe('custody chain', () => {
    it("lists the key's moves and the approval that destroyed it, in ledger order, with who asked and approved", () => {
      const doc = reportOver(custodyChainReport, history, RSA_KEY).document as {
        entries: { position: number; type: string; summary: string; by: object; approval: object | null }[];
      };
      expect(doc.entries.map((e) => [e.position, e.type, e.summary])).toEqual([
        [16, 'KeyGenerated', 'generated as copy c0 on hsm-a'],
        [17, 'KeyRawExportStarted', 'raw export of copy c0 from hsm-a started (operation op3)'],
        [18, 'KeyRawExported', `copy c0 raw-exported from hsm-a into blob ${B.slice(0, 8)}…`],
        [
          19,
          'ApprovalRequested',
          `olga (olga-id) asked for destroy-key (keyId=${RSA_KEY}), needing 1 officer approval(s) by ${at(20)}`,
        ],
        [20, 'ApprovalGranted', 'bob (bob-id) approved destroy-key'],
        [21, 'KeyDeletedFromHsm', 'copy c0 deleted from hsm-a: destroy'],
        [22, 'KeyDestroyed', '(1 blob(s) destroyed): approved'.replace(/^/, 'destroyed ')],
        [23, 'ApprovalExecuted', 'destroy-key executed by bob (bob-id)'],
      ]);
      expect(doc.entries[6]).toEqual(
        expect.objectContaining({
          by: { operatorId: 'bob-id', name: 'bob' },
          blobs: [B],
          approval: {
            approvalId: 'ap-1',
            requestedBy: { operatorId: 'olga-id', name: 'olga' },
            approvedBy: [{ operatorId: 'bob-id', name: 'bob' }],
          },
        }),
      );
    });

    it('counts signature records instead of listing them', () => {
      const doc = reportOver(custodyChainReport, history, KEY).document as {
        signaturesReleased: object;
        entries: { type: string }[];
      };
      expect(doc.signaturesReleased).toEqual({ signatures: 3, records: 2 });
      expect(doc.entries.map((e) => e.type)).not.toContain('HashsigSignaturesReleased');
    });

    it('refuses a key the ledger does not know as of the position', () => {
      expect(() => reportOver(custodyChainReport, history.slice(0, 15), RSA_KEY)).toThrow(
        `key "${RSA_KEY}" is not in the ledger as of position 15`,
      );
    });
  });

  describe('hashsig usage', () => {
    it('gives used, remaining, the rate over the index log and when the key runs out at that rate', () => {
      const doc = reportOver(hashsigUsageReport, history).document as { keys: unknown[] };
      expect(doc.keys).toEqual([
        expect.objectContaining({
          keyId: KEY,
          state: 'active',
          used: 3,
          signatures: 3,
          withheld: 0,
          remaining: 29,
          exhausted: false,
          lastIndex: 2,
          log: { records: 2, firstAt: at(1), lastAt: at(3) },
          // Two indices after the first record, in two hours: 24 a day; 29 left last 29/24 days after 03:00.
          ratePerDay: 24,
          exhaustsAt: new Date(Date.parse(at(3)) + (29 / 24) * 86_400_000).toISOString(),
        }),
      ]);
    });

    it('has no rate from a single record, and no forecast without a rate or past the year 9999', () => {
      expect(ratePerDay({ indices: 5, indicesInFirst: 5, firstAt: at(1), lastAt: at(1) })).toBeNull();
      expect(exhaustsAt(at(1), 10, null)).toBeNull();
      expect(exhaustsAt(at(1), 0, 5)).toBeNull();
      expect(exhaustsAt(at(1), 2 ** 50, 1)).toBeNull();
    });
  });

  describe('dual control', () => {
    it('lists each request with who asked, approved and ran it, and counts per action and status', () => {
      const doc = reportOver(dualControlReport, history).document as {
        requests: unknown[];
        counts: unknown[];
      };
      expect(doc.requests).toEqual([
        {
          approvalId: 'ap-1',
          action: 'destroy-key',
          params: { keyId: RSA_KEY },
          status: 'executed',
          requestedBy: { operatorId: 'olga-id', name: 'olga' },
          requestedAt: at(7),
          requestedPosition: 19,
          required: 1,
          expiresAt: at(20),
          approvals: [{ by: { operatorId: 'bob-id', name: 'bob' }, role: 'officer', at: at(8) }],
          rejection: null,
          outcome: {
            status: 'executed',
            by: { operatorId: 'bob-id', name: 'bob' },
            at: at(8),
            result: { keyId: RSA_KEY },
          },
        },
      ]);
      expect(doc.counts).toEqual([
        {
          action: 'destroy-key',
          requests: 1,
          pending: 0,
          approved: 0,
          rejected: 0,
          executed: 1,
          failed: 0,
          expired: 0,
        },
      ]);
    });

    it('reads a request pending at the position as pending, and expired once an event after its expiry is folded', () => {
      const pending = reportOver(dualControlReport, history.slice(0, 19)).document as {
        requests: { status: string }[];
      };
      expect(pending.requests[0]!.status).toBe('pending');
      const late = recordAll([
        { ...registered('hsm-c', 'hsm-c'), data: { ...registered('hsm-c', 'hsm-c').data, at: at(21) } },
      ]);
      const fold = new ReportFold(dualControlReport.projections(null));
      fold.add(history.slice(0, 19));
      fold.add([{ ...late[0]!, position: 100 }]);
      const expired = buildReport(dualControlReport, fold, null).document as {
        requests: { status: string }[];
      };
      expect(expired.requests[0]!.status).toBe('expired');
    });
  });
});
