/**
 * Acceptance, dual control (issue 9): SIGKILL after the last approval is recorded and before the
 * approved action completes. `keyledger serve` runs as a child process with the default policy and
 * its demo HSMs (they die with it and come back from their state); an operator asks to destroy a
 * key, two officers approve, and the service kills itself at the fault point. Restarted without
 * the fault, the service finishes the request before it listens: the key is destroyed once and the
 * request records one outcome, executed.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { APPROVAL_FAULT_POINTS, type FaultPoint } from '../../src/app/process-manager/fault-points';
import type { KeyJson } from '../api/support/service';
import { client, serveChild, stopChild, type Child } from './support/serve-child';

interface EventJson {
  stream: string;
  type: string;
  metadata: Record<string, unknown>;
}

describe('SIGKILL between the last approval and the end of the approved action, then restart', () => {
  const dirs: string[] = [];
  let running: Child | undefined;

  afterEach(async () => {
    if (running) await stopChild(running).catch(() => undefined);
    running = undefined;
  });

  afterAll(() => {
    for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('covers every approval fault point', () => {
    expect([...APPROVAL_FAULT_POINTS].sort()).toEqual(['approval:after-action', 'approval:after-approved']);
  });

  it.each(APPROVAL_FAULT_POINTS.map((p) => [p]))(
    'killed at %s: after restart the destroy ran exactly once and the request says executed',
    async (point) => {
      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kl-apc-'));
      dirs.push(dataDir);
      const first = randomBytes(24).toString('base64url');
      const env = { KEYLEDGER_TOKEN: first, KEYLEDGER_FAULT: point as FaultPoint };
      running = await serveChild(dataDir, env);
      const root = client(running.url, first);
      const enrol = async (name: string, role: string) =>
        (await root.json<{ operatorId: string; token: string }>('POST', '/v1/operators', { name, role })) as {
          operatorId: string;
          token: string;
        };
      const bob = await enrol('bob', 'officer');
      const carol = await enrol('carol', 'officer');
      const olga = await enrol('olga', 'operator');
      const key = await client(running.url, olga.token).json<KeyJson>('POST', '/v1/keys', {
        hsm: 'hsm-a',
        type: 'ec',
      });
      const requested = await client(running.url, olga.token).call('DELETE', `/v1/keys/${key.keyId}`);
      expect(requested.status).toBe(202);
      const { approvalId } = (await requested.json()) as { approvalId: string };
      await client(running.url, bob.token).json('POST', `/v1/approvals/${approvalId}/approve`);

      // The quorum's approval: the service dies at the fault point, the client sees no answer.
      const last = await client(running.url, carol.token)
        .call('POST', `/v1/approvals/${approvalId}/approve`)
        .then((r) => r.status)
        .catch(() => 'no answer');
      expect(last).toBe('no answer');
      expect((await running.exited).signal).toBe('SIGKILL');
      running = undefined;

      running = await serveChild(dataDir, { KEYLEDGER_TOKEN: first });
      const audit = client(running.url, first);
      const request = await audit.json<{ status: string; outcome: { status: string; by: string } }>(
        'GET',
        `/v1/approvals/${approvalId}`,
      );
      expect(request.status).toBe('executed');
      expect((await audit.json<KeyJson>('GET', `/v1/keys/${key.keyId}`)).state).toBe('destroyed');
      const events = await audit.json<EventJson[]>('GET', `/v1/keys/${key.keyId}/events`);
      expect(events.filter((e) => e.type === 'KeyDestroyed')).toHaveLength(1);
      expect(events.filter((e) => e.type === 'ApprovalExecuted' || e.type === 'ApprovalFailed')).toHaveLength(
        1,
      );
      // Every event of the destroy names the approval; the key left hsm-a once.
      const destroy = events.filter((e) => e.type === 'KeyDeletedFromHsm' || e.type === 'KeyDestroyed');
      expect(destroy.map((e) => e.metadata.approvalId)).toEqual([approvalId, approvalId]);
      const hsmA = await audit.json<{ keys: Record<string, unknown> }>('GET', '/v1/hsms/hsm-a/keys');
      expect(Object.keys(hsmA.keys)).not.toContain(key.keyId);
      const reconciled = await audit.json<{ drift: unknown[] }>('POST', '/v1/hsms/hsm-a/reconcile');
      expect(reconciled.drift).toEqual([]);
      // A second restart finds nothing left to do.
      await stopChild(running);
      running = await serveChild(dataDir, { KEYLEDGER_TOKEN: first });
      const again = await client(running.url, first).json<EventJson[]>('GET', `/v1/keys/${key.keyId}/events`);
      expect(again).toEqual(events);
    },
    90_000,
  );
});
