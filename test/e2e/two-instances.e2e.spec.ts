/**
 * Acceptance (issue 12): two `keyledger serve` processes on one PostgreSQL ledger, each with its own
 * port and data directory, talking to the same two soft HSMs (run in this process on Unix sockets,
 * the PIN given to each instance in its environment), over HTTP:
 *
 * - 50 concurrent raw imports of one hashsig key's current blob, spread over both instances:
 *   exactly one succeeds, the key has one live holder;
 * - concurrent hashsig signs through both instances on one key: every signature verifies and no
 *   index is returned or recorded twice;
 * - a raw export on A cut short by SIGKILL is reported open by B, and finished by A's restart
 *   (which B then shows);
 * - A SIGKILLed while it acknowledges key generations: every acknowledged key is in the ledger
 *   after the restart, and B serves it.
 */
import { createPublicKey, randomBytes, verify } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { KEK_1, KEK_2, PIN, startHsm, type TestHsm } from '../custody/support';
import { rfc8554Verify } from '../hashsig/rfc8554-verify';
import { openPolicyFile } from '../support/policy';
import { ledgerUrl, useTestDatabase } from '../support/postgres';
import { within } from '../support/within';
import type { KeyJson } from '../api/support/service';
import { client as serveClient, serveChild, stopChild, type Child } from './support/serve-child';

const database = useTestDatabase();
/** Slots of hsm-c as registered: both instances page keys through it. */
const SMALL = 5;
const token = randomBytes(24).toString('base64url');

interface KeyView extends KeyJson {
  holders: (KeyJson['holders'][number] & { copyId: string })[];
  openOperations: unknown[];
}

