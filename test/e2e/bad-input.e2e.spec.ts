/**
 * Acceptance, bad input (issue 4), over HTTP against the running service with the demo soft HSMs
 * on Unix sockets, for what test/api/custody.e2e.spec.ts does not cover: unknown keys and HSMs on
 * every custody operation, the wrong KEK domain (an HSM with another master KEK, a domain that
 * does not exist), malformed bodies of each operation, bodies nested too deeply on every route that takes a body (POST, PUT, PATCH),
 * a blob of another key and random bytes, and HSM registrations at endpoints that are not HSMs.
 * Each is a 4xx application/problem+json whose `detail` says what was wrong, and the ledger is
 * unchanged (the `/health` position is the same before and after).
 */
import { Logger } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { KEK_2, PIN, startHsm, type TestHsm } from '../custody/support';
import { expectProblem, startService, type KeyJson, type Service } from '../api/support/service';

const UNKNOWN_KEY = '00000000-0000-4000-8000-00000000beef';
const UNKNOWN_HSM = 'hsm-nowhere';
const b64 = (bytes: Buffer) => bytes.toString('base64');

interface Case {
  readonly method: string;
  readonly path: string;
  readonly body?: unknown;
  readonly status: number;
  readonly detail: RegExp;
}

describe('bad input over HTTP leaves the ledger unchanged', () => {
  let svc: Service;
  let hsmDir: string;
  let outsider: TestHsm;
  let key: KeyJson; // ec, resident on hsm-a, with a current blob
  let other: KeyJson; // ec, resident on hsm-a, with a current blob
  let keyBlob: string;
  let otherBlob: string;
  let domainId: string;

  beforeAll(async () => {
    svc = await startService({ prefix: 'kl-bad-' });
    // An HSM with another master KEK: registered, but it cannot prove the demo domain's KEK.
    hsmDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kl-badh-'));
    outsider = await startHsm(hsmDir, 'hsm-x', { kek: KEK_2 });
    expect(
      (await svc.call('POST', '/v1/hsms', { name: 'hsm-x', endpoint: outsider.endpoint, pin: PIN })).status,
    ).toBe(201);
    key = await svc.json<KeyJson>('POST', '/v1/keys', { hsm: 'hsm-a', type: 'ec', label: 'bad-input' });
    other = await svc.json<KeyJson>('POST', '/v1/keys', {
      hsm: 'hsm-a',
      type: 'ec',
      label: 'bad-input-other',
    });
    keyBlob = (
      await svc.json<{ blobSha256: string }>('POST', `/v1/keys/${key.keyId}/raw-export`, { hsm: 'hsm-a' })
    ).blobSha256;
    otherBlob = (
      await svc.json<{ blobSha256: string }>('POST', `/v1/keys/${other.keyId}/raw-export`, { hsm: 'hsm-a' })
    ).blobSha256;
    domainId = (await svc.json<{ kekDomainId: string }>('GET', '/v1/hsms/hsm-a')).kekDomainId;
  }, 60_000);

  afterAll(async () => {
    await svc?.close();
    await outsider?.stop().catch(() => undefined);
    if (hsmDir) fs.rmSync(hsmDir, { recursive: true, force: true });
  });

  /** Sends the request; expects the problem, its detail, and no change to the ledger or the key. */
  async function refused(c: Case): Promise<Record<string, unknown> & { detail: string }> {
    const position = await svc.position();
    const view = await svc.json<KeyJson>('GET', `/v1/keys/${key.keyId}`);
    const problem = await expectProblem(await svc.call(c.method, c.path, c.body), c.status);
    expect(problem.detail).toMatch(c.detail);
    expect(await svc.position()).toBe(position);
    expect(await svc.json<KeyJson>('GET', `/v1/keys/${key.keyId}`)).toEqual(view);
    return problem;
  }

  describe('unknown key', () => {
    const cases: [string, () => Case][] = [
      [
        'raw-export',
        () => ({
          method: 'POST',
          path: `/v1/keys/${UNKNOWN_KEY}/raw-export`,
          body: { hsm: 'hsm-a' },
          status: 404,
          detail: /not in the ledger/,
        }),
      ],
      [
        'raw-import',
        () => ({
          method: 'POST',
          path: `/v1/keys/${UNKNOWN_KEY}/raw-import`,
          body: { hsm: 'hsm-a' },
          status: 404,
          detail: /not in the ledger/,
        }),
      ],
      [
        'transfer',
        () => ({
          method: 'POST',
          path: `/v1/keys/${UNKNOWN_KEY}/transfer`,
          body: { from: 'hsm-a', to: 'hsm-b' },
          status: 404,
          detail: /not in the ledger/,
        }),
      ],
      [
        'events',
        () => ({
          method: 'GET',
          path: `/v1/keys/${UNKNOWN_KEY}/events`,
          status: 404,
          detail: /not in the ledger/,
        }),
      ],
      [
        'residency delete',
        () => ({
          method: 'DELETE',
          path: `/v1/keys/${UNKNOWN_KEY}/residency/hsm-a`,
          status: 404,
          detail: /not in the ledger/,
        }),
      ],
      [
        'destroy',
        () => ({
          method: 'DELETE',
          path: `/v1/keys/${UNKNOWN_KEY}`,
          status: 404,
          detail: /not in the ledger/,
        }),
      ],
      [
        'blob hand-in',
        () => ({
          method: 'POST',
          path: '/v1/blobs',
          body: { keyId: UNKNOWN_KEY, blob: b64(randomBytes(64)) },
          status: 404,
          detail: /not in the ledger/,
        }),
      ],
    ];
    it.each(cases)('%s: 404 naming the key', async (_label, make) => {
      const problem = await refused(make());
      expect(problem.detail).toContain(UNKNOWN_KEY);
    });
  });

  describe('unknown HSM', () => {
    const cases: [string, () => Case][] = [
      [
        'raw-export',
        () => ({
          method: 'POST',
          path: `/v1/keys/${key.keyId}/raw-export`,
          body: { hsm: UNKNOWN_HSM },
          status: 404,
          detail: /not registered/,
        }),
      ],
      [
        'raw-import',
        () => ({
          method: 'POST',
          path: `/v1/keys/${key.keyId}/raw-import`,
          body: { hsm: UNKNOWN_HSM },
          status: 404,
          detail: /not registered/,
        }),
      ],
      [
        'transfer from',
        () => ({
          method: 'POST',
          path: `/v1/keys/${key.keyId}/transfer`,
          body: { from: UNKNOWN_HSM, to: 'hsm-b' },
          status: 404,
          detail: /not registered/,
        }),
      ],
      [
        'transfer to',
        () => ({
          method: 'POST',
          path: `/v1/keys/${key.keyId}/transfer`,
          body: { from: 'hsm-a', to: UNKNOWN_HSM },
          status: 404,
          detail: /not registered/,
        }),
      ],
      [
        'sign on',
        () => ({
          method: 'POST',
          path: `/v1/keys/${key.keyId}/sign`,
          body: { data: 'aGVsbG8=', hsm: UNKNOWN_HSM },
          status: 404,
          detail: /not registered/,
        }),
      ],
      [
        'residency delete',
        () => ({
          method: 'DELETE',
          path: `/v1/keys/${key.keyId}/residency/${UNKNOWN_HSM}`,
          status: 404,
          detail: /not registered/,
        }),
      ],
      [
        'GET',
        () => ({ method: 'GET', path: `/v1/hsms/${UNKNOWN_HSM}`, status: 404, detail: /not registered/ }),
      ],
      [
        'residency listing',
        () => ({
          method: 'GET',
          path: `/v1/hsms/${UNKNOWN_HSM}/keys`,
          status: 404,
          detail: /not registered/,
        }),
      ],
      [
        'zeroized',
        () => ({
          method: 'POST',
          path: `/v1/hsms/${UNKNOWN_HSM}/zeroized`,
          status: 404,
          detail: /not registered/,
        }),
      ],
      [
        'reconcile',
        () => ({
          method: 'POST',
          path: `/v1/hsms/${UNKNOWN_HSM}/reconcile`,
          status: 404,
          detail: /not registered/,
        }),
      ],
      [
        'KEK domain join',
        () => ({
          method: 'POST',
          path: `/v1/kek-domains/${domainId}/members`,
          body: { hsm: UNKNOWN_HSM },
          status: 404,
          detail: /not registered/,
        }),
      ],
    ];
    it.each(cases)('%s: 404 naming the HSM', async (_label, make) => {
      const problem = await refused(make());
      expect(problem.detail).toContain(UNKNOWN_HSM);
    });
  });

  describe('wrong KEK domain', () => {
    it('an HSM with another master KEK cannot join the domain: its canary will not unwrap', async () => {
      const problem = await refused({
        method: 'POST',
        path: `/v1/kek-domains/${domainId}/members`,
        body: { hsm: 'hsm-x' },
        status: 409,
        detail: /canary/,
      });
      expect(problem.detail).toContain('hsm-x');
    });

    it('a KEK domain that does not exist', async () => {
      const problem = await refused({
        method: 'POST',
        path: '/v1/kek-domains/no-such-domain/members',
        body: { hsm: 'hsm-b' },
        status: 404,
        detail: /does not exist/,
      });
      expect(problem.detail).toContain('no-such-domain');
    });

    it('a raw import onto the HSM outside the domain', async () => {
      await refused({
        method: 'POST',
        path: `/v1/keys/${key.keyId}/raw-import`,
        body: { hsm: 'hsm-x' },
        status: 409,
        detail: /KEK domain/i,
      });
    });
  });

  describe('malformed bodies', () => {
    const cases: [string, () => Case, string][] = [
      [
        'raw-export without hsm',
        () => ({
          method: 'POST',
          path: `/v1/keys/${key.keyId}/raw-export`,
          body: {},
          status: 400,
          detail: /hsm/,
        }),
        'hsm',
      ],
      [
        'raw-export with a numeric hsm',
        () => ({
          method: 'POST',
          path: `/v1/keys/${key.keyId}/raw-export`,
          body: { hsm: 7 },
          status: 400,
          detail: /hsm/,
        }),
        'hsm',
      ],
      [
        'raw-export with an unknown field',
        () => ({
          method: 'POST',
          path: `/v1/keys/${key.keyId}/raw-export`,
          body: { hsm: 'hsm-a', evict: true },
          status: 400,
          detail: /evict/,
        }),
        'evict',
      ],
      [
        'raw-import with a non-hex blobSha256',
        () => ({
          method: 'POST',
          path: `/v1/keys/${key.keyId}/raw-import`,
          body: { hsm: 'hsm-b', blobSha256: 'XYZ' },
          status: 400,
          detail: /blobSha256/,
        }),
        'blobSha256',
      ],
      [
        'raw-import with an upper-case blobSha256',
        () => ({
          method: 'POST',
          path: `/v1/keys/${key.keyId}/raw-import`,
          body: { hsm: 'hsm-b', blobSha256: 'AB'.repeat(32) },
          status: 400,
          detail: /blobSha256/,
        }),
        'blobSha256',
      ],
      [
        'transfer without to',
        () => ({
          method: 'POST',
          path: `/v1/keys/${key.keyId}/transfer`,
          body: { from: 'hsm-a' },
          status: 400,
          detail: /\bto\b/,
        }),
        'to',
      ],
      [
        'sign without data',
        () => ({ method: 'POST', path: `/v1/keys/${key.keyId}/sign`, body: {}, status: 400, detail: /data/ }),
        'data',
      ],
      [
        'sign with numeric data',
        () => ({
          method: 'POST',
          path: `/v1/keys/${key.keyId}/sign`,
          body: { data: 12 },
          status: 400,
          detail: /data/,
        }),
        'data',
      ],
      [
        'blob hand-in without blob',
        () => ({
          method: 'POST',
          path: '/v1/blobs',
          body: { keyId: key.keyId },
          status: 400,
          detail: /blob/,
        }),
        'blob',
      ],
      [
        'blob hand-in with non-base64 blob',
        () => ({
          method: 'POST',
          path: '/v1/blobs',
          body: { keyId: key.keyId, blob: 'not base64!' },
          status: 400,
          detail: /blob/,
        }),
        'blob',
      ],
      [
        'KEK domain join without hsm',
        () => ({
          method: 'POST',
          path: `/v1/kek-domains/${domainId}/members`,
          body: {},
          status: 400,
          detail: /hsm/,
        }),
        'hsm',
      ],
      [
        'HSM registration with an http endpoint',
        () => ({
          method: 'POST',
          path: '/v1/hsms',
          body: { name: 'hsm-q', endpoint: 'http://nope', pin: 'x'.repeat(8) },
          status: 400,
          detail: /endpoint/,
        }),
        'endpoint',
      ],
    ];
    it.each(cases)('%s: 400 naming the field', async (_label, make, field) => {
      const problem = await refused(make());
      expect((problem.errors as { field: string }[] | undefined)?.map((e) => e.field)).toContain(field);
    });

    it.each([
      ['a JSON array', '[{"hsm": "hsm-a"}]'],
      ['truncated JSON', '{"hsm": "hsm-a"'],
      ['a JSON string', '"hsm-a"'],
    ])('raw-export with %s as the body: 400', async (_label, body) => {
      await refused({
        method: 'POST',
        path: `/v1/keys/${key.keyId}/raw-export`,
        body,
        status: 400,
        detail: /\S/,
      });
    });

    it('a path key id longer than 128 characters: 400 naming keyId', async () => {
      await refused({
        method: 'POST',
        path: `/v1/keys/${'k'.repeat(200)}/raw-export`,
        body: { hsm: 'hsm-a' },
        status: 400,
        detail: /keyId/,
      });
    });
  });

  describe('each fault said once: a missing field is required, not every check it fails', () => {
    it.each([
      [
        'prefetch without keyIds',
        () => ({ path: '/v1/hsms/hsm-a/prefetch', body: {} }),
        [{ field: 'keyIds', messages: ['keyIds is required: an array of 1 to 256 key ids'] }],
      ],
      [
        'prefetch of no keys',
        () => ({ path: '/v1/hsms/hsm-a/prefetch', body: { keyIds: [] } }),
        [{ field: 'keyIds', messages: ['keyIds must hold 1 to 256 key ids'] }],
      ],
      [
        'prefetch of 257 keys',
        () => ({ path: '/v1/hsms/hsm-a/prefetch', body: { keyIds: Array(257).fill(key.keyId) } }),
        [{ field: 'keyIds', messages: ['keyIds must hold 1 to 256 key ids'] }],
      ],
      [
        'a batch sign without items',
        () => ({ path: '/v1/sign', body: {} }),
        [{ field: 'items', messages: ['items is required: an array of 1 to 256 {keyId, data}'] }],
      ],
      [
        'an HSM registration without name, endpoint and pin',
        () => ({ path: '/v1/hsms', body: {} }),
        [
          {
            field: 'name',
            messages: ['name is required: a unique name of 1 to 128 letters, digits, ".", "_", ":" or "-"'],
          },
          { field: 'endpoint', messages: ['endpoint is required: "unix:/path" or "tcp://host:port"'] },
          { field: 'pin', messages: ["pin is required: the HSM's user PIN, 4 to 4096 characters"] },
        ],
      ],
    ])('%s: 400 with one message a field', async (_label, make, errors) => {
      const { path: p, body } = make();
      const problem = await refused({
        method: 'POST',
        path: p,
        body,
        status: 400,
        detail: /^the request body is invalid: /,
      });
      expect(problem.errors).toEqual(errors);
      expect(problem.detail).not.toMatch(/\b1 elements\b/);
    });
  });

  describe('a blob of another key, and random bytes', () => {
    it("raw-import of another key's blob by hash, onto an HSM without the key: 404 naming blob and key", async () => {
      const problem = await refused({
        method: 'POST',
        path: `/v1/keys/${key.keyId}/raw-import`,
        body: { hsm: 'hsm-b', blobSha256: otherBlob },
        status: 404,
        detail: new RegExp(`not a blob of key ${key.keyId}`),
      });
      expect(problem.detail).toContain(otherBlob.slice(0, 8));
    });

    it('raw-import of a blob hash the ledger never saw: 404 naming it', async () => {
      const unknown = randomBytes(32).toString('hex');
      const problem = await refused({
        method: 'POST',
        path: `/v1/keys/${key.keyId}/raw-import`,
        body: { hsm: 'hsm-b', blobSha256: unknown },
        status: 404,
        detail: /blob/,
      });
      expect(problem.detail).toContain(unknown.slice(0, 8));
    });

    it("another key's blob handed in for this key: 409 saying whose blob it is; the key is unchanged", async () => {
      const bytes = (await svc.json<{ blob: string }>('GET', `/v1/blobs/${otherBlob}`)).blob;
      const keyEvents = await svc.json<unknown[]>('GET', `/v1/keys/${key.keyId}/events`);
      const otherEvents = await svc.json<unknown[]>('GET', `/v1/keys/${other.keyId}/events`);
      const view = await svc.json<KeyJson>('GET', `/v1/keys/${key.keyId}`);
      const problem = await expectProblem(
        await svc.call('POST', '/v1/blobs', { keyId: key.keyId, blob: bytes }),
        409,
      );
      expect(problem.detail).toContain(`is a blob of key ${other.keyId}, not of key ${key.keyId}`);
      expect(await svc.json<unknown[]>('GET', `/v1/keys/${key.keyId}/events`)).toEqual(keyEvents);
      expect(await svc.json<unknown[]>('GET', `/v1/keys/${other.keyId}/events`)).toEqual(otherEvents);
      expect(await svc.json<KeyJson>('GET', `/v1/keys/${key.keyId}`)).toEqual(view);
      expect((await svc.json<{ status: string }>('GET', `/v1/blobs/${otherBlob}`)).status).toBe('current');
      expect((await svc.json<{ status: string }>('GET', `/v1/blobs/${keyBlob}`)).status).toBe('current');
    });

    it('a path sha256 that is not hex: 400 naming sha256', async () => {
      await refused({ method: 'GET', path: `/v1/blobs/${'zz'.repeat(32)}`, status: 400, detail: /sha256/ });
    });
  });

  describe('bodies nested deeper than the limit, on every POST, PUT and PATCH route of the OpenAPI document', () => {
    /** Valid JSON, far under the 1 MiB limit, that used to overflow the stack in class-transformer. */
    const bodies: [string, string][] = [
      ['5,000 levels of [', `${'['.repeat(5000)}${']'.repeat(5000)}`],
      ['5,000 levels of {"a":', `${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}`],
      ['5,000 unclosed [', '['.repeat(5000)],
    ];

    /** Each POST, PUT and PATCH operation of /docs-json, its parameters filled with ids the service knows. */
    async function bodyRoutes(): Promise<{ method: string; path: string }[]> {
      const document = (await (await fetch(`${svc.url}/docs-json`)).json()) as {
        paths: Record<string, Record<string, unknown>>;
      };
      const values: Record<string, string> = {
        keyId: key.keyId,
        hsm: 'hsm-x',
        id: domainId,
        sha256: keyBlob,
      };
      return Object.entries(document.paths).flatMap(([template, operations]) =>
        ['post', 'put', 'patch']
          .filter((method) => method in operations)
          .map((method) => ({
            method: method.toUpperCase(),
            path: template.replace(/\{([^}]+)\}/g, (_, name: string) => values[name] ?? 'hsm-x'),
          })),
      );
    }

    it.each(bodies)('%s: 400 body-too-deep naming the limit, the ledger unchanged', async (_label, body) => {
      const routes = await bodyRoutes();
      expect(routes.map((r) => `${r.method} ${r.path}`)).toEqual(
        expect.arrayContaining([
          'POST /v1/hsms',
          'POST /v1/keys',
          `POST /v1/keys/${key.keyId}/sign`,
          'POST /v1/blobs',
          'POST /v1/operators',
          `PATCH /v1/operators/${domainId}`,
          'PUT /v1/policy',
        ]),
      );
      for (const { method, path: p } of routes) {
        const problem = await refused({ method, path: p, body, status: 400, detail: /32 levels/ });
        expect({ route: `${method} ${p}`, type: problem.type }).toEqual({
          route: `${method} ${p}`,
          type: 'https://keyledger.dev/problems/body-too-deep',
        });
      }
      // The service still answers a request that is well-formed.
      const signed = await svc.json<{ signature: string }>('POST', `/v1/keys/${key.keyId}/sign`, {
        data: 'aGVsbG8=',
      });
      expect(signed.signature).toEqual(expect.any(String));
    });

    it('32 levels are still read (and refused by the DTO, not by the depth limit)', async () => {
      const problem = await refused({
        method: 'POST',
        path: `/v1/keys/${key.keyId}/raw-export`,
        body: `{"hsm":${'['.repeat(31)}${']'.repeat(31)}}`,
        status: 400,
        detail: /hsm/,
      });
      expect(problem.type).toBe('https://keyledger.dev/problems/validation-failed');
    });
  });

  describe('HSM registration at an endpoint that is not an HSM answers the failure class only', () => {
    const listening: net.Server[] = [];
    let closedPort: number;
    let closerPort: number;
    let garbagePort: number;
    const listen = async (onConnection: (socket: net.Socket) => void): Promise<number> => {
      const server = net.createServer(onConnection);
      listening.push(server);
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      return (server.address() as net.AddressInfo).port;
    };

    beforeAll(async () => {
      // A port nothing listens on: bound once, then closed.
      const gone = net.createServer();
      await new Promise<void>((resolve) => gone.listen(0, '127.0.0.1', resolve));
      closedPort = (gone.address() as net.AddressInfo).port;
      await new Promise((resolve) => gone.close(resolve));
      // A service that accepts and hangs up, and one that answers 20 KiB without a SLIP frame end.
      closerPort = await listen((socket) => socket.destroy());
      garbagePort = await listen((socket) => {
        socket.on('error', () => undefined);
        socket.once('data', () => socket.write(Buffer.alloc(20_000, 0x41)));
      });
    });
    afterAll(async () => {
      await Promise.all(listening.map((server) => new Promise((resolve) => server.close(resolve))));
    });

    const cases: [string, string, () => string, RegExp][] = [
      [
        'a closed loopback port',
        'hsm-transport-error',
        () => `tcp://127.0.0.1:${closedPort}`,
        /could not be reached/,
      ],
      [
        'a TCP server that hangs up',
        'hsm-transport-error',
        () => `tcp://127.0.0.1:${closerPort}`,
        /could not be reached/,
      ],
      [
        'a TCP server that answers garbage',
        'hsm-protocol-error',
        () => `tcp://127.0.0.1:${garbagePort}`,
        /did not speak the libhal RPC protocol/,
      ],
      [
        'a Unix socket that does not exist',
        'hsm-transport-error',
        () => `unix:${path.join(hsmDir, 'no-such.sock')}`,
        /could not be reached/,
      ],
    ];
    it.each(cases)(
      '%s: 502 %s, no errno or address, the detail in the log',
      async (_label, type, endpoint, detail) => {
        const sent = endpoint();
        const pin = `pin-${randomBytes(8).toString('hex')}`;
        const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
        let problem: Record<string, unknown> & { detail: string };
        let logged: string;
        try {
          problem = await refused({
            method: 'POST',
            path: '/v1/hsms',
            body: { name: 'not-an-hsm', endpoint: sent, pin },
            status: 502,
            detail,
          });
          logged = warn.mock.calls.map((call) => String(call[0])).join('\n');
        } finally {
          warn.mockRestore();
        }
        expect(problem.type).toBe(`https://keyledger.dev/problems/${type}`);
        const answered = JSON.stringify(problem);
        // No errno code, no address or port (not even the ones sent), no connection label.
        expect(answered).not.toMatch(/\bE[A-Z]{3,}\b|127\.0\.0\.1|#\d/);
        expect(answered).not.toContain(sent.replace(/^\w+:(\/\/)?/, ''));
        expect(answered).not.toContain(pin);
        // The service log keeps what happened, without the PIN.
        expect(logged).toContain(`registering not-an-hsm at ${sent} failed:`);
        expect(logged).not.toContain(pin);
        expect((await svc.call('GET', '/v1/hsms/not-an-hsm')).status).toBe(404);
      },
    );

    it('the errno is in the log for a closed port', async () => {
      const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
      try {
        await svc.call('POST', '/v1/hsms', {
          name: 'not-an-hsm',
          endpoint: `tcp://127.0.0.1:${closedPort}`,
          pin: 'x'.repeat(8),
        });
        expect(warn.mock.calls.map((call) => String(call[0])).join('\n')).toContain('ECONNREFUSED');
      } finally {
        warn.mockRestore();
      }
    });

    it('a wrong PIN at a real HSM: 502 hsm-error PIN_INCORRECT, naming no address', async () => {
      const problem = await refused({
        method: 'POST',
        path: '/v1/hsms',
        body: { name: 'wrong-pin', endpoint: outsider.endpoint, pin: 'not-the-pin-4711' },
        status: 502,
        detail: /PIN_INCORRECT/,
      });
      expect(problem).toEqual(
        expect.objectContaining({
          type: 'https://keyledger.dev/problems/hsm-error',
          hsmStatus: 'PIN_INCORRECT',
        }),
      );
      expect(JSON.stringify(problem)).not.toMatch(/4711|\.sock|#\d/);
    });

    it.each(['0', '99999'])('a TCP port %s: 422 naming the endpoint, not a 500', async (port) => {
      await refused({
        method: 'POST',
        path: '/v1/hsms',
        body: { name: 'not-an-hsm', endpoint: `tcp://127.0.0.1:${port}`, pin: 'x'.repeat(8) },
        status: 422,
        detail: /"endpoint"/,
      });
    });
  });
});
