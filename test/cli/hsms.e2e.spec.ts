/**
 * `keyledger hsms show | keys | reconcile | zeroized` and `kek-domains create | join` against the
 * real service. Besides the demo HSMs (hsm-a, hsm-b in KEK domain "demo"), the test serves three
 * soft HSMs of its own sharing one master KEK (hsm-c, hsm-d, hsm-e), registers them with the CLI,
 * builds KEK domain "lab" with them, zeroizes hsm-c behind the service's back to make drift, and
 * records the zeroization. Every figure printed is checked against what the REST API answers.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { enterMasterKek, zeroizeSoftHsm } from '../../src/soft-hsm';
import { KEK_1, PIN, startHsm, type TestHsm } from '../custody/support';
import { startService, type KeyJson, type Service } from '../api/support/service';
import { runCli } from '../support/cli';
import { outcome, problemDetail, row } from './support/service';

interface HsmJson {
  hsmId: string;
  name: string;
  endpoint: string;
  kekDomainId: string | null;
  capacity: number;
  status: string;
  residentKeys: number;
  registeredAt: string;
}

interface KekDomainJson {
  kekDomainId: string;
  name: string;
  members: string[];
  canaryKeyId: string;
  canaryBlobSha256: string;
}

interface ResidencyJson {
  hsmId: string;
  hsm: string;
  count: number;
  keys: Record<string, { hsmKeyName: string; copyId: string; status: string; since: string }>;
}

interface ReconcileJson {
  hsm: string;
  expected: string[];
  observed: string[];
  drift: { hsmKeyName: string; kind: string; keyId?: string }[];
}

describe('keyledger hsms and kek-domains against the service', () => {
  let svc: Service;
  let env: NodeJS.ProcessEnv;
  let dir: string;
  let extra: TestHsm[] = [];
  const hsm = (name: string) => svc.json<HsmJson>('GET', `/v1/hsms/${name}`);
  let lab: KekDomainJson;

  beforeAll(async () => {
    svc = await startService();
    env = { KEYLEDGER_URL: svc.url, KEYLEDGER_TOKEN: svc.token, KEYLEDGER_HSM_PIN: undefined };
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kl-ch-'));
    extra = [
      await startHsm(dir, 'hsm-c', { kek: KEK_1 }),
      await startHsm(dir, 'hsm-d', { kek: KEK_1 }),
      await startHsm(dir, 'hsm-e', { kek: KEK_1 }),
    ];
  }, 60_000);

  afterAll(async () => {
    await svc?.close();
    for (const h of extra) await h.stop().catch(() => undefined);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('registers HSMs with the PIN from KEYLEDGER_HSM_PIN, never printing it', async () => {
    for (const h of extra) {
      const result = await runCli(['hsms', 'register', '--name', h.name, '--endpoint', h.endpoint], {
        ...env,
        KEYLEDGER_HSM_PIN: PIN,
      });
      const view = await hsm(h.name);
      expect(outcome(result)).toEqual({
        code: 0,
        stdout: `registered ${h.name} (${view.hsmId}) at ${h.endpoint}\n`,
        stderr: '',
      });
      expect(view.kekDomainId).toBeNull();
    }
  });

  it('shows one HSM, as text and as the JSON of GET /v1/hsms/{hsm}', async () => {
    const a = await hsm('hsm-a');
    expect(outcome(await runCli(['hsms', 'show', 'hsm-a'], env))).toEqual({
      code: 0,
      stdout: [
        `hsm hsm-a (${a.hsmId})`,
        `  status      ${a.status}`,
        `  endpoint    ${a.endpoint}`,
        `  kek domain  ${a.kekDomainId}`,
        `  keys        ${a.residentKeys}/${a.capacity}`,
        `  registered  ${a.registeredAt}`,
        '',
      ].join('\n'),
      stderr: '',
    });
    // By id as well as by name.
    const json = await runCli(['hsms', 'show', a.hsmId, '--json'], env);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual(a);
  });

  it('creates KEK domain "lab" founded by hsm-c', async () => {
    const result = await runCli(['kek-domains', 'create', '--name', 'lab', '--hsm', 'hsm-c'], env);
    const c = await hsm('hsm-c');
    expect(c.kekDomainId).toEqual(expect.any(String));
    expect(result.code).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines.slice(0, 3)).toEqual([
      'created KEK domain lab, founded by hsm-c',
      `kek domain lab (${c.kekDomainId})`,
      `  members  hsm-c (${c.hsmId})`,
    ]);
    const canary = /^ {2}canary {3}key ([0-9a-f-]{36}), blob ([0-9a-f]{64})$/.exec(lines[3]);
    expect(lines).toHaveLength(4);
    expect(canary).not.toBeNull();
    lab = {
      kekDomainId: c.kekDomainId!,
      name: 'lab',
      members: [c.hsmId],
      canaryKeyId: canary![1],
      canaryBlobSha256: canary![2],
    };
  });

  it('joins hsm-d by the domain name (JSON) and hsm-e by its id (text)', async () => {
    const d = await hsm('hsm-d');
    const joined = await runCli(['kek-domains', 'join', 'lab', '--hsm', 'hsm-d', '--json'], env);
    expect(joined.code).toBe(0);
    lab = { ...lab, members: [...lab.members, d.hsmId].sort() };
    expect(JSON.parse(joined.stdout)).toEqual(lab);
    expect((await hsm('hsm-d')).kekDomainId).toBe(lab.kekDomainId);

    const e = await hsm('hsm-e');
    const byId = await runCli(['kek-domains', 'join', lab.kekDomainId, '--hsm', 'hsm-e'], env);
    lab = { ...lab, members: [...lab.members, e.hsmId].sort() };
    const name = new Map((await svc.json<HsmJson[]>('GET', '/v1/hsms')).map((h) => [h.hsmId, h.name]));
    expect(outcome(byId)).toEqual({
      code: 0,
      stdout: [
        `hsm-e joined KEK domain lab`,
        `kek domain lab (${lab.kekDomainId})`,
        `  members  ${lab.members.map((id) => `${name.get(id)} (${id})`).join(', ')}`,
        `  canary   key ${lab.canaryKeyId}, blob ${lab.canaryBlobSha256}`,
        '',
      ].join('\n'),
      stderr: '',
    });
    expect((await hsm('hsm-e')).kekDomainId).toBe(lab.kekDomainId);
  });

  it("refuses hsm-a (of KEK domain demo) with the service's detail, exit 1", async () => {
    const detail = await problemDetail(svc, 'POST', '/v1/kek-domains/lab/members', { hsm: 'hsm-a' });
    expect(outcome(await runCli(['kek-domains', 'join', 'lab', '--hsm', 'hsm-a'], env))).toEqual({
      code: 1,
      stdout: '',
      stderr: `keyledger: ${detail}\n`,
    });
  });

  let keys: KeyJson[] = [];

  it('lists the keys resident on an HSM from the residency read model', async () => {
    keys = [
      await svc.json<KeyJson>('POST', '/v1/keys', { hsm: 'hsm-c', type: 'ec' }),
      await svc.json<KeyJson>('POST', '/v1/keys', { hsm: 'hsm-c', type: 'hashsig', lms: 'H5', lmots: 'W8' }),
    ];
    const residency = await svc.json<ResidencyJson>('GET', '/v1/hsms/hsm-c/keys');
    for (const k of keys) expect(Object.keys(residency.keys)).toContain(k.keyId);

    const text = await runCli(['hsms', 'keys', 'hsm-c'], env);
    expect(text.code).toBe(0);
    const lines = text.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe(`hsm-c (${residency.hsmId}): ${residency.count} keys`);
    expect(lines[1]).toMatch(/^KEY\s+HSM KEY NAME\s+STATUS\s+SINCE$/);
    expect(lines).toHaveLength(2 + Object.keys(residency.keys).length);
    for (const [keyId, r] of Object.entries(residency.keys))
      expect(row(text.stdout, keyId)).toEqual([keyId, r.hsmKeyName, r.status, r.since]);

    const json = await runCli(['hsms', 'keys', 'hsm-c', '--json'], env);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual(residency);
  });

  it('reconciles an HSM without drift: exit 0, also with --fail-on-drift', async () => {
    const json = await runCli(['hsms', 'reconcile', 'hsm-c', '--json'], env);
    expect(json.code).toBe(0);
    const report = JSON.parse(json.stdout) as ReconcileJson;
    expect(report).toEqual({
      hsm: 'hsm-c',
      expected: expect.any(Array),
      observed: report.expected,
      drift: [],
    });
    expect(report.expected).toHaveLength(
      Object.keys((await svc.json<ResidencyJson>('GET', '/v1/hsms/hsm-c/keys')).keys).length,
    );
    expect(outcome(await runCli(['hsms', 'reconcile', 'hsm-c', '--fail-on-drift'], env))).toEqual({
      code: 0,
      stdout: `reconciled hsm-c: ${report.expected.length} keys expected by the ledger, ${report.observed.length} on the HSM; no drift\n`,
      stderr: '',
    });
  });

  it('reports drift after hsm-c was zeroized behind its back: exit 0, or 1 with --fail-on-drift', async () => {
    const residency = await svc.json<ResidencyJson>('GET', '/v1/hsms/hsm-c/keys');
    const c = extra[0];
    await c.stop();
    zeroizeSoftHsm(c.stateDir);
    enterMasterKek(c.stateDir, KEK_1);
    await c.start();

    const expectedDrift = Object.entries(residency.keys)
      .map(([keyId, r]) => ({ hsmKeyName: r.hsmKeyName, kind: 'missing-on-hsm', keyId }))
      .sort((x, y) => x.hsmKeyName.localeCompare(y.hsmKeyName));
    const json = await runCli(['hsms', 'reconcile', 'hsm-c', '--json'], env);
    expect(json.code).toBe(0);
    const report = JSON.parse(json.stdout) as ReconcileJson;
    expect(report.observed).toEqual([]);
    expect([...report.drift].sort((x, y) => x.hsmKeyName.localeCompare(y.hsmKeyName))).toEqual(expectedDrift);

    const text = await runCli(['hsms', 'reconcile', 'hsm-c'], env);
    expect(text.code).toBe(0);
    const lines = text.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe(
      `reconciled hsm-c: ${expectedDrift.length} keys expected by the ledger, 0 on the HSM; ${expectedDrift.length} drift (recorded in the ledger, nothing changed on the HSM)`,
    );
    expect(lines[1]).toMatch(/^ {2}DRIFT\s+HSM KEY NAME\s+KEY$/);
    expect(
      lines
        .slice(2)
        .map((l) => l.trim().split(/ {2,}/))
        .sort((x, y) => x[1].localeCompare(y[1])),
    ).toEqual(expectedDrift.map((d) => [d.kind, d.hsmKeyName, d.keyId]));

    const failing = await runCli(['hsms', 'reconcile', 'hsm-c', '--fail-on-drift'], env);
    expect({ code: failing.code, stderr: failing.stderr }).toEqual({
      code: 1,
      stderr: 'keyledger: drift found on hsm-c (--fail-on-drift)\n',
    });
    expect(failing.stdout.split('\n')[0]).toBe(lines[0]);
    // Drift is recorded, never fixed: the ledger still has the keys on hsm-c.
    expect(await svc.json<ResidencyJson>('GET', '/v1/hsms/hsm-c/keys')).toEqual(residency);
  });

  it('records the zeroization of hsm-c with --yes: it leaves KEK domain lab and holds no key', async () => {
    const before = await hsm('hsm-c');
    const result = await runCli(['hsms', 'zeroized', 'hsm-c', '--yes'], env);
    const after = await hsm('hsm-c');
    expect(after).toEqual(
      expect.objectContaining({ status: 'zeroized', kekDomainId: null, residentKeys: 0 }),
    );
    expect(outcome(result)).toEqual({
      code: 0,
      stdout: [
        `recorded the zeroization of hsm-c (${before.hsmId})`,
        `hsm hsm-c (${before.hsmId})`,
        `  status      zeroized`,
        `  endpoint    ${before.endpoint}`,
        `  kek domain  -`,
        `  keys        0/${before.capacity}`,
        `  registered  ${before.registeredAt}`,
        '',
      ].join('\n'),
      stderr: '',
    });
    for (const k of keys)
      expect(
        (await svc.json<KeyJson>('GET', `/v1/keys/${k.keyId}`)).holders.some((h) => h.hsm === 'hsm-c'),
      ).toBe(false);
    expect(outcome(await runCli(['hsms', 'keys', 'hsm-c'], env))).toEqual({
      code: 0,
      stdout: `hsm-c (${before.hsmId}): 0 keys\n`,
      stderr: '',
    });
  });
});
