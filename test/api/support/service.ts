/**
 * Starts the keyledger service as `npm start` does (embedded SQLite, demo soft HSMs hsm-a/hsm-b on
 * Unix sockets) in a temp data directory on a loopback port, and drives it over HTTP with fetch.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadConfig } from '../../../src/app/config';
import type { approval } from '../../../src/domain';
import { OPEN_POLICY, withPolicy } from '../../support/policy';
import type { DemoOptions } from '../../../src/server/demo-hsms';
import { startServer, type RunningServer } from '../../../src/server/server';

export interface Service {
  readonly url: string;
  readonly token: string;
  readonly dataDir: string;
  readonly server: RunningServer;
  /** A JSON request with the bearer token; `auth: false` sends none. */
  call(method: string, p: string, body?: unknown, options?: { auth?: false | string }): Promise<Response>;
  /** Like `call`, but fails the test unless the status is 2xx; returns the parsed body. */
  json<T = Record<string, unknown>>(method: string, p: string, body?: unknown): Promise<T>;
  position(): Promise<number>;
  close(): Promise<void>;
}

/**
 * `demo: false` starts the service without the demo HSMs (the test registers its own over HTTP);
 * `env` adds configuration variables, e.g. `KEYLEDGER_REQUEST_TIMEOUT_MS` (data directory, port and
 * host stay the test's; audit checkpoints are off unless `env` sets KEYLEDGER_CHECKPOINT_EVERY).
 * `policy` is the ledger's approval policy: `OPEN_POLICY` unless a suite is
 * about dual control (or names a policy file in `env.KEYLEDGER_POLICY`). `seed` fills the ledger first.
 */
export async function startService(
  options: {
    demo?: DemoOptions | false;
    prefix?: string;
    env?: NodeJS.ProcessEnv;
    policy?: approval.ApprovalPolicy;
    /** Writes a ledger into the data directory before the service opens it (e.g. bench/seed.ts). */
    seed?: (dataDir: string) => Promise<unknown>;
  } = {},
): Promise<Service> {
  // Short: Unix socket paths are limited to about 100 bytes.
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), options.prefix ?? 'kl-'));
  await options.seed?.(dataDir);
  const token = randomBytes(24).toString('base64url');
  const server = await startServer(
    withPolicy(
      loadConfig({
        // No audit checkpoints unless a suite asks: the audit key would take a slot on hsm-a.
        KEYLEDGER_CHECKPOINT_EVERY: 'off',
        ...options.env,
        KEYLEDGER_DATA_DIR: dataDir,
        KEYLEDGER_PORT: '0',
        KEYLEDGER_HOST: '127.0.0.1',
      }),
      options.policy ?? OPEN_POLICY,
      options.env?.KEYLEDGER_POLICY === undefined,
    ),
    {
      token,
      demoHsms: options.demo === false ? false : { pinDelayMs: 0, ...options.demo },
    },
  );
  const documented = await documentedStatuses(server.url);
  const call = async (method: string, p: string, body?: unknown, o: { auth?: false | string } = {}) => {
    const headers: Record<string, string> = {};
    if (o.auth !== false) headers.authorization = `Bearer ${o.auth ?? token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(`${server.url}${p}`, {
      method,
      headers,
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    documented.check(method, p, response.status);
    return response;
  };
  return {
    url: server.url,
    token,
    dataDir,
    server,
    call,
    async json<T>(method: string, p: string, body?: unknown): Promise<T> {
      const response = await call(method, p, body);
      const text = await response.text();
      if (!response.ok) throw new Error(`${method} ${p} answered ${response.status}: ${text}`);
      return JSON.parse(text) as T;
    },
    async position() {
      return ((await (await fetch(`${server.url}/health`)).json()) as { position: number }).position;
    },
    async close() {
      await server.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * The statuses the service's OpenAPI document lists per operation. `check` fails the test on a
 * status a route answered that its operation does not document (a path no operation matches, such
 * as an unknown route, is not checked).
 */
export async function documentedStatuses(
  url: string,
): Promise<{ check(method: string, p: string, status: number): void }> {
  const document = (await (await fetch(`${url}/docs-json`)).json()) as {
    paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
  };
  const operations = Object.entries(document.paths).map(([template, ops]) => ({
    template,
    pattern: new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`),
    statuses: new Map(
      Object.entries(ops).map(([m, op]) => [m.toUpperCase(), new Set(Object.keys(op.responses).map(Number))]),
    ),
  }));
  return {
    check(method, p, status) {
      const path = p.split('?')[0]!.replace(/(.)\/+$/, '$1');
      const op = operations.find((o) => o.pattern.test(path));
      const statuses = op?.statuses.get(method.toUpperCase());
      if (op === undefined || statuses === undefined) return;
      if (!statuses.has(status)) {
        throw new Error(
          `${method} ${p} answered ${status}, which the OpenAPI document does not list for ${method} ${op.template} (${[...statuses].join(', ')})`,
        );
      }
    },
  };
}

export interface KeyJson {
  keyId: string;
  type: string;
  state: string;
  publicKey: string;
  publicKeyRfc8554?: string;
  holders: { kind: 'hsm' | 'blob'; hsm?: string; hsmId?: string; blobSha256?: string }[];
  blobs: { sha256: string; status: string }[];
  currentBlob: string | null;
  hashsig?: { signatures: number; lastIndex: number | null; remaining: number };
}

/** Expects an RFC 9457 problem with this status; returns it. */
export async function expectProblem(
  response: Response,
  status: number,
): Promise<Record<string, unknown> & { detail: string }> {
  const text = await response.text();
  if (response.status !== status) throw new Error(`expected ${status}, got ${response.status}: ${text}`);
  expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  const body = JSON.parse(text) as Record<string, unknown> & { detail: string };
  expect(body).toEqual(
    expect.objectContaining({
      type: expect.any(String),
      title: expect.any(String),
      status,
      detail: expect.any(String),
      instance: expect.any(String),
    }),
  );
  return body;
}

/** Runs `task` over `items` with at most `concurrency` in flight. */
export async function pool<T, R>(
  items: readonly T[],
  concurrency: number,
  task: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await task(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return results;
}
