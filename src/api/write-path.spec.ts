/**
 * One write path (docs/architecture.md §1): every route that changes state dispatches exactly one
 * custody command on the CommandBus (the sign batch one per item, the same command as the single
 * sign), and every other route only queries. The routes are taken
 * from the OpenAPI document the service serves, so a new route that is not in the table below
 * fails this spec. Handlers here are recording doubles; the real ones run in test/api and test/e2e.
 */
import 'reflect-metadata';
import { Module, type Type } from '@nestjs/common';
import { CommandHandler, CqrsModule, QueryHandler, type ICommand, type IQuery } from '@nestjs/cqrs';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadConfig } from '../app/config';
import * as approvals from '../app/approvals/approvals.commands';
import * as auditQueries from '../app/audit/audit.queries';
import { GatedHandler } from '../app/approvals/gate';
import { CustodyModule } from '../app/custody.module';
import * as policy from '../app/approvals/policy.commands';
import * as commands from '../app/custody/custody.commands';
import * as queries from '../app/custody/custody.queries';
import * as operators from '../app/operators/operators.commands';
import * as reports from '../app/reports/reports.queries';
import { AuthenticateDouble, TOKENS } from '../../test/support/authenticate-double';
import type { KeyView } from '../app/custody/views';
import { approval } from '../domain';
import { LedgerModule } from '../app/ledger.module';
import { openSqliteEventStore } from '../event-store/sqlite-event-store';
import { ApiModule } from './api.module';
import { configureHttp, createHttpAdapter, httpTimeouts } from './http';

const TOKEN = TOKENS.officer;
/** The metadata key @CommandHandler sets (@nestjs/cqrs does not export it). */
const COMMAND_HANDLER_METADATA = '__commandHandler__';
const KEY = '5b0c9a4e-7d1f-4c2a-9e3b-1a2b3c4d5e6f';
const SHA = 'ab'.repeat(32);

/** Every state-changing route and the command it dispatches, with a body its DTO accepts. */
const WRITE_ROUTES: Record<string, { command: Type<ICommand>; body?: unknown }> = {
  'POST /v1/hsms': {
    command: commands.RegisterHsmCommand,
    body: { name: 'h', endpoint: 'unix:/x.sock', pin: '1234' },
  },
  'POST /v1/hsms/{hsm}/zeroized': { command: commands.RecordZeroizedCommand },
  'POST /v1/hsms/{hsm}/reconcile': { command: commands.ReconcileHsmCommand },
  'POST /v1/hsms/{hsm}/prefetch': { command: commands.PrefetchCommand, body: { keyIds: [KEY] } },
  'POST /v1/kek-domains': { command: commands.CreateKekDomainCommand, body: { name: 'd', hsm: 'h' } },
  'POST /v1/kek-domains/{id}/members': { command: commands.JoinKekDomainCommand, body: { hsm: 'h' } },
  'POST /v1/keys': { command: commands.GenerateKeyCommand, body: { hsm: 'h', type: 'ec' } },
  'POST /v1/keys/{keyId}/raw-export': { command: commands.RawExportCommand, body: { hsm: 'h' } },
  'POST /v1/keys/{keyId}/raw-import': { command: commands.RawImportCommand, body: { hsm: 'h' } },
  'POST /v1/keys/{keyId}/transfer': { command: commands.TransferKeyCommand, body: { from: 'h', to: 'g' } },
  'POST /v1/keys/{keyId}/sign': { command: commands.SignCommand, body: { data: 'aGVsbG8=' } },
  'POST /v1/keys/{keyId}/observed-signatures': {
    command: commands.ObserveSignatureCommand,
    body: { signature: 'AAAAAQ==' },
  },
  'PATCH /v1/keys/{keyId}': { command: commands.SetPinnedCommand, body: { pinned: true } },
  'POST /v1/sign': { command: commands.SignCommand, body: { items: [{ keyId: KEY, data: 'aGVsbG8=' }] } },
  'DELETE /v1/keys/{keyId}/residency/{hsm}': { command: commands.DeleteFromHsmCommand },
  'DELETE /v1/keys/{keyId}': { command: commands.DestroyKeyCommand },
  'POST /v1/blobs': { command: commands.PresentBlobCommand, body: { keyId: KEY, blob: 'AAECAw==' } },
  'POST /v1/backups/setup': { command: commands.BackupSetupCommand, body: { hsm: 'h' } },
  'POST /v1/backups/import': { command: commands.BackupImportCommand, body: { hsm: 'h', file: '{}' } },
  'POST /v1/backups/export': { command: commands.BackupExportCommand, body: { hsm: 'h', setup: '{}' } },
  'POST /v1/operators': {
    command: operators.EnrolOperatorCommand,
    body: { name: 'alice', role: 'operator' },
  },
  'PATCH /v1/operators/{id}': { command: operators.ChangeOperatorRoleCommand, body: { role: 'auditor' } },
  'POST /v1/operators/{id}/token': { command: operators.RotateOperatorTokenCommand },
  'POST /v1/operators/me/token': { command: operators.RotateOperatorTokenCommand },
  'DELETE /v1/operators/{id}': { command: operators.RevokeOperatorCommand },
  'POST /v1/approvals/{id}/approve': { command: approvals.ApproveCommand },
  'POST /v1/approvals/{id}/reject': { command: approvals.RejectCommand, body: { reason: 'no' } },
  'POST /v1/audit/verify': { command: auditQueries.VerifyLedgerCommand },
  'PUT /v1/policy': {
    command: policy.ChangePolicyCommand,
    body: { version: 1, approvals: { 'destroy-key': 2 } },
  },
};

