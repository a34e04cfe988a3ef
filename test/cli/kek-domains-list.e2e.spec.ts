/**
 * `keyledger kek-domains list` against the real service: `GET /v1/kek-domains` →
 * `[{kekDomainId, name, members: [hsmId…], canaryKeyId, canaryBlobSha256}]`, members shown by
 * name (id). Needs that route in the API (it lands separately from the CLI side).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { KEK_1, PIN, startHsm, type TestHsm } from '../custody/support';
import { startService, type Service } from '../api/support/service';
import { runCli } from '../support/cli';
import { outcome, row, rows } from './support/service';

interface HsmJson {
  hsmId: string;
  name: string;
  kekDomainId: string | null;
}

interface KekDomainJson {
  kekDomainId: string;
  name: string;
  members: string[];
  canaryKeyId: string;
  canaryBlobSha256: string;
}

describe('keyledger kek-domains list', () => {
  let svc: Service;
  let env: NodeJS.ProcessEnv;
  let dir: string;
  let solo: TestHsm | undefined;

  beforeAll(async () => {
    svc = await startService();
    env = { KEYLEDGER_URL: svc.url, KEYLEDGER_TOKEN: svc.token };
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kl-kd-'));
    solo = await startHsm(dir, 'hsm-s', { kek: KEK_1 });
    await svc.json('POST', '/v1/hsms', { name: 'hsm-s', endpoint: solo.endpoint, pin: PIN });
  }, 60_000);

  afterAll(async () => {
    await svc?.close();
    await solo?.stop().catch(() => undefined);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('lists every KEK domain with its members, as JSON and as a table', async () => {
    const created = await svc.json<KekDomainJson>('POST', '/v1/kek-domains', { name: 'solo', hsm: 'hsm-s' });
    const hsms = await svc.json<HsmJson[]>('GET', '/v1/hsms');
    const id = (name: string) => hsms.find((h) => h.name === name)!.hsmId;
    const demoId = hsms.find((h) => h.name === 'hsm-a')!.kekDomainId!;

    const json = await runCli(['kek-domains', 'list', '--json'], env);
    expect({ code: json.code, stderr: json.stderr }).toEqual({ code: 0, stderr: '' });
    const list = (JSON.parse(json.stdout) as KekDomainJson[]).sort((x, y) => x.name.localeCompare(y.name));
    expect(list).toEqual([
      {
        kekDomainId: demoId,
        name: 'demo',
        members: [id('hsm-a'), id('hsm-b')].sort(),
        canaryKeyId: expect.stringMatching(/^[0-9a-f-]{36}$/),
        canaryBlobSha256: expect.stringMatching(/^[0-9a-f]{64}$/),
      },
      created,
    ]);

    const text = await runCli(['kek-domains', 'list'], env);
    expect({ code: text.code, stderr: text.stderr }).toEqual({ code: 0, stderr: '' });
    expect(rows(text.stdout)[0]).toEqual(['NAME', 'ID', 'CANARY KEY', 'CANARY BLOB', 'MEMBERS']);
    expect(rows(text.stdout)).toHaveLength(3);
    const name = new Map(hsms.map((h) => [h.hsmId, h.name]));
    for (const d of list) {
      expect(row(text.stdout, d.name)).toEqual([
        d.name,
        d.kekDomainId,
        d.canaryKeyId,
        `${d.canaryBlobSha256.slice(0, 12)}…`,
        d.members.map((m) => `${name.get(m)} (${m})`).join(', '),
      ]);
    }
  });

  it('says so when there is none', async () => {
    const bare = await startService({ demo: false });
    try {
      const result = await runCli(['kek-domains', 'list'], {
        KEYLEDGER_URL: bare.url,
        KEYLEDGER_TOKEN: bare.token,
      });
      expect(outcome(result)).toEqual({ code: 0, stdout: 'no KEK domains\n', stderr: '' });
    } finally {
      await bare.close();
    }
  });
});
