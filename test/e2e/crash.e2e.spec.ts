/**
 * Acceptance, crash at every step (issue 4), over HTTP against `keyledger serve` run as a child
 * process. The soft HSMs (hsm-a, hsm-b, one master KEK) run in this process on Unix sockets, as
 * HSMs outlive a crash of the service; the service runs with KEYLEDGER_DEMO_HSMS=0 and gets them
 * registered over HTTP.
 *
 * For each fault point of raw export, raw import and transfer (FAULT_POINTS), a service started
 * with `KEYLEDGER_FAULT=<point>` is driven over HTTP into that operation and SIGKILLs itself there;
 * then the service is started again without the fault on the same data directory (its process
 * manager runs before it listens) and, over HTTP: the key has no open operation and no
 * obligation, is not lost (an HSM or a current blob holds it), no hashsig copy has two live
 * holders, the residency read model and a reconcile of each HSM agree with `GET /v1/keys/{id}`,
 * and the key still signs with an index never used before; the output of `keyledger serve` names
 * the key, the operation and what recovery did to it. One data directory serves all points,
 * each on a fresh hashsig key (hashsig, because a raw export of it also deletes the HSM copy, so
 * every raw-export point is reached).
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  CUSTODY_FAULT_POINTS as FAULT_POINTS,
  type FaultPoint,
} from '../../src/app/process-manager/fault-points';
import { KEK_1, PIN, startHsm, type TestHsm } from '../custody/support';
import { rfc8554Verify } from '../hashsig/rfc8554-verify';
import { openPolicyFile } from '../support/policy';
import type { KeyJson } from '../api/support/service';
import { client as serveClient, serveChild, stopChild, type Child } from './support/serve-child';

const HSMS = ['hsm-a', 'hsm-b'] as const;

type Op = 'raw-export' | 'raw-import' | 'transfer';

interface KeyView extends KeyJson {
  holders: (KeyJson['holders'][number] & { copyId: string; hsmKeyName?: string })[];
  openOperations: unknown[];
  obligations: unknown[];
}

const token = randomBytes(24).toString('base64url');

/** `keyledger serve` with the HSMs of this suite (no demo HSMs), nothing gated, maybe a fault point. */
const serve = (dataDir: string, fault?: FaultPoint): Promise<Child> =>
  serveChild(dataDir, {
    KEYLEDGER_TOKEN: token,
    KEYLEDGER_DEMO_HSMS: '0',
    KEYLEDGER_FAULT: fault ?? '',
    KEYLEDGER_POLICY: openPolicyFile(dataDir),
  });
const stop = stopChild;
const client = (url: string) => serveClient(url, token);

const opOf = (point: FaultPoint): Op => point.split(':')[0] as Op;

/** The event that opens each operation, with its `opId`. */
const INTENT: Record<Op, string> = {
  'raw-export': 'KeyRawExportStarted',
  'raw-import': 'KeyRawImportStarted',
  transfer: 'KeyTransferPrepared',
};

/**
 * What the restarted service says it did to the operation cut short at each point (one line each,
 * `recovered <op> op <opId> of key <keyId>: <outcome>`): a hashsig raw export is repeated and
 * deletes the copy it disabled itself, so only a cut after its completion leaves a clean-up; an
 * import that did not happen fails; a transfer fails until its export is recorded.
 */
const RECOVERED: Record<(typeof FAULT_POINTS)[number], string[]> = {
  'raw-export:after-intent': ['completed'],
  'raw-export:after-hsm-call': ['completed'],
  'raw-export:after-blob-stored': ['completed'],
  'raw-export:after-completed': ['cleaned (deleted the disabled hashsig copy from hsm-a)'],
  'raw-export:after-delete': [
    'cleaned (recorded the disabled hashsig copy deleted from hsm-a, done before the crash)',
  ],
  'raw-import:after-intent': [
    'failed (IMPORT_RAW did not happen: hsm-b holds no unplaced key with this public key)',
  ],
  'raw-import:after-hsm-call': ['completed'],
  'raw-import:after-set-attributes': ['completed'],
  'transfer:after-kekek': ['failed (the KEKEK was not recorded; deleted unrecorded KEKEK <name> from hsm-b)'],
  'transfer:after-intent': ['failed (the export was not recorded)'],
  'transfer:after-export': ['failed (the export was not recorded)'],
  'transfer:after-blob-stored': ['failed (the export was not recorded)'],
  'transfer:after-export-recorded': ['completed'],
  'transfer:after-import': ['completed'],
  'transfer:after-completed': [],
};

