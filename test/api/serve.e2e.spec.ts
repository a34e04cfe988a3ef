/** `keyledger serve` (what `npm start` runs) prints the URL, the docs URL and the token, and serves them. */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { childScript } from '../support/children-build';
import { REPO_ROOT } from '../support/cli';

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
});
