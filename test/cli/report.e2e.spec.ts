/**
 * `keyledger report …` against the real service: the bytes the service renders, to stdout or to
 * `--out FILE`, as of a position, for one key; usage mistakes exit 2 before anything is sent, a
 * refusal by the service exits 1 with its detail.
 */
import { parse } from 'csv-parse/sync';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runCli } from '../support/cli';
import { startService, type KeyJson, type Service } from '../api/support/service';
import { outcome } from './support/service';

describe('keyledger report against the service', () => {
  let svc: Service;
  let env: NodeJS.ProcessEnv;
  let dir: string;
  let keyId: string;

  const http = async (p: string) => (await svc.call('GET', p)).text();

  beforeAll(async () => {
    svc = await startService({ prefix: 'kl-repcli-' });
    env = { KEYLEDGER_URL: svc.url, KEYLEDGER_TOKEN: svc.token };
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kl-report-out-'));
    keyId = (await svc.json<KeyJson>('POST', '/v1/keys', { hsm: 'hsm-a', type: 'ec', label: 'a, "b"' }))
      .keyId;
    await svc.json('POST', '/v1/keys', { hsm: 'hsm-b', type: 'rsa', bits: 1024 });
  }, 60_000);

  afterAll(async () => {
    await svc?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('report inventory --format csv > x.csv: the service’s CSV, one record per key', async () => {
    const result = await runCli(['report', 'inventory', '--format', 'csv'], env);
    expect(outcome(result)).toEqual(expect.objectContaining({ code: 0, stderr: '' }));
    expect(result.stdout).toBe(await http('/v1/reports/inventory?format=csv'));
    const rows = parse(result.stdout, { columns: true }) as Record<string, string>[];
    expect(rows.map((r) => r.label)).toEqual(['a, "b"', '']);
  });

  it('--out FILE writes the report and says what it wrote; --as-of gives the report as of that position', async () => {
    const position = await svc.position();
    const file = path.join(dir, 'inventory.json');
    const result = await runCli(['report', 'inventory', '--as-of', String(position), '--out', file], env);
    expect(outcome(result)).toEqual({
      code: 0,
      stdout: `inventory (json) as of ledger position ${position} written to ${file}\n`,
      stderr: '',
    });
    await svc.json('POST', '/v1/keys', { hsm: 'hsm-a', type: 'ec' });
    const again = await runCli(['report', 'inventory', '--as-of', String(position)], env);
    expect(again.stdout).toBe(fs.readFileSync(file, 'utf8'));
    expect(JSON.parse(again.stdout)).toEqual(
      expect.objectContaining({ asOf: expect.objectContaining({ position }) }),
    );
    const html = path.join(dir, 'inventory.html');
    expect((await runCli(['report', 'inventory', '--format', 'html', '--out', html], env)).code).toBe(0);
    expect(fs.readFileSync(html, 'utf8')).toMatch(/^<!DOCTYPE html>/);
  });

  it('report custody-chain --key ID: one key’s chain; without --key the service refuses (exit 1)', async () => {
    const result = await runCli(['report', 'custody-chain', '--key', keyId], env);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual(
      expect.objectContaining({ report: 'custody-chain', key: expect.objectContaining({ keyId }) }),
    );
    expect(outcome(await runCli(['report', 'custody-chain'], env))).toEqual({
      code: 1,
      stdout: '',
      stderr: 'keyledger: the query is invalid: key is required for the custody-chain report\n',
    });
    expect(outcome(await runCli(['report', 'usage'], env))).toEqual({
      code: 1,
      stdout: '',
      stderr:
        'keyledger: there is no report named "usage"; the reports are: inventory, custody-chain, hashsig-usage, dual-control, integrity\n',
    });
  });

  it.each([
    [['report', 'inventory', '--format', 'xml'], /--format must be one of json, csv, html/],
    [['report', 'inventory', '--as-of', 'yesterday'], /--as-of must be a ledger position/],
    [['report', 'inventory', '--json'], /unknown option '--json'/],
    [['report'], /missing required argument 'name'/],
  ])('%j is a usage error: exit 2, nothing sent', async (args, message) => {
    const result = await runCli(args, { ...env, KEYLEDGER_URL: 'http://127.0.0.1:9' });
    expect({ code: result.code, stdout: result.stdout }).toEqual({ code: 2, stdout: '' });
    expect(result.stderr).toMatch(message);
  });
});
