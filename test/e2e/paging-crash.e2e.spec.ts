/**
 * Acceptance, SIGKILL during a page-out or page-in of a hashsig key (issue 11), over HTTP against
 * `keyledger serve` run as a child process; the soft HSM (capacity 3) runs in this process, as an
 * HSM outlives a crash of the service.
 *
 * Four hashsig keys on an HSM of three slots: one is always paged out. For each fault point of raw
 * export (the page-out) and raw import (the page-in), a service started with that fault is asked to
 * sign with the key that is out; the pager pages another key out to make room, then the key in,
 * and the service SIGKILLs itself at the point. Restarted without the fault, over HTTP: no key has
 * an open operation, none is lost (an HSM or a current blob holds it), none is live on the HSM and
 * in a current blob at once or live twice, a reconcile finds no drift, and every key still signs
 * with an index never used before (its state moved with it).
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { FaultPoint } from '../../src/app/process-manager/fault-points';
import { KEK_1, PIN, startHsm, type TestHsm } from '../custody/support';
import { rfc8554Verify } from '../hashsig/rfc8554-verify';
import { openPolicyFile } from '../support/policy';
import type { KeyJson } from '../api/support/service';
import { client as serveClient, serveChild, stopChild, type Child } from './support/serve-child';

/**
 * The points where a crash leaves the most to repair: the HSM changed and the ledger did not know
 * yet (after each HSM call), a page-out recorded but its disabled copy not deleted, a page-in's
 * intent without its IMPORT_RAW. The other points of raw export and import are those of
 * test/e2e/crash.e2e.spec.ts, which runs every one of them.
 */
const POINTS: FaultPoint[] = [
  'raw-export:after-hsm-call',
  'raw-export:after-completed',
  'raw-import:after-intent',
  'raw-import:after-hsm-call',
];

interface KeyView extends KeyJson {
  holders: (KeyJson['holders'][number] & { copyId: string })[];
  openOperations: unknown[];
  obligations: unknown[];
}

const token = randomBytes(24).toString('base64url');

const serve = (dataDir: string, fault?: FaultPoint): Promise<Child> =>
  serveChild(dataDir, {
    KEYLEDGER_TOKEN: token,
    KEYLEDGER_DEMO_HSMS: '0',
    KEYLEDGER_FAULT: fault ?? '',
    KEYLEDGER_POLICY: openPolicyFile(dataDir),
  });
const client = (url: string) => serveClient(url, token);

describe('SIGKILL during paging of hashsig keys, then restart (HTTP)', () => {
  let dataDir: string;
  let hsmDir: string;
  let hsm: TestHsm;
  let running: Child | undefined;
  const keys: KeyJson[] = [];
  /** Top-level indices each key has signed with, in order. */
  const used = new Map<string, number[]>();
  /** The key the next fault's sign pages in, found by the service that ran last. */
  let out: KeyJson;

  const signOnce = async (api: ReturnType<typeof client>, key: KeyJson) => {
    const data = randomBytes(20);
    const s = await api.json<{ signature: string; q: number }>('POST', `/v1/keys/${key.keyId}/sign`, {
      data: data.toString('base64'),
    });
    expect(
      rfc8554Verify(Buffer.from(key.publicKeyRfc8554!, 'base64'), data, Buffer.from(s.signature, 'base64')),
    ).toBe(true);
    const qs = used.get(key.keyId) ?? [];
    expect(qs).not.toContain(s.q);
    if (qs.length > 0) expect(s.q).toBeGreaterThan(Math.max(...qs));
    used.set(key.keyId, [...qs, s.q]);
  };

  /** The key no HSM holds (the pager keeps three of the four in). */
  const outKey = async (api: ReturnType<typeof client>): Promise<KeyJson> => {
    const out: KeyJson[] = [];
    for (const k of keys) {
      const view = await api.json<KeyView>('GET', `/v1/keys/${k.keyId}`);
      if (!view.holders.some((h) => h.kind === 'hsm')) out.push(k);
    }
    expect(out).toHaveLength(1);
    return out[0]!;
  };

  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kl-pgc-'));
    hsmDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kl-pgh-'));
    hsm = await startHsm(hsmDir, 'hsm-a', { kek: KEK_1, capacity: 3 });
    running = await serve(dataDir);
    const api = client(running.url);
    await api.json('POST', '/v1/hsms', { name: 'hsm-a', endpoint: hsm.endpoint, pin: PIN, capacity: 3 });
    await api.json('POST', '/v1/kek-domains', { name: 'paging', hsm: 'hsm-a' });
    // The KEK domain's canary is not kept on the HSM; four keys on three slots: the fourth pages one out.
    for (let i = 0; i < 4; i++) {
      const key = await api.json<KeyJson>('POST', '/v1/keys', {
        hsm: 'hsm-a',
        type: 'hashsig',
        levels: 1,
        lms: 'H5',
        lmots: 'W8',
        label: `paged-${i}`,
      });
      keys.push(key);
    }
    for (const k of keys) await signOnce(api, k);
    out = await outKey(api);
    await stopChild(running);
    running = undefined;
  }, 180_000);

  afterAll(async () => {
    if (running) await stopChild(running);
    await hsm?.stop().catch(() => undefined);
    for (const dir of [dataDir, hsmDir]) if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it.each(POINTS.map((point) => [point]))(
    'killed at %s while paging: after restart no key is lost, none is live twice, each signs on',
    async (point) => {
      const target = out;
      const faulty = await serve(dataDir, point);
      const outcome = await client(faulty.url)
        .call('POST', `/v1/keys/${target.keyId}/sign`, { data: randomBytes(8).toString('base64') })
        .then(async (r) => `answered ${r.status}: ${await r.text()}`)
        .catch(() => 'no answer');
      expect(outcome).toBe('no answer');
      expect(await faulty.exited).toEqual({ code: null, signal: 'SIGKILL' });

      running = await serve(dataDir);
      try {
        const api = client(running.url);
        let onHsm = 0;
        for (const k of keys) {
          const view = await api.json<KeyView>('GET', `/v1/keys/${k.keyId}`);
          expect(view.openOperations).toEqual([]);
          expect(view.obligations).toEqual([]);
          // Not lost, and live in one place only: the HSM or a current blob.
          expect(view.holders).toHaveLength(1);
          const [holder] = view.holders;
          if (holder!.kind === 'blob')
            expect(view.blobs.find((b) => b.sha256 === holder!.blobSha256)?.status).toBe('current');
          else onHsm++;
        }
        expect(onHsm).toBeLessThanOrEqual(3);
        const report = await api.json<{ drift: unknown[] }>('POST', '/v1/hsms/hsm-a/reconcile');
        expect(report.drift).toEqual([]);
        // Every key signs on (paged in where needed), with an index never used before.
        for (const k of keys) await signOnce(api, k);
        out = await outKey(api);
        expect(running.stdout() + running.stderr()).not.toMatch(/recovery:/);
      } finally {
        await stopChild(running);
        running = undefined;
      }
    },
    90_000,
  );
});
