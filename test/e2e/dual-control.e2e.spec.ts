/**
 * Acceptance, operators and dual control (issue 9), over HTTP against the running service with the
 * documented default policy (two officer approvals for every gated action), real ledger, demo soft
 * HSMs. The first officer is the bootstrap token; two more officers are enrolled in the bootstrap
 * phase (fewer than M + 1 = 3 officers need no approval), then an operator and an auditor.
 */
import { EVENT_STORE } from '../../src/app/tokens';
import { approval } from '../../src/domain';
import type { EventStore } from '../../src/event-store';
import { ROUTE_ROLES } from '../../src/api/roles';
import { expectProblem, pool, startService, type KeyJson, type Service } from '../api/support/service';

interface OperatorJson {
  operatorId: string;
  name: string;
  role: string;
  basis: string;
  token?: string;
}

interface ApprovalJson {
  approvalId: string;
  status: string;
  action: string;
  params: Record<string, unknown>;
  requestedBy: string;
  required: number;
  approvals: { by: string; at: string }[];
  expiresAt: string;
  rejection: { by: string; reason: string } | null;
  outcome: { status: string; by: string; result?: Record<string, unknown>; reason?: string } | null;
}

interface EventJson {
  stream: string;
  type: string;
  position: number;
  data: Record<string, unknown>;
  metadata: Record<string, unknown>;
}

