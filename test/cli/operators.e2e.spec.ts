/**
 * The dual-control CLI against the running service with the default policy: `keyledger whoami`,
 * `operators enrol | list | role | rotate | revoke`, `approvals list | show | approve | reject`,
 * `policy show | set`, and exit code 3 for a command that became an approval request.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { approval } from '../../src/domain';
import { startService, type KeyJson, type Service } from '../api/support/service';
import { runCli } from '../support/cli';
import { outcome, row } from './support/service';

describe('keyledger operators, approvals and policy', () => {
  let svc: Service;
  const tokens: Record<string, string> = {};
  const env = (who: string): NodeJS.ProcessEnv => ({ KEYLEDGER_URL: svc.url, KEYLEDGER_TOKEN: tokens[who] });

  beforeAll(async () => {
    svc = await startService({ policy: approval.DEFAULT_POLICY, prefix: 'kl-cliop-' });
    tokens.first = svc.token;
  }, 60_000);

  afterAll(async () => {
    await svc?.close();
  });

  it('says who the token belongs to', async () => {
    const me = await runCli(['whoami'], env('first'));
    expect(outcome(me)).toEqual(expect.objectContaining({ code: 0, stderr: '' }));
    expect(me.stdout).toMatch(/^operator first-officer \(first-officer\)\n {2}role {6}officer\n/);
    const json = JSON.parse((await runCli(['whoami', '--json'], env('first'))).stdout) as { role: string };
    expect(json.role).toBe('officer');
  });

  it('enrols officers in the bootstrap phase and an operator, printing each token once', async () => {
    for (const [name, role] of [
      ['bob', 'officer'],
      ['carol', 'officer'],
      ['olga', 'operator'],
    ]) {
      const result = await runCli(
        ['operators', 'enrol', '--name', name!, '--role', role!, '--json'],
        env('first'),
      );
      expect(outcome(result)).toEqual(expect.objectContaining({ code: 0 }));
      const o = JSON.parse(result.stdout) as { token: string; basis: string; role: string };
      expect(o.role).toBe(role);
      tokens[name!] = o.token;
    }
    const list = await runCli(['operators', 'list'], env('olga'));
    expect(list.code).toBe(0);
    expect(row(list.stdout, 'bob')).toEqual([
      'bob',
      expect.any(String),
      'officer',
      'active',
      expect.any(String),
      'bootstrap-phase',
    ]);
    expect(row(list.stdout, 'olga')?.[2]).toBe('operator');
    const text = await runCli(['operators', 'enrol', '--name', 'aude', '--role', 'auditor'], env('bob'));
    expect(text.stdout).toMatch(/^enrolled aude \(\S+\), auditor\n {2}token: klt_\S+\n/);
    tokens.aude = /token: (klt_\S+)/.exec(text.stdout)![1]!;
  });

  it('refuses a role that may not act with the service detail, exit 1; a bad --role is usage, exit 2', async () => {
    const refused = await runCli(['operators', 'enrol', '--name', 'x', '--role', 'auditor'], env('aude'));
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/needs the officer role/);
    expect((await runCli(['operators', 'enrol', '--name', 'x', '--role', 'king'], env('bob'))).code).toBe(2);
  });

  it('turns a gated destroy into an approval request (exit 3), approved by two officers through the CLI', async () => {
    const key = JSON.parse(
      (await runCli(['keys', 'generate', '--hsm', 'hsm-a', '--type', 'ec', '--json'], env('olga'))).stdout,
    ) as KeyJson;
    const asked = await runCli(['keys', 'destroy', key.keyId, '--yes'], env('olga'));
    expect(outcome(asked)).toEqual(expect.objectContaining({ code: 3, stderr: '' }));
    expect(asked.stdout).toMatch(/^approval (\S+) requested: destroy-key waits for 2 officer approval\(s\)/);
    const id = /^approval (\S+)/.exec(asked.stdout)![1]!;

    const pending = await runCli(['approvals', 'list', '--status', 'pending'], env('aude'));
    expect(row(pending.stdout, id)).toEqual([
      id,
      'destroy-key',
      'pending',
      '0/2',
      expect.any(String),
      expect.any(String),
    ]);
    const first = await runCli(['approvals', 'approve', id], env('bob'));
    expect(outcome(first)).toEqual(expect.objectContaining({ code: 0 }));
    expect(first.stdout).toMatch(/destroy-key pending\n.*\n.*\n {2}approvals {2}1 of 2/);
    const second = await runCli(['approvals', 'approve', id], env('carol'));
    expect(outcome(second)).toEqual(expect.objectContaining({ code: 0 }));
    expect(second.stdout).toMatch(/destroy-key executed/);
    expect(second.stdout).toMatch(/ {2}executed {3}\S+ by \S+: \{"keyId":"[^"]+","state":"destroyed"\}/);

    const events = await runCli(['keys', 'events', key.keyId], env('aude'));
    const by = events.stdout
      .trim()
      .split('\n')
      .slice(1)
      .map((line) => line.trim().split(/ {2,}/))
      .map((cells) => [cells[3], cells[cells.length - 1]]);
    const { operatorId: olga } = JSON.parse((await runCli(['whoami', '--json'], env('olga'))).stdout) as {
      operatorId: string;
    };
    expect(by[0]).toEqual(['KeyGenerated', olga]);
    expect(by.map((b) => b[0])).toEqual(
      expect.arrayContaining(['ApprovalRequested', 'ApprovalGranted', 'KeyDestroyed', 'ApprovalExecuted']),
    );
  });

  it('rejects with a reason, and shows a request', async () => {
    const key = JSON.parse(
      (await runCli(['keys', 'generate', '--hsm', 'hsm-a', '--type', 'ec', '--json'], env('olga'))).stdout,
    ) as KeyJson;
    const id = /^approval (\S+)/.exec(
      (await runCli(['keys', 'destroy', key.keyId, '--yes'], env('olga'))).stdout,
    )![1]!;
    const rejected = await runCli(['approvals', 'reject', id, '--reason', 'still signing'], env('carol'));
    expect(rejected.code).toBe(0);
    expect(rejected.stdout).toMatch(/destroy-key rejected/);
    const shown = await runCli(['approvals', 'show', id], env('aude'));
    expect(shown.stdout).toMatch(/ {2}rejected {3}\S+ by \S+: still signing/);
    const again = await runCli(['approvals', 'approve', id], env('bob'));
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/is rejected, no longer pending/);
  });

  it('shows the policy, and proposes a new one from a file (a change-policy request)', async () => {
    const shown = await runCli(['policy', 'show'], env('aude'));
    expect(shown.stdout).toContain('  destroy-key: 2 officer approvals');
    const file = path.join(svc.dataDir, 'new-policy.yaml');
    fs.writeFileSync(file, 'version: 1\napprovals:\n  destroy-key: 3\n');
    const asked = await runCli(['policy', 'set', file], env('bob'));
    expect(outcome(asked)).toEqual(expect.objectContaining({ code: 3 }));
    expect(asked.stdout).toMatch(/change-policy waits for 2 officer approval/);
    fs.writeFileSync(file, 'version: 1\napprovals:\n  destroy-kye: 3\n');
    const bad = await runCli(['policy', 'set', file], env('bob'));
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(
      `policy file ${file} line 3, column 3: "approvals.destroy-kye" is not an action keyledger knows`,
    );
  });

  it('rotates its own token (the old one stops working) and revokes an operator', async () => {
    const rotated = await runCli(['operators', 'rotate', 'me', '--json'], env('aude'));
    expect(rotated.code).toBe(0);
    const fresh = (JSON.parse(rotated.stdout) as { token: string }).token;
    expect((await runCli(['whoami'], env('aude'))).code).toBe(1);
    tokens.aude = fresh;
    expect((await runCli(['whoami'], env('aude'))).code).toBe(0);
    const { operatorId } = JSON.parse((await runCli(['whoami', '--json'], env('aude'))).stdout) as {
      operatorId: string;
    };
    expect((await runCli(['operators', 'revoke', operatorId], env('bob'))).stdout).toMatch(/^revoked aude /);
    const after = await runCli(['whoami'], env('aude'));
    expect(after.code).toBe(1);
    expect(after.stderr).toMatch(/unknown, rotated or revoked/);
  });
});
