/**
 * The custody API against the running service with the demo soft HSMs on Unix sockets: auth,
 * bad input (ledger unchanged), and the generate / sign / raw-export / raw-import paths with
 * signatures verified by node:crypto and the RFC 8554 verifier.
 */
import { createHash, createPublicKey, randomBytes, verify } from 'node:crypto';
import * as path from 'node:path';
import { createSoftHsmState, startSoftHsmServer, type SoftHsmServer } from '../../src/soft-hsm';
import { rfc8554Verify } from '../hashsig/rfc8554-verify';
import { expectProblem, startService, type KeyJson, type Service } from './support/service';

const b64 = (bytes: Buffer) => bytes.toString('base64');

function verifyClassic(key: KeyJson, data: Buffer, signature: Buffer): boolean {
  const publicKey = createPublicKey({
    key: Buffer.from(key.publicKey, 'base64'),
    format: 'der',
    type: 'spki',
  });
  return key.type === 'ec'
    ? verify('sha256', data, { key: publicKey, dsaEncoding: 'ieee-p1363' }, signature)
    : verify('sha256', data, publicKey, signature);
}

describe('custody API (service with demo HSMs)', () => {
  let svc: Service;
  let ec: KeyJson;

  beforeAll(async () => {
    svc = await startService();
    ec = await svc.json<KeyJson>('POST', '/v1/keys', { hsm: 'hsm-a', type: 'ec', label: 'e2e' });
  }, 60_000);

  afterAll(async () => {
    await svc?.close();
  });

  describe('authentication', () => {
    it.each([
      ['no token', false as const],
      ['a wrong token', 'not-the-token-0123456789'],
    ])('answers %s with 401 problem+json', async (_label, auth) => {
      const body = await expectProblem(await svc.call('GET', '/v1/keys', undefined, { auth }), 401);
      expect(body.detail).toMatch(/bearer|token/i);
    });

    it('serves /health and the API docs without a token', async () => {
      expect((await svc.call('GET', '/health', undefined, { auth: false })).status).toBe(200);
      expect((await svc.call('GET', '/docs', undefined, { auth: false })).status).toBe(200);
    });
  });

  describe('demo HSMs', () => {
    it('registers hsm-a and hsm-b in one KEK domain', async () => {
      const hsms = await svc.json<{ name: string; kekDomainId: string | null; status: string }[]>(
        'GET',
        '/v1/hsms',
      );
      expect(hsms.map((h) => h.name).sort()).toEqual(['hsm-a', 'hsm-b']);
      expect(hsms[0].kekDomainId).not.toBeNull();
      expect(hsms[1].kekDomainId).toBe(hsms[0].kekDomainId);
      expect(JSON.stringify(hsms)).not.toMatch(/"pin"/);
    });
  });

  describe('bad input leaves the ledger unchanged', () => {
    let before: number;
    beforeEach(async () => {
      before = await svc.position();
    });
    afterEach(async () => {
      expect(await svc.position()).toBe(before);
    });

    it.each([
      ['a missing type', { hsm: 'hsm-a' }, 'type'],
      ['an unknown type', { hsm: 'hsm-a', type: 'dsa' }, 'type'],
      ['an unknown field', { hsm: 'hsm-a', type: 'ec', colour: 'red' }, 'colour'],
      ['a non-integer bits', { hsm: 'hsm-a', type: 'rsa', bits: '2048' }, 'bits'],
      ['a bad curve', { hsm: 'hsm-a', type: 'ec', curve: 'P-255' }, 'curve'],
    ])('POST /v1/keys with %s: 400 naming the field', async (_label, body, field) => {
      const problem = await expectProblem(await svc.call('POST', '/v1/keys', body), 400);
      expect((problem.errors as { field: string }[]).map((e) => e.field)).toContain(field);
      expect(problem.detail).toContain(field);
    });

    it('malformed JSON: 400', async () => {
      await expectProblem(await svc.call('POST', '/v1/keys', '{"hsm": "hsm-a", "type": '), 400);
    });

    it('sign data that is not strict base64: 400 naming "data"', async () => {
      const problem = await expectProblem(
        await svc.call('POST', `/v1/keys/${ec.keyId}/sign`, { data: 'aGVsbG8' }),
        400,
      );
      expect(problem.detail).toContain('data');
    });

    it('an unknown key: 404 naming it', async () => {
      const unknown = '00000000-0000-4000-8000-000000000000';
      const problem = await expectProblem(await svc.call('GET', `/v1/keys/${unknown}`), 404);
      expect(problem.detail).toContain(unknown);
      await expectProblem(await svc.call('POST', `/v1/keys/${unknown}/sign`, { data: 'aGVsbG8=' }), 404);
    });

    it('an unknown HSM: 404 naming it', async () => {
      const problem = await expectProblem(
        await svc.call('POST', '/v1/keys', { hsm: 'hsm-zz', type: 'ec' }),
        404,
      );
      expect(problem.detail).toContain('hsm-zz');
    });

    it('an unknown blob: 404', async () => {
      await expectProblem(await svc.call('GET', `/v1/blobs/${'ab'.repeat(32)}`), 404);
    });
  });

  describe('generate, sign, raw-export, raw-import', () => {
    it.each([
      ['ec', { type: 'ec', curve: 'P-256' }],
      ['ec P-384', { type: 'ec', curve: 'P-384' }],
      ['rsa', { type: 'rsa', bits: 2048 }],
    ])('%s: signs on hsm-a; the signature verifies with node:crypto', async (_label, params) => {
      const created = await svc.call('POST', '/v1/keys', { hsm: 'hsm-a', ...params });
      expect(created.status).toBe(201);
      const key = (await created.json()) as KeyJson;
      expect(key).toEqual(
        expect.objectContaining({
          keyId: expect.any(String),
          type: params.type,
          state: 'active',
          publicKey: expect.any(String),
        }),
      );
      const data = randomBytes(100);
      const signed = await svc.json<{ signature: string; hsm: string }>(
        'POST',
        `/v1/keys/${key.keyId}/sign`,
        { data: b64(data) },
      );
      expect(signed.hsm).toBe('hsm-a');
      expect(verifyClassic(key, data, Buffer.from(signed.signature, 'base64'))).toBe(true);
    });

    it('hashsig: returns the RFC 8554 public key; signatures verify and carry increasing q', async () => {
      const key = await svc.json<KeyJson>('POST', '/v1/keys', {
        hsm: 'hsm-a',
        type: 'hashsig',
        levels: 1,
        lms: 'H5',
        lmots: 'W8',
      });
      expect(key.publicKeyRfc8554).toBeDefined();
      const pub = Buffer.from(key.publicKeyRfc8554!, 'base64');
      const qs: number[] = [];
      for (let i = 0; i < 2; i++) {
        const data = randomBytes(32);
        const signed = await svc.json<{ signature: string; q?: number }>(
          'POST',
          `/v1/keys/${key.keyId}/sign`,
          { data: b64(data) },
        );
        expect(rfc8554Verify(pub, data, Buffer.from(signed.signature, 'base64'))).toBe(true);
        qs.push(signed.q!);
      }
      expect(qs[1]).toBeGreaterThan(qs[0]);
      const after = await svc.json<KeyJson>('GET', `/v1/keys/${key.keyId}`);
      expect(after.hashsig).toEqual(expect.objectContaining({ signatures: 2, lastIndex: qs[1] }));
    });

    it('ec: raw-export from hsm-a, delete, raw-import on hsm-b, sign with the same public key; the events show each move', async () => {
      const key = await svc.json<KeyJson>('POST', '/v1/keys', { hsm: 'hsm-a', type: 'ec' });
      const { blobSha256 } = await svc.json<{ blobSha256: string }>(
        'POST',
        `/v1/keys/${key.keyId}/raw-export`,
        { hsm: 'hsm-a' },
      );
      expect(blobSha256).toMatch(/^[0-9a-f]{64}$/);

      const blob = await svc.json<{ sha256: string; keyId: string; status: string; blob: string }>(
        'GET',
        `/v1/blobs/${blobSha256}`,
      );
      expect(blob).toEqual({
        sha256: blobSha256,
        keyId: key.keyId,
        status: 'current',
        blob: expect.any(String),
      });
      expect(createHash('sha256').update(Buffer.from(blob.blob, 'base64')).digest('hex')).toBe(blobSha256);

      await svc.json('DELETE', `/v1/keys/${key.keyId}/residency/hsm-a`);
      const away = await svc.json<KeyJson>('GET', `/v1/keys/${key.keyId}`);
      expect(away.holders).toEqual([expect.objectContaining({ kind: 'blob', blobSha256 })]);
      expect(away.currentBlob).toBe(blobSha256);

      const imported = await svc.json<{ hsm: string; blobSha256: string }>(
        'POST',
        `/v1/keys/${key.keyId}/raw-import`,
        { hsm: 'hsm-b' },
      );
      expect(imported).toEqual(expect.objectContaining({ hsm: 'hsm-b', blobSha256 }));
      const data = randomBytes(64);
      const signed = await svc.json<{ signature: string; hsm: string }>(
        'POST',
        `/v1/keys/${key.keyId}/sign`,
        { data: b64(data) },
      );
      expect(signed.hsm).toBe('hsm-b');
      expect(verifyClassic(key, data, Buffer.from(signed.signature, 'base64'))).toBe(true);

      const events = await svc.json<{ type: string; data: { hsmId?: string } }[]>(
        'GET',
        `/v1/keys/${key.keyId}/events`,
      );
      const moves = events.map((e) => e.type).filter((t) => !t.endsWith('Started'));
      expect(moves).toEqual(['KeyGenerated', 'KeyRawExported', 'KeyDeletedFromHsm', 'KeyRawImported']);
    });

    it('destroy: the key is destroyed and its blob, kept in the ledger, is no longer served (404)', async () => {
      const key = await svc.json<KeyJson>('POST', '/v1/keys', { hsm: 'hsm-a', type: 'ec' });
      const { blobSha256 } = await svc.json<{ blobSha256: string }>(
        'POST',
        `/v1/keys/${key.keyId}/raw-export`,
        { hsm: 'hsm-a' },
      );
      expect((await svc.json<KeyJson>('DELETE', `/v1/keys/${key.keyId}`)).state).toBe('destroyed');
      const gone = await expectProblem(await svc.call('GET', `/v1/blobs/${blobSha256}`), 404);
      expect(gone.detail).toContain(`blob ${blobSha256} was destroyed with its key`);
      await expectProblem(await svc.call('POST', `/v1/keys/${key.keyId}/raw-import`, { hsm: 'hsm-b' }), 409);
    });

    it('reads its own writes from the residency read model', async () => {
      const key = await svc.json<KeyJson>('POST', '/v1/keys', { hsm: 'hsm-b', type: 'ec' });
      const residency = await svc.json<{
        hsm: string;
        count: number;
        keys: Record<string, { status: string }>;
      }>('GET', '/v1/hsms/hsm-b/keys');
      expect(residency.hsm).toBe('hsm-b');
      expect(residency.keys[key.keyId]).toEqual(expect.objectContaining({ status: 'live' }));
      await svc.json('POST', `/v1/keys/${key.keyId}/raw-export`, { hsm: 'hsm-b' });
      await svc.json('DELETE', `/v1/keys/${key.keyId}/residency/hsm-b`);
      const after = await svc.json<{ count: number; keys: Record<string, unknown> }>(
        'GET',
        '/v1/hsms/hsm-b/keys',
      );
      expect(after.keys[key.keyId]).toBeUndefined();
      expect(after.count).toBe(residency.count - 1);
    });

    it('refuses importing a blob of another key, and a handed-in blob of random bytes, leaving the key unchanged', async () => {
      const other = await svc.json<KeyJson>('POST', '/v1/keys', { hsm: 'hsm-a', type: 'ec' });
      const { blobSha256: otherBlob } = await svc.json<{ blobSha256: string }>(
        'POST',
        `/v1/keys/${other.keyId}/raw-export`,
        { hsm: 'hsm-a' },
      );
      const before = await svc.position();
      const problem = await expectProblem(
        await svc.call('POST', `/v1/keys/${ec.keyId}/raw-import`, { hsm: 'hsm-b', blobSha256: otherBlob }),
        404,
      );
      expect(problem.detail).toContain(otherBlob.slice(0, 8));
      expect(problem.detail).toContain(`not a blob of key ${ec.keyId}`);
      expect(await svc.position()).toBe(before);

      const eventsBefore = await svc.json<unknown[]>('GET', `/v1/keys/${ec.keyId}/events`);
      const random = randomBytes(200);
      const refused = await svc.call('POST', '/v1/blobs', { keyId: ec.keyId, blob: b64(random) });
      expect(refused.status).toBeGreaterThanOrEqual(400);
      expect(refused.status).toBeLessThan(500);
      const body = await expectProblem(refused, refused.status);
      expect(body.detail).not.toContain(b64(random));
      expect(await svc.json<unknown[]>('GET', `/v1/keys/${ec.keyId}/events`)).toEqual(eventsBefore);
    });
  });

  describe('an HSM outside the demo KEK domain', () => {
    let outsider: SoftHsmServer;
    let keyId: string;

    beforeAll(async () => {
      const stateDir = path.join(svc.dataDir, 'hsm-c');
      createSoftHsmState(stateDir, { pin: 'outsider-pin' });
      outsider = await startSoftHsmServer({
        stateDir,
        socketPath: path.join(svc.dataDir, 'c.sock'),
        pinDelayMs: 0,
      });
      const registered = await svc.call('POST', '/v1/hsms', {
        name: 'hsm-c',
        endpoint: `unix:${path.join(svc.dataDir, 'c.sock')}`,
        pin: 'outsider-pin',
      });
      expect(registered.status).toBe(201);
      expect(await registered.text()).not.toContain('outsider-pin');
      const key = await svc.json<KeyJson>('POST', '/v1/keys', { hsm: 'hsm-a', type: 'ec' });
      keyId = key.keyId;
      await svc.json('POST', `/v1/keys/${keyId}/raw-export`, { hsm: 'hsm-a' });
    });

    afterAll(async () => {
      await outsider?.close();
    });

    it('refuses a raw import onto an HSM in no KEK domain, and onto one in another domain, with 409; the ledger is unchanged', async () => {
      let before = await svc.position();
      const none = await expectProblem(
        await svc.call('POST', `/v1/keys/${keyId}/raw-import`, { hsm: 'hsm-c' }),
        409,
      );
      expect(none.detail).toMatch(/KEK domain/i);
      expect(await svc.position()).toBe(before);

      await svc.json('POST', '/v1/kek-domains', { name: 'outside', hsm: 'hsm-c' });
      before = await svc.position();
      const wrong = await expectProblem(
        await svc.call('POST', `/v1/keys/${keyId}/raw-import`, { hsm: 'hsm-c' }),
        409,
      );
      expect(wrong.detail).toMatch(/KEK domain/i);
      expect(await svc.position()).toBe(before);
    });
  });

  describe('OpenAPI', () => {
    it('/docs-json documents every resource of the API', async () => {
      const doc = (await (await svc.call('GET', '/docs-json', undefined, { auth: false })).json()) as {
        paths: Record<string, Record<string, unknown>>;
      };
      const expected: [string, string][] = [
        ['/health', 'get'],
        ['/v1/hsms', 'get'],
        ['/v1/hsms', 'post'],
        ['/v1/keys', 'post'],
        ['/v1/keys', 'get'],
        ['/v1/keys/{keyId}', 'get'],
        ['/v1/keys/{keyId}', 'delete'],
        ['/v1/keys/{keyId}/events', 'get'],
        ['/v1/keys/{keyId}/raw-export', 'post'],
        ['/v1/keys/{keyId}/raw-import', 'post'],
        ['/v1/keys/{keyId}/transfer', 'post'],
        ['/v1/keys/{keyId}/sign', 'post'],
        ['/v1/blobs/{sha256}', 'get'],
        ['/v1/blobs', 'post'],
        ['/v1/kek-domains', 'post'],
        ['/v1/kek-domains/{id}/members', 'post'],
        ['/v1/hsms/{hsm}/zeroized', 'post'],
        ['/v1/hsms/{hsm}/reconcile', 'post'],
        ['/v1/keys/{keyId}/residency/{hsm}', 'delete'],
        ['/v1/hsms/{hsm}/keys', 'get'],
      ];
      for (const [p, method] of expected)
        expect({ path: p, method, documented: doc.paths[p]?.[method] !== undefined }).toEqual({
          path: p,
          method,
          documented: true,
        });
    });
  });
});