const keyView: KeyView = {
  keyId: KEY,
  type: 'ec',
  state: 'active',
  label: null,
  params: {},
  publicKey: Buffer.from([0x30]),
  holders: [],
  blobs: [],
  currentBlob: null,
  openOperations: [],
  obligations: [],
  pinned: false,
};

/** A result each controller can render (it only re-encodes binary fields). */
function cannedResult(name: string): unknown {
  switch (name) {
    case 'SignCommand':
      return { signature: Buffer.from('sig'), hsm: 'h' };
    case 'PresentBlobCommand':
      return { sha256: SHA, keyId: KEY, accepted: true };
    case 'ObserveSignatureCommand':
      return {
        keyId: KEY,
        indexPath: [{ q: 0, I: '00'.repeat(16) }],
        signatureSha256: SHA,
        outcome: 'released',
        alarm: false,
        recorded: false,
        verified: false,
        detail: 'released',
        state: 'active',
      };
    case 'GetBlobQuery':
      return { sha256: SHA, keyId: KEY, status: 'current', blob: Buffer.from([1]) };
    case 'PrefetchCommand':
      return [{ keyId: KEY, outcome: 'paged-in', hsm: 'h' }];
    case 'BackupSetupCommand':
    case 'BackupImportCommand':
    case 'BackupExportCommand':
      return { hsm: 'h', file: '{}' };
    case 'ListKeysQuery':
    case 'ListHsmsQuery':
    case 'ListKekDomainsQuery':
    case 'KeyEventsQuery':
    case 'ListOperatorsQuery':
    case 'ListApprovalsQuery':
      return [];
    case 'EnrolOperatorCommand':
    case 'RotateOperatorTokenCommand':
      return { operator: { operatorId: 'o', name: 'alice', role: 'operator' }, token: 'klt_x' };
    case 'ApproveCommand':
      return { approval: { approvalId: 'a', status: 'pending' } };
    case 'ReportQuery':
      return {
        body: {},
        document: { report: 'inventory', asOf: { position: 0, at: null } },
        summary: [],
        tables: [{ title: 'Keys', columns: [], rows: [] }],
        name: 'inventory',
        title: 'Key inventory',
        requested: { asOf: 'head', key: null },
        head: 0,
        generatedAt: '2026-12-07T10:00:00.000Z',
      };
    case 'ChangePolicyCommand':
    case 'GetPolicyQuery':
      return { policy: approval.DEFAULT_POLICY, adoptedAt: null, changes: 0, position: null };
    default:
      return keyView;
  }
}

const dispatched: { bus: 'command' | 'query'; name: string }[] = [];

function recordingHandlers(): Type[] {
  const classes = (module: object) =>
    Object.values(module).filter(
      (v): v is Type => typeof v === 'function' && /(Command|Query)$/.test((v as { name: string }).name),
    );
  const commandClasses = [commands, operators, approvals, policy, auditQueries]
    .flatMap(classes)
    .filter((c) => /Command$/.test(c.name));
  const queryClasses = [queries, operators, approvals, policy, reports, auditQueries]
    .flatMap(classes)
    .filter((c) => /Query$/.test(c.name) && c !== operators.AuthenticateQuery);
  return [
    AuthenticateDouble,
    ...commandClasses.map((command) => {
      const handler = class {
        execute(c: ICommand) {
          dispatched.push({ bus: 'command', name: c.constructor.name });
          return cannedResult(c.constructor.name);
        }
      };
      CommandHandler(command)(handler);
      return handler;
    }),
    ...queryClasses.map((query) => {
      const handler = class {
        execute(q: IQuery) {
          dispatched.push({ bus: 'query', name: q.constructor.name });
          return cannedResult(q.constructor.name);
        }
      };
      QueryHandler(query)(handler);
      return handler;
    }),
  ];
}

