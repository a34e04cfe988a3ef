/**
 * `keyledger serve` as a child process on a loopback port, for the suites that SIGKILL it: the
 * service prints its URL once it listens; `client` talks to it with one bearer token.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { childScript, REPO_ROOT } from '../../support/children-build';

export interface Child {
  readonly url: string;
  readonly process: ChildProcessWithoutNullStreams;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stdout(): string;
  stderr(): string;
}

/** Resolves once the service prints its URL; rejects if it exits first (with what it printed). */
export function serveChild(dataDir: string, env: NodeJS.ProcessEnv): Promise<Child> {
  const child = spawn(process.execPath, [...childScript('cli/main.ts'), 'serve'], {
    cwd: REPO_ROOT,
    stdio: 'pipe',
    env: {
      ...process.env,
      KEYLEDGER_DATA_DIR: dataDir,
      KEYLEDGER_PORT: '0',
      KEYLEDGER_HOST: '127.0.0.1',
      ...env,
    },
  });
  let out = '';
  let err = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
    child.on('exit', (code, signal) => done({ code, signal })),
  );
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const m = /keyledger listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve({ url: m[1]!, process: child, exited, stdout: () => out, stderr: () => err });
    });
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    void exited.then(({ code, signal }) =>
      reject(new Error(`keyledger serve exited (${code ?? signal}) before listening: ${err}${out}`)),
    );
  });
}

export async function stopChild(child: Child): Promise<void> {
  child.process.kill('SIGTERM');
  const timer = setTimeout(() => child.process.kill('SIGKILL'), 10_000);
  await child.exited;
  clearTimeout(timer);
}

export function client(url: string, token: string) {
  const call = (method: string, p: string, body?: unknown) =>
    fetch(`${url}${p}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  return {
    call,
    async json<T = Record<string, unknown>>(method: string, p: string, body?: unknown): Promise<T> {
      const response = await call(method, p, body);
      const text = await response.text();
      if (!response.ok) throw new Error(`${method} ${p} answered ${response.status}: ${text}`);
      return JSON.parse(text) as T;
    },
  };
}
