/**
 * The operator CLI against the running service: `keyledger hsms list`, `keys generate/show/sign`,
 * `keys raw-export --all` and `keys raw-import --all` with plain progress lines (stderr is not a
 * TTY here) and a summary, `--json`, problem+json details as errors, and exit codes 0/1/2.
 */
import { createPublicKey, verify } from 'node:crypto';
import { runCli } from '../support/cli';
import { startService, type KeyJson, type Service } from './support/service';

describe('keyledger CLI against the service', () => {
  let svc: Service;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    svc = await startService();
    env = { KEYLEDGER_URL: svc.url, KEYLEDGER_TOKEN: svc.token };
  }, 60_000);

  afterAll(async () => {
    await svc?.close();
  });

  it('lists the demo HSMs, as a table and as JSON', async () => {
    const text = await runCli(['hsms', 'list'], env);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^NAME\s+ID\s+STATUS/m);
    expect(text.stdout).toMatch(/^hsm-a\s/m);
    const json = await runCli(['hsms', 'list', '--json'], env);
    expect((JSON.parse(json.stdout) as { name: string }[]).map((h) => h.name).sort()).toEqual([
      'hsm-a',
      'hsm-b',
    ]);
  });

  it('generates a key and signs with it; the signature verifies', async () => {
    const generated = await runCli(['keys', 'generate', '--hsm', 'hsm-a', '--type', 'ec', '--json'], env);
    expect(generated.code).toBe(0);
    const key = JSON.parse(generated.stdout) as KeyJson;
    const signed = await runCli(['keys', 'sign', key.keyId, '--text', 'hello'], env);
    expect(signed.code).toBe(0);
    const publicKey = createPublicKey({
      key: Buffer.from(key.publicKey, 'base64'),
      format: 'der',
      type: 'spki',
    });
    expect(
      verify(
        'sha256',
        Buffer.from('hello'),
        { key: publicKey, dsaEncoding: 'ieee-p1363' },
        Buffer.from(signed.stdout.trim(), 'base64'),
      ),
    ).toBe(true);
  });

  it('raw-exports --all keys of an HSM and raw-imports them --all, with progress lines and a summary', async () => {
    const created = await Promise.all(
      [1, 2, 3].map(() => svc.json<KeyJson>('POST', '/v1/keys', { hsm: 'hsm-b', type: 'ec' })),
    );
    const exported = await runCli(['keys', 'raw-export', '--all', '--hsm', 'hsm-b', '--evict'], env, 60_000);
    expect(exported.code).toBe(0);
    for (const key of created)
      expect(exported.stderr).toMatch(new RegExp(`^raw-export \\d+/\\d+ ${key.keyId} ok$`, 'm'));
    expect(exported.stdout).toMatch(/^raw-exported \d+ keys on hsm-b: \d+ ok, 0 failed$/m);
    for (const key of created) {
      expect((await svc.json<KeyJson>('GET', `/v1/keys/${key.keyId}`)).holders.map((h) => h.kind)).toEqual([
        'blob',
      ]);
    }

    const imported = await runCli(['keys', 'raw-import', '--all', '--hsm', 'hsm-b'], env, 60_000);
    expect(imported.code).toBe(0);
    for (const key of created)
      expect(imported.stderr).toMatch(new RegExp(`^raw-import \\d+/\\d+ ${key.keyId} ok$`, 'm'));
    expect(imported.stdout).toMatch(/^raw-imported \d+ keys on hsm-b: \d+ ok, 0 failed$/m);
    for (const key of created) {
      const view = await svc.json<KeyJson>('GET', `/v1/keys/${key.keyId}`);
      expect(view.holders).toEqual(
        expect.arrayContaining([expect.objectContaining({ kind: 'hsm', hsm: 'hsm-b' })]),
      );
    }
  });

  it("prints the service's problem detail and exits 1 on a refusal", async () => {
    const unknown = '00000000-0000-4000-8000-000000000000';
    const result = await runCli(['keys', 'show', unknown], env);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`keyledger: key ${unknown}`);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('exits 1 naming the problem with a wrong token', async () => {
    const result = await runCli(['keys', 'list'], { ...env, KEYLEDGER_TOKEN: 'wrong-token-0123456789' });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/bearer token is not valid/);
  });

  it('exits 2 on a usage error', async () => {
    expect((await runCli(['keys', 'raw-export', '--hsm', 'hsm-a'], env)).code).toBe(2);
    expect((await runCli(['keys', 'generate', '--hsm', 'hsm-a', '--type', 'dsa'], env)).code).toBe(2);
    expect((await runCli(['keys', 'destroy', '00000000-0000-4000-8000-000000000000'], env)).code).toBe(2);
  });
});