describe('operators, roles and M-of-N approvals (default policy)', () => {
  let svc: Service;
  /** Tokens by name: first (the bootstrap officer), bob and carol (officers), olga (operator), aude (auditor). */
  const tokens: Record<string, string> = {};
  const ids: Record<string, string> = {};

  const as = (who: string) => ({
    call: (method: string, p: string, body?: unknown) => svc.call(method, p, body, { auth: tokens[who] }),
    async json<T = Record<string, unknown>>(
      method: string,
      p: string,
      body?: unknown,
      status?: number,
    ): Promise<T> {
      const response = await svc.call(method, p, body, { auth: tokens[who] });
      const text = await response.text();
      if (status !== undefined ? response.status !== status : !response.ok)
        throw new Error(`${who}: ${method} ${p} answered ${response.status}: ${text}`);
      return JSON.parse(text) as T;
    },
  });

  const enrol = async (by: string, name: string, role: string): Promise<OperatorJson> => {
    const o = await as(by).json<OperatorJson>('POST', '/v1/operators', { name, role }, 201);
    tokens[name] = o.token!;
    ids[name] = o.operatorId;
    return o;
  };

  const newKey = async () =>
    (await as('olga').json<KeyJson>('POST', '/v1/keys', { hsm: 'hsm-a', type: 'ec' }, 201)).keyId;
  const events = (keyId: string) => as('aude').json<EventJson[]>('GET', `/v1/keys/${keyId}/events`);
  const destroyRequest = async (keyId: string, by = 'olga') =>
    as(by).json<ApprovalJson>('DELETE', `/v1/keys/${keyId}`, undefined, 202);
  const approve = (who: string, id: string) => as(who).call('POST', `/v1/approvals/${id}/approve`);

  beforeAll(async () => {
    svc = await startService({ policy: approval.DEFAULT_POLICY, prefix: 'kl-dc-' });
    tokens.first = svc.token;
    ids.first = 'first-officer';
    // The bootstrap phase: fewer than M + 1 = 3 officers, so officers are enrolled without approval.
    expect((await enrol('first', 'bob', 'officer')).basis).toBe('bootstrap-phase');
    expect((await enrol('first', 'carol', 'officer')).basis).toBe('bootstrap-phase');
    expect((await enrol('bob', 'olga', 'operator')).basis).toBe('not-gated');
    await enrol('carol', 'aude', 'auditor');
  });

  afterAll(async () => {
    await svc?.close();
  });

  describe('authentication and roles', () => {
    it('answers 401 without a token, with a malformed header and with an unknown token', async () => {
      await expectProblem(await svc.call('GET', '/v1/keys', undefined, { auth: false }), 401);
      const wrong = await svc.call('GET', '/v1/keys', undefined, { auth: 'klt_not-a-token-of-this-service' });
      expect((await expectProblem(wrong, 401)).detail).toMatch(/unknown, rotated or revoked/);
    });

    it('names each caller: GET /v1/operators/me', async () => {
      expect(await as('olga').json('GET', '/v1/operators/me')).toEqual(
        expect.objectContaining({ operatorId: ids.olga, name: 'olga', role: 'operator', status: 'active' }),
      );
      expect(await as('first').json('GET', '/v1/operators/me')).toEqual(
        expect.objectContaining({ operatorId: 'first-officer', role: 'officer', basis: 'first-officer' }),
      );
    });

    it('has a rule for every route of the OpenAPI document, and no rule for a route it does not serve', async () => {
      const doc = (await (await fetch(`${svc.url}/docs-json`)).json()) as { paths: Record<string, object> };
      const served = Object.entries(doc.paths).flatMap(([p, ops]) =>
        Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`),
      );
      expect(served.sort()).toEqual(Object.keys(ROUTE_ROLES).sort());
      // The document tells clients the role of each operation, from the same table.
      const documented = Object.entries(
        doc.paths as Record<string, Record<string, { 'x-keyledger-role'?: string; description?: string }>>,
      ).flatMap(([p, ops]) =>
        Object.entries(ops).map(([m, op]) => [`${m.toUpperCase()} ${p}`, op['x-keyledger-role']]),
      );
      expect(Object.fromEntries(documented)).toEqual(ROUTE_ROLES);
    });

    it('answers 403 naming the role needed for each role on each route it may not use, and lets the others through', async () => {
      const doc = (await (await fetch(`${svc.url}/docs-json`)).json()) as { paths: Record<string, object> };
      const routes = Object.entries(doc.paths).flatMap(([p, ops]) =>
        Object.keys(ops).map((m) => ({ method: m.toUpperCase(), path: p })),
      );
      const rank = { auditor: 0, operator: 1, officer: 2 } as const;
      const checked: string[] = [];
      for (const { method, path: template } of routes) {
        const rule = ROUTE_ROLES[`${method} ${template}`];
        // Self-rotation is open to every role; it is checked with the tokens below.
        if (rule === 'public' || template === '/v1/operators/me/token') continue;
        // Ids no one has: an allowed call is refused for other reasons (400, 404, 422), never 401/403.
        const p = template
          .replace('{keyId}', 'no-such-key')
          .replace('{hsm}', 'no-such-hsm')
          .replace('{id}', 'no-such-id')
          .replace('{sha256}', 'ab'.repeat(32));
        const body = method === 'GET' || method === 'DELETE' ? undefined : {};
        for (const role of ['auditor', 'operator', 'officer'] as const) {
          const who = { auditor: 'aude', operator: 'olga', officer: 'carol' }[role];
          const response = await as(who).call(method, p, body);
          const label = `${role} ${method} ${template}`;
          if (rank[role] < rank[rule!]) {
            const problem = await expectProblem(response, 403);
            expect({ label, requiredRole: problem.requiredRole, role: problem.role }).toEqual({
              label,
              requiredRole: rule,
              role,
            });
            expect(problem.detail).toContain(`needs the ${rule} role`);
          } else {
            await response.text();
            expect({ label, refused: [401, 403].includes(response.status) }).toEqual({
              label,
              refused: false,
            });
          }
          checked.push(label);
        }
      }
      expect(checked.length).toBeGreaterThanOrEqual(3 * 30);
    });

    it('stops a rotated-away token and a revoked one at once (401), and lets the new token in', async () => {
      const temp = await enrol('bob', 'tina', 'operator');
      const rotated = await as('tina').json<OperatorJson>('POST', '/v1/operators/me/token');
      expect(rotated.token).toMatch(/^klt_[A-Za-z0-9_-]{43}$/);
      await expectProblem(await svc.call('GET', '/v1/keys', undefined, { auth: temp.token }), 401);
      tokens.tina = rotated.token!;
      expect(await as('tina').json<OperatorJson>('GET', '/v1/operators/me')).toEqual(
        expect.objectContaining({ name: 'tina' }),
      );
      // An officer rotates someone else's token; then revokes the operator.
      const again = await as('bob').json<OperatorJson>('POST', `/v1/operators/${ids.tina}/token`);
      await expectProblem(await svc.call('GET', '/v1/keys', undefined, { auth: tokens.tina }), 401);
      tokens.tina = again.token!;
      await as('bob').json('DELETE', `/v1/operators/${ids.tina}`);
      const revoked = await svc.call('GET', '/v1/keys', undefined, { auth: tokens.tina });
      await expectProblem(revoked, 401);
    });

    it('keeps the ledger free of tokens: only their SHA-256 is recorded', async () => {
      const all = await svc.server.app.get<EventStore>(EVENT_STORE).readAll();
      const text = JSON.stringify(all);
      for (const [name, token] of Object.entries(tokens))
        expect({ name, found: text.includes(token) }).toEqual({ name, found: false });
    });
  });

  describe('a 2-of-N destroy requested by an operator', () => {
    let keyId: string;
    let request: ApprovalJson;

    beforeAll(async () => {
      keyId = await newKey();
      request = await destroyRequest(keyId);
    });

    it('answers 202 with the pending request, and nothing happens to the key', async () => {
      expect(request).toEqual(
        expect.objectContaining({
          approvalId: expect.any(String),
          status: 'pending',
          action: 'destroy-key',
          params: { keyId },
          requestedBy: ids.olga,
          required: 2,
          approvals: [],
          expiresAt: expect.any(String),
        }),
      );
      expect((await as('aude').json<KeyJson>('GET', `/v1/keys/${keyId}`)).state).toBe('active');
      expect(await as('aude').json<ApprovalJson[]>('GET', '/v1/approvals?status=pending')).toEqual(
        expect.arrayContaining([expect.objectContaining({ approvalId: request.approvalId })]),
      );
    });

    it('refuses an operator as approver (403), keeps it pending after one officer, refuses that officer twice (409)', async () => {
      const byOperator = await approve('olga', request.approvalId);
      expect((await expectProblem(byOperator, 403)).requiredRole).toBe('officer');
      const first = await as('bob').json<ApprovalJson>('POST', `/v1/approvals/${request.approvalId}/approve`);
      expect(first).toEqual(
        expect.objectContaining({ status: 'pending', approvals: [expect.objectContaining({ by: ids.bob })] }),
      );
      expect((await as('aude').json<KeyJson>('GET', `/v1/keys/${keyId}`)).state).toBe('active');
      const twice = await expectProblem(await approve('bob', request.approvalId), 409);
      expect(twice.detail).toMatch(/already approved/);
    });

    it('executes on the second approval, once; approving again or replaying the request does nothing more', async () => {
      const second = await as('carol').json<ApprovalJson>(
        'POST',
        `/v1/approvals/${request.approvalId}/approve`,
      );
      expect(second).toEqual(
        expect.objectContaining({
          status: 'executed',
          approvals: [expect.objectContaining({ by: ids.bob }), expect.objectContaining({ by: ids.carol })],
          outcome: expect.objectContaining({
            status: 'executed',
            by: ids.carol,
            result: { keyId, state: 'destroyed' },
          }),
        }),
      );
      expect((await as('aude').json<KeyJson>('GET', `/v1/keys/${keyId}`)).state).toBe('destroyed');
      const before = await events(keyId);
      expect((await expectProblem(await approve('first', request.approvalId), 409)).detail).toMatch(
        /is executed, no longer pending/,
      );
      // The replayed DELETE finds the key destroyed: nothing to approve, nothing changes.
      const replay = await as('olga').call('DELETE', `/v1/keys/${keyId}`);
      expect(replay.status).toBe(200);
      expect((await replay.json()) as KeyJson).toEqual(expect.objectContaining({ state: 'destroyed' }));
      expect(await events(keyId)).toEqual(before);
    });

    it("shows who asked, who approved and who executed, in order, in the key's events", async () => {
      const list = await events(keyId);
      const story = list.map((e) => [e.type, e.metadata.operatorId]);
      expect(story).toEqual([
        ['KeyGenerated', ids.olga],
        ['ApprovalRequested', ids.olga],
        ['ApprovalGranted', ids.bob],
        ['ApprovalGranted', ids.carol],
        ['KeyDeletedFromHsm', ids.carol],
        ['KeyDestroyed', ids.carol],
        ['ApprovalExecuted', ids.carol],
      ]);
      const destroyed = list.find((e) => e.type === 'KeyDestroyed')!;
      expect(destroyed.metadata).toEqual(
        expect.objectContaining({
          approvalId: request.approvalId,
          requestedBy: ids.olga,
          approvedBy: [ids.bob, ids.carol],
        }),
      );
      expect(list.map((e) => e.position)).toEqual([...list.map((e) => e.position)].sort((a, b) => a - b));
    });
  });

  it("refuses an officer's approval of their own request (403)", async () => {
    const keyId = await newKey();
    const own = await destroyRequest(keyId, 'carol');
    const refused = await expectProblem(await approve('carol', own.approvalId), 403);
    expect(refused.detail).toMatch(/requested approval .* and cannot approve it/);
    // Still pending, still one approval short of two.
    expect((await as('aude').json<ApprovalJson>('GET', `/v1/approvals/${own.approvalId}`)).approvals).toEqual(
      [],
    );
  });

  it('runs exactly one execution when officers approve concurrently over different connections', async () => {
    const keyId = await newKey();
    const request = await destroyRequest(keyId);
    const responses = await pool(['bob', 'carol', 'first'], 3, (who) => approve(who, request.approvalId));
    const statuses = responses.map((r) => r.status).sort();
    await Promise.all(responses.map((r) => r.text()));
    // Two approvals reach the quorum; the third finds the request settled.
    expect(statuses).toEqual([200, 200, 409]);
    const after = await as('aude').json<ApprovalJson>('GET', `/v1/approvals/${request.approvalId}`);
    expect(after.status).toBe('executed');
    expect(after.approvals).toHaveLength(2);
    const list = await events(keyId);
    expect(list.filter((e) => e.type === 'KeyDestroyed')).toHaveLength(1);
    expect(list.filter((e) => e.type === 'ApprovalExecuted')).toHaveLength(1);
  });

  it('records a request whose key was destroyed meanwhile as failed, with the reason', async () => {
    const keyId = await newKey();
    const first = await destroyRequest(keyId);
    const second = await destroyRequest(keyId);
    await as('bob').json('POST', `/v1/approvals/${second.approvalId}/approve`);
    expect(
      (await as('carol').json<ApprovalJson>('POST', `/v1/approvals/${second.approvalId}/approve`)).status,
    ).toBe('executed');
    await as('bob').json('POST', `/v1/approvals/${first.approvalId}/approve`);
    const failed = await as('carol').json<ApprovalJson>('POST', `/v1/approvals/${first.approvalId}/approve`);
    expect(failed).toEqual(
      expect.objectContaining({
        status: 'failed',
        outcome: expect.objectContaining({
          status: 'failed',
          reason: expect.stringMatching(/key .* was destroyed meanwhile/),
        }),
      }),
    );
  });

  it('makes a rejection final', async () => {
    const keyId = await newKey();
    const request = await destroyRequest(keyId);
    const rejected = await as('bob').json<ApprovalJson>(
      'POST',
      `/v1/approvals/${request.approvalId}/reject`,
      { reason: 'still in use' },
    );
    expect(rejected).toEqual(
      expect.objectContaining({
        status: 'rejected',
        rejection: expect.objectContaining({ by: ids.bob, reason: 'still in use' }),
      }),
    );
    await expectProblem(await approve('carol', request.approvalId), 409);
    expect((await as('aude').json<KeyJson>('GET', `/v1/keys/${keyId}`)).state).toBe('active');
  });

  it('answers 404 for an unknown approval', async () => {
    await expectProblem(await approve('bob', '00000000-0000-4000-8000-000000000000'), 404);
    await expectProblem(await as('aude').call('GET', '/v1/approvals/no-such-approval'), 404);
  });

  it('gates officer enrolment after the bootstrap phase, and hands the token to the officer whose approval ran it', async () => {
    const pending = await as('first').json<ApprovalJson>(
      'POST',
      '/v1/operators',
      { name: 'dora', role: 'officer' },
      202,
    );
    expect(pending).toEqual(
      expect.objectContaining({
        action: 'enrol-officer',
        params: { name: 'dora', role: 'officer' },
        required: 2,
      }),
    );
    await as('bob').json('POST', `/v1/approvals/${pending.approvalId}/approve`);
    const ran = await as('carol').json<ApprovalJson & { token: string }>(
      'POST',
      `/v1/approvals/${pending.approvalId}/approve`,
    );
    expect(ran.status).toBe('executed');
    expect(ran.token).toMatch(/^klt_/);
    tokens.dora = ran.token;
    const dora = await as('dora').json<OperatorJson>('GET', '/v1/operators/me');
    expect(dora).toEqual(expect.objectContaining({ name: 'dora', role: 'officer', basis: 'approval' }));
    // The recorded result carries no token.
    const recorded = await as('aude').json<ApprovalJson>('GET', `/v1/approvals/${pending.approvalId}`);
    expect(JSON.stringify(recorded)).not.toContain(ran.token);
  });

  it('changes the policy only through an approved change-policy request; a request past its expiry cannot be approved (409)', async () => {
    const short = { version: 1, expiresAfter: '1s', approvals: { 'destroy-key': 2, 'change-policy': 2 } };
    const pending = await as('first').json<ApprovalJson>('PUT', '/v1/policy', short, 202);
    expect(pending.action).toBe('change-policy');
    await as('bob').json('POST', `/v1/approvals/${pending.approvalId}/approve`);
    expect(
      (await as('carol').json<ApprovalJson>('POST', `/v1/approvals/${pending.approvalId}/approve`)).status,
    ).toBe('executed');
    const policy = await as('aude').json<{
      policy: { expiresAfter: string; approvals: Record<string, number> };
      changes: number;
    }>('GET', '/v1/policy');
    expect(policy.policy).toEqual({
      version: 1,
      expiresAfter: '1s',
      approvals: expect.objectContaining({ 'destroy-key': 2, 'register-hsm': 0 }),
    });
    expect(policy.changes).toBe(1);

    const keyId = await newKey();
    const request = await destroyRequest(keyId);
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    expect((await as('aude').json<ApprovalJson>('GET', `/v1/approvals/${request.approvalId}`)).status).toBe(
      'expired',
    );
    const late = await expectProblem(await approve('bob', request.approvalId), 409);
    expect(late.detail).toMatch(/expired at/);
  });
});
