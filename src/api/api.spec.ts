/**
 * The HTTP layer alone: auth, validation, problem+json mapping and base64, over a real socket, with
 * test-double handlers behind the command and query buses (the custody use cases have their own
 * specs; the e2e suites in test/api run the real ones).
 */
import 'reflect-metadata';
import { Module } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadConfig } from '../app/config';
import {
  PresentBlobCommand,
  RawImportCommand,
  RegisterHsmCommand,
  SignCommand,
} from '../app/custody/custody.commands';
import { GetKeyQuery } from '../app/custody/custody.queries';
import type { HsmView, KeyView, PresentBlobResult, RegisterHsmInput, SignResult } from '../app/custody/views';
import { CustodyInvalidInput, CustodyNotFound } from '../app/custody/errors';
import { LedgerModule } from '../app/ledger.module';
import { KeyNotFound, StaleBlob } from '../domain/key';
import { openSqliteEventStore } from '../event-store/sqlite-event-store';
import { HalStatus, halError } from '../hsm-adapter/errors';
import { ApiModule } from './api.module';
import { CommandHandler, CqrsModule, QueryHandler } from '@nestjs/cqrs';
import { configureHttp, createHttpAdapter, httpTimeouts } from './http';
import { AuthenticateDouble, TOKENS } from '../../test/support/authenticate-double';

const TOKEN = TOKENS.officer;
const KEY_ID = '5b0c9a4e-7d1f-4c2a-9e3b-1a2b3c4d5e6f';

const keyView: KeyView = {
  keyId: KEY_ID,
  type: 'ec',
  state: 'active',
  label: null,
  params: { curve: 'P-256' },
  publicKey: Buffer.from([0x30, 0x59, 0x30]),
  holders: [],
  blobs: [],
  currentBlob: null,
  openOperations: [],
  obligations: [],
  pinned: false,
};

/** Only what these specs dispatch; each test sets the behaviour it needs. */
const custody = {
  getKey: jest.fn<Promise<KeyView>, [string]>(),
  sign: jest.fn<Promise<SignResult>, [string, { data: Buffer; hsm?: string }]>(),
  rawImport: jest.fn<
    Promise<{ hsm: string; hsmKeyName: string; blobSha256: string }>,
    [string, { hsm: string; blobSha256?: string }]
  >(),
  presentBlob: jest.fn<Promise<PresentBlobResult>, [{ keyId: string; blob: Buffer }]>(),
  registerHsm: jest.fn<Promise<HsmView>, [RegisterHsmInput]>(),
};

// The controllers dispatch on the CQRS buses; these handlers answer with the double.
@QueryHandler(GetKeyQuery)
class GetKeyDouble {
  execute(q: GetKeyQuery) {
    return custody.getKey(q.keyId);
  }
}
@CommandHandler(SignCommand)
class SignDouble {
  execute(c: SignCommand) {
    return custody.sign(c.keyId, c.input);
  }
}
@CommandHandler(RawImportCommand)
class RawImportDouble {
  execute(c: RawImportCommand) {
    return custody.rawImport(c.keyId, c.input);
  }
}
@CommandHandler(PresentBlobCommand)
class PresentBlobDouble {
  execute(c: PresentBlobCommand) {
    return custody.presentBlob(c.input);
  }
}
@CommandHandler(RegisterHsmCommand)
class RegisterHsmDouble {
  execute(c: RegisterHsmCommand) {
    return custody.registerHsm(c.input);
  }
}

@Module({
  imports: [CqrsModule.forRoot()],
  providers: [
    GetKeyDouble,
    SignDouble,
    RawImportDouble,
    PresentBlobDouble,
    RegisterHsmDouble,
    AuthenticateDouble,
  ],
  exports: [CqrsModule],
})
class FakeCustodyModule {}