describe('the one write path', () => {
  let dataDir: string;
  let app: NestFastifyApplication;
  let url: string;
  let routes: { method: string; path: string }[];

  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'keyledger-write-path-'));
    const config = loadConfig({ KEYLEDGER_DATA_DIR: dataDir, KEYLEDGER_PORT: '0' });
    const store = await openSqliteEventStore(dataDir);
    @Module({ imports: [CqrsModule.forRoot()], providers: recordingHandlers(), exports: [CqrsModule] })
    class RecordingCustodyModule {}
    const moduleRef = await Test.createTestingModule({
      imports: [LedgerModule.forRoot(config, store), ApiModule.forRoot({ custody: RecordingCustodyModule })],
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
    url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
    const document = (await (await fetch(`${url}/docs-json`)).json()) as { paths: Record<string, object> };
    routes = Object.entries(document.paths).flatMap(([p, ops]) =>
      Object.keys(ops).map((method) => ({ method: method.toUpperCase(), path: p })),
    );
  });

  afterAll(async () => {
    await app.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  beforeEach(() => (dispatched.length = 0));

  const request = (method: string, p: string, body?: unknown) =>
    fetch(
      `${url}${p.replace('{keyId}', KEY).replace('{hsm}', 'h').replace('{id}', 'd').replace('{sha256}', SHA).replace('{name}', 'inventory')}`,
      {
        method,
        headers: {
          authorization: `Bearer ${TOKEN}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      },
    );

  it('lists every state-changing route the API serves, and no route it does not serve', () => {
    const served = routes.filter((r) => r.method !== 'GET').map((r) => `${r.method} ${r.path}`);
    expect(served.sort()).toEqual(Object.keys(WRITE_ROUTES).sort());
  });

  it.each(Object.entries(WRITE_ROUTES).map(([route, r]) => [route, r.command.name, r] as const))(
    '%s dispatches %s and nothing else',
    async (route, _name, { command, body }) => {
      const [method, p] = route.split(' ');
      const response = await request(method!, p!, body);
      expect({ route, status: response.status }).toEqual({ route, status: expect.any(Number) });
      expect(response.status).toBeLessThan(300);
      expect(dispatched).toEqual([{ bus: 'command', name: command.name }]);
    },
  );

  it('signs a batch with one SignCommand per well-formed item, and dispatches nothing for a malformed one', async () => {
    const response = await request('POST', '/v1/sign', {
      items: [
        { keyId: KEY, data: 'aGVsbG8=' },
        { keyId: KEY, data: 'not base64' },
        { keyId: 'other', data: 'aGk=' },
      ],
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual(expect.objectContaining({ signed: 2, failed: 1 }));
    expect(dispatched).toEqual([
      { bus: 'command', name: 'SignCommand' },
      { bus: 'command', name: 'SignCommand' },
    ]);
  });

  it('puts the approval gate in front of every command handler the application registers', () => {
    // Every provider of the application module that @nestjs/cqrs would register as a command handler.
    const providers = (Reflect.getMetadata('providers', CustodyModule) as unknown[]).filter(
      (p): p is Type =>
        typeof p === 'function' && Reflect.getMetadata(COMMAND_HANDLER_METADATA, p) !== undefined,
    );
    const handled = new Set(providers.map((h) => Reflect.getMetadata(COMMAND_HANDLER_METADATA, h) as Type));
    // Each command a route dispatches has a handler in the application, and each handler is gated.
    expect(
      Object.values(WRITE_ROUTES)
        .filter((r) => !handled.has(r.command))
        .map((r) => r.command.name),
    ).toEqual([]);
    expect(providers.filter((h) => !(h.prototype instanceof GatedHandler)).map((h) => h.name)).toEqual([]);
  });

  it('answers every other route from the query bus alone', async () => {
    const reads = routes.filter((r) => r.method === 'GET' && r.path.startsWith('/v1/'));
    expect(reads.length).toBeGreaterThanOrEqual(9);
    // Query parameters a route requires.
    const query: Record<string, string> = {
      '/v1/audit/proof/inclusion': '?position=1',
      '/v1/audit/proof/consistency': '?from=1',
    };
    for (const { method, path: p } of reads) {
      dispatched.length = 0;
      const response = await request(method, `${p}${query[p] ?? ''}`);
      expect({ route: `${method} ${p}`, status: response.status }).toEqual({
        route: `${method} ${p}`,
        status: 200,
      });
      expect(dispatched).toEqual([{ bus: 'query', name: expect.stringMatching(/Query$/) }]);
    }
  });
});