/** The process manager's `recovered …` lines in the service's output, colours off, a KEKEK's random name as `<name>`. */
function recoveryLines(output: string): string[] {
  return output
    .replace(/\x1b\[[0-9;]*m/g, '')
    .split('\n')
    .filter((line) => line.includes('[ProcessManager] recovered '))
    .map((line) => line.slice(line.indexOf('recovered ')))
    .map((line) => line.replace(/KEKEK [0-9a-f-]{36} from/, 'KEKEK <name> from'));
}

describe('SIGKILL of the service at every fault point, then restart (HTTP)', () => {
  let dataDir: string;
  let hsmDir: string;
  let hsms: TestHsm[] = [];
  let running: Child | undefined;
  const prepared = new Map<FaultPoint, { key: KeyJson; qs: number[] }>();
  /** `hsm/hsmKeyName` of every drift a reconcile has reported so far. */
  const knownDrift = new Set<string>();

  const signOnce = async (api: ReturnType<typeof client>, key: KeyJson) => {
    const data = randomBytes(20);
    const s = await api.json<{ signature: string; hsm: string; q: number }>(
      'POST',
      `/v1/keys/${key.keyId}/sign`,
      {
        data: data.toString('base64'),
      },
    );
    expect(
      rfc8554Verify(Buffer.from(key.publicKeyRfc8554!, 'base64'), data, Buffer.from(s.signature, 'base64')),
    ).toBe(true);
    return s;
  };

  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kl-crash-'));
    hsmDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kl-crh-'));
    hsms = [await startHsm(hsmDir, 'hsm-a', { kek: KEK_1 }), await startHsm(hsmDir, 'hsm-b', { kek: KEK_1 })];
    running = await serve(dataDir);
    const api = client(running.url);
    for (const h of hsms)
      await api.json('POST', '/v1/hsms', { name: h.name, endpoint: h.endpoint, pin: PIN });
    const { kekDomainId } = await api.json<{ kekDomainId: string }>('POST', '/v1/kek-domains', {
      name: 'crash',
      hsm: 'hsm-a',
    });
    await api.json('POST', `/v1/kek-domains/${kekDomainId}/members`, { hsm: 'hsm-b' });
    // One fresh hashsig key per point, used once; a raw import's key is raw-exported first.
    for (const point of FAULT_POINTS) {
      const key = await api.json<KeyJson>('POST', '/v1/keys', {
        hsm: 'hsm-a',
        type: 'hashsig',
        levels: 1,
        lms: 'H5',
        lmots: 'W8',
        label: point,
      });
      const { q } = await signOnce(api, key);
      if (opOf(point) === 'raw-import')
        await api.json('POST', `/v1/keys/${key.keyId}/raw-export`, { hsm: 'hsm-a' });
      prepared.set(point, { key, qs: [q] });
    }
    await stop(running);
    running = undefined;
  }, 120_000);

  afterAll(async () => {
    if (running) await stop(running);
    for (const h of hsms) await h.stop().catch(() => undefined);
    for (const dir of [dataDir, hsmDir]) if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it.each(FAULT_POINTS.map((point) => [point]))(
    'killed at %s: the restarted service leaves the key consistent and prints what it recovered',
    async (point) => {
      const { key, qs } = prepared.get(point)!;
      const op = opOf(point);

      // The faulty service dies by SIGKILL in the middle of the operation; the request gets no answer.
      const faulty = await serve(dataDir, point);
      const body =
        op === 'transfer'
          ? { from: 'hsm-a', to: 'hsm-b' }
          : op === 'raw-import'
            ? { hsm: 'hsm-b' }
            : { hsm: 'hsm-a' };
      const outcome = await client(faulty.url)
        .call('POST', `/v1/keys/${key.keyId}/${op}`, body)
        .then(async (r) => `answered ${r.status}: ${await r.text()}`)
        .catch(() => 'no answer');
      expect(outcome).toBe('no answer');
      expect(await faulty.exited).toEqual({ code: null, signal: 'SIGKILL' });

      // Restart without the fault: the process manager finishes or fails the open intent.
      running = await serve(dataDir);
      try {
        const api = client(running.url);
        const view = await api.json<KeyView>('GET', `/v1/keys/${key.keyId}`);
        expect(view.openOperations).toEqual([]);
        expect(view.obligations).toEqual([]);
        expect(view.state).toBe('active');
        // Not lost: an HSM holds it, or a blob that is current.
        expect(view.holders.length).toBeGreaterThan(0);
        for (const h of view.holders.filter((x) => x.kind === 'blob'))
          expect(view.blobs.find((b) => b.sha256 === h.blobSha256)?.status).toBe('current');
        // One live holder per hashsig copy.
        const perCopy = new Map<string, number>();
        for (const h of view.holders) perCopy.set(h.copyId, (perCopy.get(h.copyId) ?? 0) + 1);
        expect([...perCopy.values()].filter((n) => n !== 1)).toEqual([]);

        // GET /v1/keys/{id} agrees with the residency read model and with what each HSM holds: a
        // reconcile of each HSM finds no drift this point has caused (drift an earlier point left
        // behind was reported by that point's test and is not counted again).
        const events = await api.json<{ type: string; data: { kekekName?: string; opId?: string } }[]>(
          'GET',
          `/v1/keys/${key.keyId}/events`,
        );
        const kekeks = new Set(
          events.filter((e) => e.type === 'KekekGenerated').map((e) => e.data.kekekName),
        );
        const freshDrift: { hsm: string; hsmKeyName: string; kind: string; recordedKekek: boolean }[] = [];
        for (const hsm of HSMS) {
          const report = await api.json<{ drift: { hsmKeyName: string; kind: string }[] }>(
            'POST',
            `/v1/hsms/${hsm}/reconcile`,
          );
          for (const d of report.drift) {
            if (!knownDrift.has(`${hsm}/${d.hsmKeyName}`))
              freshDrift.push({
                hsm,
                hsmKeyName: d.hsmKeyName,
                kind: d.kind,
                recordedKekek: kekeks.has(d.hsmKeyName),
              });
            knownDrift.add(`${hsm}/${d.hsmKeyName}`);
          }
        }
        expect(freshDrift).toEqual([]);
        for (const hsm of HSMS) {
          const holds = view.holders.some((h) => h.kind === 'hsm' && h.hsm === hsm);
          const residency = await api.json<{ keys: Record<string, unknown> }>('GET', `/v1/hsms/${hsm}/keys`);
          expect({ hsm, resident: Object.hasOwn(residency.keys, key.keyId) }).toEqual({
            hsm,
            resident: holds,
          });
        }

        // The key still signs, with an index never used before.
        if (!view.holders.some((h) => h.kind === 'hsm'))
          await api.json('POST', `/v1/keys/${key.keyId}/raw-import`, { hsm: 'hsm-a' });
        const s = await signOnce(api, key);
        expect(s.q).toBeGreaterThan(Math.max(...qs));
        // Recovery settled everything (Nest prints warn on stdout) and printed what it did to the key.
        const output = running.stdout() + running.stderr();
        expect(output).not.toMatch(/recovery:/);
        const opId = events.filter((e) => e.type === INTENT[op]).at(-1)!.data.opId;
        expect(recoveryLines(output)).toEqual(
          RECOVERED[point].map((outcome) => `recovered ${op} op ${opId} of key ${key.keyId}: ${outcome}`),
        );
      } finally {
        await stop(running);
        running = undefined;
      }
    },
    60_000,
  );
});
