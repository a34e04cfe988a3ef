/** `keyledger serve` (what `npm start` runs) prints the URL, the docs URL and the token, and serves them. */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { childScript } from '../support/children-build';
import { REPO_ROOT } from '../support/cli';
import { serveChild, stopChild } from '../e2e/support/serve-child';

describe('keyledger serve', () => {
  let dataDir: string;

  beforeAll(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kl-'));
  });

  afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it('prints the URL, the docs URL and the token with the demo HSMs up, and stops on SIGTERM', async () => {
    const child = spawn(process.execPath, [...childScript('cli/main.ts'), 'serve'], {
      cwd: REPO_ROOT,
      env: { ...process.env, KEYLEDGER_DATA_DIR: dataDir, KEYLEDGER_PORT: '0', KEYLEDGER_TOKEN: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no start-up banner within 60 s; stderr: ${stderr}`)),
          60_000,
        );
        child.stdout.on('data', (chunk: Buffer) => {
          stdout += chunk.toString();
          if (/demo HSMs:/.test(stdout)) {
            clearTimeout(timer);
            resolve();
          }
        });
        child.on('close', () => reject(new Error(`serve exited early; stderr: ${stderr}`)));
      });
      const url = /listening on (http:\/\/\S+)/.exec(stdout)![1];
      expect(stdout).toContain(`docs:   ${url}/docs`);
      const token = fs.readFileSync(path.join(dataDir, 'api-token'), 'utf8').trim();
      expect(stdout).toContain(`token:  ${token}`);
      expect(stdout).toMatch(/hsm-a \(unix:.*hsm-a\.sock\), hsm-b \(unix:.*hsm-b\.sock\)/);
      expect((await fetch(`${url}/docs`)).status).toBe(200);
      const hsms = (await (
        await fetch(`${url}/v1/hsms`, { headers: { authorization: `Bearer ${token}` } })
      ).json()) as { name: string }[];
      expect(hsms.map((h) => h.name).sort()).toEqual(['hsm-a', 'hsm-b']);
    } finally {
      child.kill('SIGTERM');
    }
    await exited;
    expect(stderr).not.toContain(fs.readFileSync(path.join(dataDir, 'api-token'), 'utf8').trim());
  }, 90_000);

  it('on a ledger with operators already, says a token that is none of theirs gets 401, and never prints it', async () => {
    const banner = async (env: NodeJS.ProcessEnv) => {
      const child = await serveChild(dataDir, { KEYLEDGER_DEMO_HSMS: '0', ...env });
      try {
        for (let i = 0; i < 100 && !/ token: /.test(child.stdout()); i++)
          await new Promise((resolve) => setTimeout(resolve, 50));
        const url = /listening on (http:\/\/\S+)/.exec(child.stdout())![1]!;
        return { stdout: child.stdout() + child.stderr(), url };
      } finally {
        await stopChild(child);
      }
    };
    const other = 'x'.repeat(20) + 'another-token';
    const byEnv = await banner({ KEYLEDGER_TOKEN: other });
    expect(byEnv.stdout).toContain(
      'token:  none: this ledger has operators already, and KEYLEDGER_TOKEN is none of theirs (requests with it get 401)',
    );
    expect(byEnv.stdout).not.toContain(other);

    // A data directory whose token file is new (the first one's officer stays the ledger's).
    const file = path.join(dataDir, 'api-token');
    const first = fs.readFileSync(file, 'utf8').trim();
    fs.rmSync(file);
    const byFile = await banner({ KEYLEDGER_TOKEN: '' });
    const fresh = fs.readFileSync(file, 'utf8').trim();
    expect(fresh).not.toBe(first);
    expect(byFile.stdout).toContain(
      `token:  none: this ledger has operators already, and the token in ${file} is none of theirs`,
    );
    expect(byFile.stdout).not.toContain(fresh);
    fs.writeFileSync(file, `${first}\n`, { mode: 0o600 });
  }, 90_000);
});
