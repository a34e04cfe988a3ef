/** Running the CLI as an operator does: the built bin (`dist/cli/main.js`) or from source. */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { REPO_ROOT, type CliResult } from '../../support/cli';

export const DIST_MAIN = path.join(REPO_ROOT, 'dist', 'cli', 'main.js');
export const SOURCE_MAIN = path.join(REPO_ROOT, 'src', 'cli', 'main.ts');

/** Runs `command args…` in the repo root and collects its output; fails the test on a hang. */
export function run(
  command: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
  timeoutMs = 30_000,
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: REPO_ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(`${command} ${args.join(' ')} did not finish within ${timeoutMs} ms; stderr: ${stderr}`),
      );
    }, timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/**
 * `npm run build` unless the bin is there (npm install/ci build it through `prepare`). Test files
 * run in parallel: one builds under a lock directory, the others wait for it.
 */
export async function ensureBuilt(): Promise<void> {
  const lock = path.join(
    os.tmpdir(),
    `keyledger-build-${createHash('sha256').update(REPO_ROOT).digest('hex').slice(0, 16)}.lock`,
  );
  for (;;) {
    if (!fs.existsSync(lock) && fs.existsSync(DIST_MAIN)) return;
    try {
      fs.mkdirSync(lock);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      // A lock left by a test run that was killed mid-build.
      const since = fs.statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now();
      if (Date.now() - since > 300_000) fs.rmSync(lock, { recursive: true, force: true });
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  try {
    if (fs.existsSync(DIST_MAIN)) return;
    const built = await run(siblingOfNode('npm'), ['run', 'build'], {}, 240_000);
    if (built.code !== 0)
      throw new Error(`npm run build failed (${built.code}): ${built.stderr}${built.stdout}`);
  } finally {
    fs.rmSync(lock, { recursive: true, force: true });
  }
}

/** `npm`/`npx` of the Node.js running the tests (they sit beside it), else from PATH. */
export function siblingOfNode(tool: 'npm' | 'npx'): string {
  const beside = path.join(path.dirname(process.execPath), tool);
  return fs.existsSync(beside) ? beside : tool;
}

export type Entry = 'dist' | 'source';

/** Node arguments that run the CLI's `entry` with `preload` required first. */
export function nodeArgs(entry: Entry, preload: readonly string[] = []): string[] {
  const requires = preload.flatMap((p) => ['-r', p]);
  return entry === 'dist' ? [...requires, DIST_MAIN] : ['-r', '@swc-node/register', ...requires, SOURCE_MAIN];
}

/**
 * Runs the CLI and reports every module it loaded (`require.cache` at exit, which also lists the
 * ES modules that CommonJS code `require`d, e.g. NestJS): nothing timing-based.
 */
export async function loadedModules(
  entry: Entry,
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
): Promise<CliResult & { modules: string[] }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kl-mods-'));
  try {
    const preload = path.join(dir, 'dump-modules.js');
    const out = path.join(dir, 'modules.json');
    fs.writeFileSync(
      preload,
      `const fs = require('fs');\nprocess.on('exit', () => fs.writeFileSync(${JSON.stringify(out)}, JSON.stringify(Object.keys(require.cache))));\n`,
    );
    const result = await run(process.execPath, [...nodeArgs(entry, [preload]), ...args], env);
    const modules = JSON.parse(fs.readFileSync(out, 'utf8')) as string[];
    return { ...result, modules };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