describe('REST API over a custody test double', () => {
  let dataDir: string;
  let app: NestFastifyApplication;
  let url: string;
  const auth = { authorization: `Bearer ${TOKEN}` };
  const post = (p: string, body: unknown, headers: Record<string, string> = auth) =>
    fetch(`${url}${p}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });

  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'keyledger-api-'));
    const config = loadConfig({ KEYLEDGER_DATA_DIR: dataDir, KEYLEDGER_PORT: '0' });
    const store = await openSqliteEventStore(dataDir);
    const moduleRef = await Test.createTestingModule({
      imports: [LedgerModule.forRoot(config, store), ApiModule.forRoot({ custody: FakeCustodyModule })],
    }).compile();
    app = moduleRef.createNestApplication<NestFastifyApplication>(
      createHttpAdapter(httpTimeouts(config.requestTimeoutMs)),
      {
        bodyParser: false,
        logger: false,
      },
    );
    configureHttp(app, '0.0.0');
    await app.listen(0, '127.0.0.1');
    url = await app.getUrl();
    url = url.replace('[::1]', '127.0.0.1');
  });

  afterAll(async () => {
    await app.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  beforeEach(() => jest.resetAllMocks());

  async function expectProblem(response: Response, status: number): Promise<Record<string, unknown>> {
    expect(response.status).toBe(status);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toEqual(
      expect.objectContaining({
        status,
        type: expect.any(String),
        title: expect.any(String),
        detail: expect.any(String),
        instance: expect.any(String),
      }),
    );
    return body;
  }

  describe('authentication', () => {
    it('refuses a request without a token with 401 problem+json and a Bearer challenge', async () => {
      const response = await fetch(`${url}/v1/keys/${KEY_ID}`);
      const body = await expectProblem(response, 401);
      expect(response.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect(body.instance).toBe(`/v1/keys/${KEY_ID}`);
      expect(custody.getKey).not.toHaveBeenCalled();
    });

    it('refuses a wrong token, and a token without the Bearer scheme', async () => {
      await expectProblem(
        await fetch(`${url}/v1/keys/${KEY_ID}`, { headers: { authorization: `Bearer ${TOKEN}x` } }),
        401,
      );
      await expectProblem(
        await fetch(`${url}/v1/keys/${KEY_ID}`, { headers: { authorization: TOKEN } }),
        401,
      );
      expect(custody.getKey).not.toHaveBeenCalled();
    });

    it('leaves /health and /docs-json public', async () => {
      expect((await fetch(`${url}/health`)).status).toBe(200);
      expect((await fetch(`${url}/docs-json`)).status).toBe(200);
      expect((await fetch(`${url}/docs`)).status).toBe(200);
    });
  });

  describe('validation', () => {
    it('answers malformed JSON with 400 and never echoes the body', async () => {
      const body = await expectProblem(await post('/v1/hsms', '{"name":"x","pin":"sekrit-pin-1234",'), 400);
      expect(body.type).toMatch(/malformed-json$/);
      expect(JSON.stringify(body)).not.toContain('sekrit');
    });

    it('lists every wrong field, and refuses unknown ones', async () => {
      const body = await expectProblem(
        await post('/v1/hsms', { name: '', endpoint: 'http://x', pin: 'sekrit-pin', extra: 1 }),
        400,
      );
      const fields = (body.errors as { field: string }[]).map((e) => e.field).sort();
      expect(fields).toEqual(['endpoint', 'extra', 'name']);
      expect(body.detail).toContain('property extra should not exist');
      expect(JSON.stringify(body)).not.toContain('sekrit');
      expect(custody.registerHsm).not.toHaveBeenCalled();
    });

    it.each([
      ['not base64 at all', 'not base64!'],
      ['missing padding', 'AAA'],
      ['non-canonical last bits', 'AB=='],
      ['URL-safe alphabet', '-_-_'],
    ])('refuses sign data that is %s with 400 naming "data"', async (_label, data) => {
      const body = await expectProblem(await post(`/v1/keys/${KEY_ID}/sign`, { data }), 400);
      expect(body.errors).toEqual([expect.objectContaining({ field: 'data' })]);
      expect(custody.sign).not.toHaveBeenCalled();
    });

    it('refuses a text/plain body with 415 naming the media type to send', async () => {
      const response = await fetch(`${url}/v1/hsms`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'text/plain' },
        body: 'name=x',
      });
      const body = await expectProblem(response, 415);
      expect(body.type).toMatch(/unsupported-media-type$/);
      expect(body.detail).toContain('application/json');
      expect(custody.registerHsm).not.toHaveBeenCalled();
    });

    it('takes a request without a body as no body, whatever Content-Type it names', async () => {
      custody.getKey.mockResolvedValue(keyView);
      const response = await fetch(`${url}/v1/keys/${KEY_ID}`, {
        headers: { ...auth, 'content-type': 'text/plain' },
      });
      expect(response.status).toBe(200);
    });

    it.each([
      [{ type: 'ec', bits: 2048 }, 'bits', 'rsa'],
      [{ type: 'rsa', curve: 'P-256' }, 'curve', 'ec'],
      [{ type: 'ec', lms: 'H10' }, 'lms', 'hashsig'],
      [{ type: 'rsa', levels: 2, lmots: 'W4' }, 'levels', 'hashsig'],
    ])('refuses a parameter of another key type (%j) with 400 naming it', async (params, field, owner) => {
      const body = await expectProblem(await post('/v1/keys', { hsm: 'hsm-a', ...params }), 400);
      expect(
        (body.errors as { field: string; messages: string[] }[]).find((e) => e.field === field)?.messages,
      ).toEqual([`${field} applies to type "${owner}" only`]);
    });

    it('refuses a malformed key id in the path with 400', async () => {
      const body = await expectProblem(
        await fetch(`${url}/v1/keys/${encodeURIComponent('../x')}`, { headers: auth }),
        400,
      );
      expect(body.errors).toEqual([expect.objectContaining({ field: 'keyId' })]);
    });

    it('takes an empty body labelled JSON as no body: 400 listing the required fields', async () => {
      const response = await fetch(`${url}/v1/hsms`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: '',
      });
      const body = await expectProblem(response, 400);
      expect((body.errors as { field: string }[]).map((e) => e.field).sort()).toEqual([
        'endpoint',
        'name',
        'pin',
      ]);
    });

    it('refuses a body in an unsupported media type with 415', async () => {
      const response = await fetch(`${url}/v1/hsms`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/xml' },
        body: '<hsm/>',
      });
      const body = await expectProblem(response, 415);
      expect(body.detail).toContain('application/json');
    });

    it('refuses a path with a broken %-encoding with 400 problem+json', async () => {
      const body = await expectProblem(await fetch(`${url}/v1/keys/%E0%A4%A`, { headers: auth }), 400);
      expect(body.type).toMatch(/malformed-path$/);
    });

    it('refuses a body over 1 MiB with 413', async () => {
      await expectProblem(await post(`/v1/keys/${KEY_ID}/sign`, { data: 'A'.repeat(1_100_000) }), 413);
    });

    it('answers an unknown route with 404 problem+json', async () => {
      await expectProblem(await fetch(`${url}/v1/nothing-here`, { headers: auth }), 404);
    });
  });

  describe('error mapping', () => {
    it('maps CustodyNotFound to 404 with its message', async () => {
      custody.getKey.mockRejectedValue(new CustodyNotFound(`key ${KEY_ID} is not in the ledger`));
      const body = await expectProblem(await fetch(`${url}/v1/keys/${KEY_ID}`, { headers: auth }), 404);
      expect(body.detail).toBe(`key ${KEY_ID} is not in the ledger`);
    });

    it('maps CustodyInvalidInput to 422', async () => {
      custody.getKey.mockRejectedValue(new CustodyInvalidInput('"bits" expected a multiple of 8'));
      const body = await expectProblem(await fetch(`${url}/v1/keys/${KEY_ID}`, { headers: auth }), 422);
      expect(body.detail).toBe('"bits" expected a multiple of 8');
    });

    it('maps a domain not-found refusal to 404 and a custody-rule refusal to 409, keeping the message', async () => {
      custody.getKey.mockRejectedValue(new KeyNotFound(KEY_ID));
      expect(
        (await expectProblem(await fetch(`${url}/v1/keys/${KEY_ID}`, { headers: auth }), 404)).type,
      ).toMatch(/key-not-found$/);
      custody.rawImport.mockRejectedValue(new StaleBlob('ab'.repeat(32), 'blob abab… is consumed by hsm-b'));
      const body = await expectProblem(await post(`/v1/keys/${KEY_ID}/raw-import`, { hsm: 'hsm-a' }), 409);
      expect(body.detail).toBe('blob abab… is consumed by hsm-b; importing it would reuse hashsig state');
      expect(body.type).toMatch(/stale-blob$/);
    });

    it('maps an HSM status error to 502 with the status name', async () => {
      custody.sign.mockRejectedValue(halError(HalStatus.PIN_INCORRECT, 'LOGIN'));
      const body = await expectProblem(await post(`/v1/keys/${KEY_ID}/sign`, { data: 'aGVsbG8=' }), 502);
      expect(body.hsmStatus).toBe('PIN_INCORRECT');
      expect(body.detail).toContain('PIN_INCORRECT');
    });

    it('maps anything else to 500 without internals', async () => {
      custody.getKey.mockRejectedValue(new Error('sqlite says /secret/path is broken'));
      const body = await expectProblem(await fetch(`${url}/v1/keys/${KEY_ID}`, { headers: auth }), 500);
      expect(JSON.stringify(body)).not.toContain('/secret/path');
    });
  });

  describe('bodies and binary fields', () => {
    it('encodes the public key of a key view as base64', async () => {
      custody.getKey.mockResolvedValue(keyView);
      const response = await fetch(`${url}/v1/keys/${KEY_ID}`, { headers: auth });
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual(expect.objectContaining({ keyId: KEY_ID, publicKey: 'MFkw' }));
    });

    it('decodes sign data and encodes the signature as base64', async () => {
      custody.sign.mockResolvedValue({ signature: Buffer.from('sig'), hsm: 'hsm-a' });
      const response = await post(`/v1/keys/${KEY_ID}/sign`, { data: 'aGVsbG8=', hsm: 'hsm-a' });
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({
        signature: Buffer.from('sig').toString('base64'),
        hsm: 'hsm-a',
      });
      expect(custody.sign).toHaveBeenCalledWith(KEY_ID, { data: Buffer.from('hello'), hsm: 'hsm-a' });
    });

    it('answers a refused blob with 409 naming the current blob and its holder', async () => {
      const current = 'cd'.repeat(32);
      custody.presentBlob.mockResolvedValue({
        sha256: 'ab'.repeat(32),
        keyId: KEY_ID,
        accepted: false,
        reason: 'blob abab… is superseded by cdcd…',
        currentBlob: current,
        currentHolder: 'hsm-b',
      });
      const body = await expectProblem(await post('/v1/blobs', { keyId: KEY_ID, blob: 'AAECAw==' }), 409);
      expect(body).toEqual(expect.objectContaining({ currentBlob: current, currentHolder: 'hsm-b' }));
      expect(body.detail).toContain(current);
      expect(body.detail).not.toContain('AAECAw==');
    });

    it('names a current blob that holds the copy itself once, not as its own holder', async () => {
      const current = 'cd'.repeat(32);
      custody.presentBlob.mockResolvedValue({
        sha256: 'ab'.repeat(32),
        keyId: KEY_ID,
        accepted: false,
        reason: 'blob abab… is superseded by cdcd…',
        currentBlob: current,
        currentHolder: `blob ${current}`,
      });
      const body = await expectProblem(await post('/v1/blobs', { keyId: KEY_ID, blob: 'AAECAw==' }), 409);
      expect(body.detail).toContain(`The current blob is ${current}; it holds the copy.`);
      expect(String(body.detail).split(current)).toHaveLength(2);
    });

    it('never returns the PIN of a registered HSM', async () => {
      custody.registerHsm.mockImplementation(async (input) => ({
        hsmId: 'h1',
        name: input.name,
        endpoint: input.endpoint,
        kekDomainId: null,
        capacity: 100,
        status: 'active',
        residentKeys: 0,
        registeredAt: '2026-03-01T00:00:00.000Z',
      }));
      const response = await post('/v1/hsms', {
        name: 'hsm-c',
        endpoint: 'unix:/tmp/x.sock',
        pin: 'sekrit-pin',
      });
      expect(response.status).toBe(201);
      expect(await response.text()).not.toContain('sekrit');
      expect(custody.registerHsm).toHaveBeenCalledWith({
        name: 'hsm-c',
        endpoint: 'unix:/tmp/x.sock',
        pin: 'sekrit-pin',
      });
    });
  });
});