describe('two keyledger instances on one PostgreSQL ledger', () => {
  let url: string;
  const dirs: string[] = [];
  let hsmDir: string;
  let hsms: TestHsm[] = [];
  const running = new Map<'A' | 'B', Child>();

  const serve = (name: 'A' | 'B', fault?: string): Promise<Child> => {
    const dataDir = dirs[name === 'A' ? 0 : 1];
    return serveChild(dataDir, {
      KEYLEDGER_TOKEN: token,
      KEYLEDGER_DEMO_HSMS: '0',
      KEYLEDGER_EVENTSTORE: url,
      KEYLEDGER_FAULT: fault ?? '',
      KEYLEDGER_POLICY: openPolicyFile(dataDir),
      KEYLEDGER_HSM_PIN_HSM_A: PIN,
      KEYLEDGER_HSM_PIN_HSM_B: PIN,
      KEYLEDGER_HSM_PIN_HSM_C: PIN,
    }).then((child) => {
      running.set(name, child);
      return child;
    });
  };
  const api = (name: 'A' | 'B') => serveClient(running.get(name)!.url, token);

  const hashsigKey = () =>
    api('A').json<KeyJson>('POST', '/v1/keys', {
      hsm: 'hsm-a',
      type: 'hashsig',
      levels: 1,
      lms: 'H5',
      lmots: 'W8',
    });

  beforeAll(async () => {
    url = ledgerUrl(database().url, 'shared');
    for (const prefix of ['kl-2a-', 'kl-2b-']) dirs.push(fs.mkdtempSync(path.join(os.tmpdir(), prefix)));
    hsmDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kl-2h-'));
    hsms = [await startHsm(hsmDir, 'hsm-a', { kek: KEK_1 }), await startHsm(hsmDir, 'hsm-b', { kek: KEK_1 })];
    await serve('A');
    for (const h of hsms)
      await api('A').json('POST', '/v1/hsms', { name: h.name, endpoint: h.endpoint, pin: PIN });
    const { kekDomainId } = await api('A').json<{ kekDomainId: string }>('POST', '/v1/kek-domains', {
      name: 'shared',
      hsm: 'hsm-a',
    });
    await api('A').json('POST', `/v1/kek-domains/${kekDomainId}/members`, { hsm: 'hsm-b' });
    // A small HSM in a KEK domain of its own, for paging by both instances.
    const small = await startHsm(hsmDir, 'hsm-c', { kek: KEK_2, capacity: SMALL });
    hsms.push(small);
    await api('A').json('POST', '/v1/hsms', {
      name: 'hsm-c',
      endpoint: small.endpoint,
      pin: PIN,
      capacity: SMALL,
    });
    await api('A').json('POST', '/v1/kek-domains', { name: 'small', hsm: 'hsm-c' });
    await serve('B');
  }, 120_000);

  afterAll(async () => {
    for (const child of running.values()) await stopChild(child).catch(() => undefined);
    for (const h of hsms) await h.stop().catch(() => undefined);
    for (const dir of [...dirs, hsmDir]) if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('B sees what A registered and generated', async () => {
    const key = await hashsigKey();
    const seen = await within(
      10_000,
      'B to list the key',
      (async () => {
        for (;;) {
          const response = await api('B').call('GET', `/v1/keys/${key.keyId}`);
          if (response.ok) return (await response.json()) as KeyView;
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      })(),
    );
    expect(seen.publicKeyRfc8554).toBe(key.publicKeyRfc8554);
    const names = (await api('B').json<{ name: string }[]>('GET', '/v1/hsms')).map((h) => h.name).sort();
    expect(names).toEqual(['hsm-a', 'hsm-b', 'hsm-c']);
  });

  it('50 concurrent raw imports of one hashsig blob over both instances: exactly one succeeds', async () => {
    const key = await hashsigKey();
    await api('A').json('POST', `/v1/keys/${key.keyId}/sign`, { data: 'AAAA' });
    await api('A').json('POST', `/v1/keys/${key.keyId}/raw-export`, { hsm: 'hsm-a' });
    const statuses = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        api(i % 2 === 0 ? 'A' : 'B')
          .call('POST', `/v1/keys/${key.keyId}/raw-import`, { hsm: i % 4 < 2 ? 'hsm-a' : 'hsm-b' })
          .then(async (r) => ({ status: r.status, body: await r.text() })),
      ),
    );
    const ok = statuses.filter((s) => s.status >= 200 && s.status < 300);
    expect(ok).toHaveLength(1);
    // The others are refused (the blob is consumed, or an import is under way), never a server error.
    expect(statuses.filter((s) => ![200, 201, 409, 422].includes(s.status))).toEqual([]);
    for (const name of ['A', 'B'] as const) {
      const view = await api(name).json<KeyView>('GET', `/v1/keys/${key.keyId}`);
      expect(view.holders.filter((h) => h.kind === 'hsm')).toHaveLength(1);
      expect(view.holders.filter((h) => h.kind === 'blob')).toHaveLength(0);
    }
  }, 120_000);

  it('concurrent hashsig signs through both instances: all verify, no index twice', async () => {
    const key = await hashsigKey();
    const publicKey = Buffer.from(key.publicKeyRfc8554!, 'base64');
    const results = await Promise.all(
      Array.from({ length: 24 }, async (_, i) => {
        const data = randomBytes(16);
        const s = await api(i % 2 === 0 ? 'A' : 'B').json<{ signature: string; q: number }>(
          'POST',
          `/v1/keys/${key.keyId}/sign`,
          { data: data.toString('base64') },
        );
        expect(rfc8554Verify(publicKey, data, Buffer.from(s.signature, 'base64'))).toBe(true);
        return s.q;
      }),
    );
    expect(new Set(results).size).toBe(24);
    const view = await api('B').json<{ hashsig: { signatures: number } }>('GET', `/v1/keys/${key.keyId}`);
    expect(view.hashsig.signatures).toBe(24);
  }, 120_000);

  it("a key B deleted from an HSM is never signed with through A's stale handle", async () => {
    const key = await api('A').json<KeyJson & { publicKey: string }>('POST', '/v1/keys', {
      hsm: 'hsm-a',
      type: 'ec',
      curve: 'P-256',
    });
    const verifier = createPublicKey({
      key: Buffer.from(key.publicKey, 'base64'),
      format: 'der',
      type: 'spki',
    });
    const sign = async (name: 'A' | 'B') => {
      const data = randomBytes(32);
      const s = await api(name).json<{ signature: string; hsm: string }>(
        'POST',
        `/v1/keys/${key.keyId}/sign`,
        {
          data: data.toString('base64'),
        },
      );
      expect(
        verify(
          'sha256',
          data,
          { key: verifier, dsaEncoding: 'ieee-p1363' },
          Buffer.from(s.signature, 'base64'),
        ),
      ).toBe(true);
      return s.hsm;
    };
    expect(await sign('A')).toBe('hsm-a'); // A now keeps a handle on hsm-a
    await api('B').json('POST', `/v1/keys/${key.keyId}/raw-export`, { hsm: 'hsm-a' });
    const deleted = await api('B').call('DELETE', `/v1/keys/${key.keyId}/residency/hsm-a`);
    expect(deleted.status).toBe(200);
    // A's handle names a key hsm-a no longer holds: A pages the key in from its blob instead.
    await sign('A');
    const view = await api('A').json<KeyView>('GET', `/v1/keys/${key.keyId}`);
    expect(view.holders.filter((h) => h.kind === 'hsm')).toHaveLength(1);
  }, 120_000);

  it(`both instances page ${SMALL * 3} EC keys through an HSM of ${SMALL} slots: every sign succeeds and verifies`, async () => {
    const keys: (KeyJson & { publicKey: string })[] = [];
    for (let i = 0; i < SMALL * 3; i++)
      keys.push(
        await api(i % 2 === 0 ? 'A' : 'B').json('POST', '/v1/keys', {
          hsm: 'hsm-c',
          type: 'ec',
          curve: 'P-256',
        }),
      );
    const failures: string[] = [];
    await Promise.all(
      Array.from({ length: 4 }, async (_, client) => {
        for (let i = 0; i < 15; i++) {
          const k = keys[(client * 7 + i * 5) % keys.length];
          const data = randomBytes(32);
          const response = await api(client % 2 === 0 ? 'A' : 'B').call('POST', `/v1/keys/${k.keyId}/sign`, {
            data: data.toString('base64'),
          });
          const text = await response.text();
          if (!response.ok) {
            failures.push(`${response.status} ${text.slice(0, 200)}`);
            continue;
          }
          const signature = Buffer.from((JSON.parse(text) as { signature: string }).signature, 'base64');
          const publicKey = createPublicKey({
            key: Buffer.from(k.publicKey, 'base64'),
            format: 'der',
            type: 'spki',
          });
          if (!verify('sha256', data, { key: publicKey, dsaEncoding: 'ieee-p1363' }, signature))
            failures.push(`bad signature of ${k.keyId}`);
        }
      }),
    );
    expect(failures).toEqual([]);
    const reconcile = await api('B').json<{ drift: unknown[] }>('POST', '/v1/hsms/hsm-c/reconcile');
    expect(reconcile.drift).toEqual([]);
  }, 180_000);

  it(`with ${SMALL - 1} of ${SMALL} slots pinned, concurrent signs of paged-out keys wait for the key in use instead of failing`, async () => {
    // The EC keys of the test above, all in hsm-c's KEK domain: pinning pages a key in if need be.
    const ec = async () =>
      (await api('A').json<KeyView[]>('GET', '/v1/keys')).filter(
        (k) => k.type === 'ec' && k.state === 'active',
      );
    const onC = (k: KeyView) => k.holders.some((h) => h.kind === 'hsm' && h.hsm === 'hsm-c');
    const pinned = (await ec()).slice(0, SMALL - 1);
    expect(pinned).toHaveLength(SMALL - 1);
    for (const k of pinned) await api('A').json('PATCH', `/v1/keys/${k.keyId}`, { pinned: true });
    const out = (await ec()).filter((k) => !onC(k)).slice(0, 3);
    expect(out).toHaveLength(3);
    try {
      for (const name of ['A', 'B'] as const) {
        const batch = await api(name).json<{ signed: number; items: { status?: number; detail?: string }[] }>(
          'POST',
          '/v1/sign',
          { items: out.map((k) => ({ keyId: k.keyId, data: randomBytes(32).toString('base64') })) },
        );
        expect({
          name,
          signed: batch.signed,
          problems: batch.items.filter((i) => i.status !== undefined),
        }).toEqual({
          name,
          signed: out.length,
          problems: [],
        });
      }
    } finally {
      for (const k of pinned) await api('A').json('PATCH', `/v1/keys/${k.keyId}`, { pinned: false });
    }
  }, 120_000);

  it('a raw export on A cut short by SIGKILL is reported open by B and finished by A on restart', async () => {
    const key = await hashsigKey();
    await stopChild(running.get('A')!);
    const faulty = await serve('A', 'raw-export:after-hsm-call');
    const outcome = await api('A')
      .call('POST', `/v1/keys/${key.keyId}/raw-export`, { hsm: 'hsm-a' })
      .then((r) => `answered ${r.status}`)
      .catch(() => 'no answer');
    expect(outcome).toBe('no answer');
    expect(await faulty.exited).toEqual({ code: null, signal: 'SIGKILL' });
    const open = await api('B').json<KeyView>('GET', `/v1/keys/${key.keyId}`);
    expect(open.openOperations).toHaveLength(1);

    await serve('A');
    const finished = await within(
      20_000,
      'B to see the operation finished',
      (async () => {
        for (;;) {
          const view = await api('B').json<KeyView>('GET', `/v1/keys/${key.keyId}`);
          if (view.openOperations.length === 0) return view;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      })(),
    );
    // Finished as the restart's recovery says: the blob holds the key, no HSM does.
    expect(finished.holders.map((h) => h.kind)).toEqual(['blob']);
    expect(running.get('A')!.stdout()).toContain(`recovered raw-export op`);
  }, 120_000);

  it('SIGKILL of A while it acknowledges generations: every acknowledged key is in the ledger after restart', async () => {
    const acknowledged: string[] = [];
    const a = api('A');
    const child = running.get('A')!;
    const requests = Array.from({ length: 40 }, async () => {
      const response = await a
        .call('POST', '/v1/keys', { hsm: 'hsm-b', type: 'ec', curve: 'P-256' })
        .catch(() => undefined);
      if (response?.ok) {
        acknowledged.push(((await response.json()) as KeyJson).keyId);
        if (acknowledged.length === 5) child.process.kill('SIGKILL');
      }
    });
    await Promise.all(requests);
    await child.exited;
    expect(acknowledged.length).toBeGreaterThanOrEqual(5);
    await serve('A');
    for (const keyId of acknowledged) {
      for (const name of ['A', 'B'] as const) {
        const view = await api(name).json<KeyView>('GET', `/v1/keys/${keyId}`);
        expect(view.keyId).toBe(keyId);
      }
    }
  }, 120_000);
});
