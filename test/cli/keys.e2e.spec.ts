/**
 * `keyledger keys …` against the real service (demo HSMs hsm-a, hsm-b): the LABEL column of
 * `keys list`, HSM names in `keys events`, `keys delete-residency`, and raw export as it is for
 * each key type — an RSA/EC key stays on the HSM unless `--evict`, a hashsig key always leaves it
 * (the firmware disables the exported copy, the service deletes it), single and `--all`, with
 * `--evict` sent in the one raw-export request (it used to fail on hashsig keys: the CLI sent its
 * own DELETE for a copy the service had already deleted).
 */
import { runCli } from '../support/cli';
import { startService, type KeyJson, type Service } from '../api/support/service';
import { outcome, problemDetail, row, rows } from './support/service';

interface HsmJson {
  hsmId: string;
  name: string;
}

interface EventJson {
  type: string;
  revision: number;
  position: number;
  data: Record<string, unknown>;
}

const HASHSIG = { type: 'hashsig', lms: 'H5', lmots: 'W8' } as const;
const NOTE =
  "(a hashsig key's raw export takes it off the HSM: the firmware disables the exported copy and keyledger deletes it; raw-import the blob to sign again)";

describe('keyledger keys against the service', () => {
  let svc: Service;
  let env: NodeJS.ProcessEnv;
  let ids: Record<string, string>;

  const generate = (hsm: string, spec: Record<string, unknown> = { type: 'ec' }) =>
    svc.json<KeyJson & { label: string | null }>('POST', '/v1/keys', { hsm, ...spec });
  const key = (keyId: string) => svc.json<KeyJson & { label: string | null }>('GET', `/v1/keys/${keyId}`);
  const onHsm = (k: KeyJson, hsm: string) => k.holders.some((h) => h.kind === 'hsm' && h.hsm === hsm);
  const heldOn = async (hsm: string) =>
    (await svc.json<KeyJson[]>('GET', '/v1/keys')).filter((k) => onHsm(k, hsm));

  beforeAll(async () => {
    svc = await startService();
    env = { KEYLEDGER_URL: svc.url, KEYLEDGER_TOKEN: svc.token };
    ids = Object.fromEntries((await svc.json<HsmJson[]>('GET', '/v1/hsms')).map((h) => [h.name, h.hsmId]));
  }, 60_000);

  afterAll(async () => {
    await svc?.close();
  });

  it('lists keys with their labels', async () => {
    const labelled = await generate('hsm-a', { type: 'ec', label: 'payments 2026' });
    const plain = await generate('hsm-a', { type: 'ec' });
    const odd = await generate('hsm-a', { type: 'ec', label: 'tab\there' });
    const result = await runCli(['keys', 'list'], env);
    expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
    expect(rows(result.stdout)[0]).toEqual(['KEY', 'TYPE', 'STATE', 'LABEL', 'CURRENT BLOB', 'HOLDERS']);
    expect(row(result.stdout, labelled.keyId)).toEqual([
      labelled.keyId,
      'ec',
      'active',
      'payments 2026',
      '-',
      'hsm-a',
    ]);
    expect(row(result.stdout, plain.keyId)).toEqual([plain.keyId, 'ec', 'active', '-', '-', 'hsm-a']);
    // Control characters of a label are shown escaped, never sent to the terminal.
    expect(row(result.stdout, odd.keyId)).toEqual([
      odd.keyId,
      'ec',
      'active',
      'tab\\u0009here',
      '-',
      'hsm-a',
    ]);
    const json = await runCli(['keys', 'list', '--json'], env);
    expect(JSON.parse(json.stdout)).toEqual(await svc.json('GET', '/v1/keys'));
  });

  it('shows whether a key is pinned', async () => {
    const k = await generate('hsm-a');
    const pinnedLine = async () => {
      const result = await runCli(['keys', 'show', k.keyId], env);
      expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
      return result.stdout.split('\n').filter((l) => /^ {2}pinned /.test(l));
    };
    expect(await pinnedLine()).toEqual(['  pinned   no']);
    await svc.json('PATCH', `/v1/keys/${k.keyId}`, { pinned: true });
    expect(await pinnedLine()).toEqual(['  pinned   yes (kept resident, never paged out)']);
    await svc.json('PATCH', `/v1/keys/${k.keyId}`, { pinned: false });
  });

  it('raw-export --all and raw-import --all on an HSM that is not registered: its 404, exit 1, nothing done', async () => {
    const detail = await problemDetail(svc, 'GET', '/v1/hsms/nope');
    const before = await svc.position();
    for (const verb of ['raw-export', 'raw-import'])
      expect(outcome(await runCli(['keys', verb, '--all', '--hsm', 'nope'], env))).toEqual({
        code: 1,
        stdout: '',
        stderr: `keyledger: ${detail}\n`,
      });
    expect(await svc.position()).toBe(before);
  });

  let moved: KeyJson;

  it('names the HSMs of each event: name (id), and from → to for a transfer', async () => {
    moved = await generate('hsm-a');
    await svc.json('POST', `/v1/keys/${moved.keyId}/transfer`, { from: 'hsm-a', to: 'hsm-b' });
    const events = await svc.json<EventJson[]>('GET', `/v1/keys/${moved.keyId}/events`);
    const a = `hsm-a (${ids['hsm-a']})`;
    const b = `hsm-b (${ids['hsm-b']})`;
    const expectedHsm: Record<string, string> = {
      KeyGenerated: a,
      KeyTransferPrepared: `${a} → ${b}`,
      KekekGenerated: b,
      KeyTransferStarted: `${a} → ${b}`,
      KeyTransitExported: `${a} → ${b}`,
      KeyTransitImported: `→ ${b}`,
    };
    expect(events.map((e) => e.type).filter((t) => t in expectedHsm)).toEqual(Object.keys(expectedHsm));

    const result = await runCli(['keys', 'events', moved.keyId], env);
    expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
    const table = rows(result.stdout);
    expect(table[0]).toEqual(['REV', 'POSITION', 'AT', 'EVENT', 'HSM', 'BLOB', 'BY']);
    expect(
      table.slice(1).map((r) => [Number(r[0]), Number(r[1]), r[2], r[3], r[4], r[r.length - 1]]),
    ).toEqual(
      events.map((e) => [
        e.revision,
        e.position,
        e.data.at,
        e.type,
        expectedHsm[e.type] ?? '-',
        'first-officer',
      ]),
    );
    const json = await runCli(['keys', 'events', moved.keyId, '--json'], env);
    expect(JSON.parse(json.stdout)).toEqual(events);
  });

  it('deletes a residency the key has elsewhere; refuses its last copy with the detail, exit 1', async () => {
    const deleted = await runCli(['keys', 'delete-residency', moved.keyId, '--hsm', 'hsm-a'], env);
    expect(outcome(deleted)).toEqual({
      code: 0,
      stdout: `deleted ${moved.keyId} from hsm-a; held now by hsm-b\n`,
      stderr: '',
    });
    expect((await key(moved.keyId)).holders.map((h) => h.hsm)).toEqual(['hsm-b']);

    const p = `/v1/keys/${moved.keyId}/residency/hsm-b`;
    const detail = await problemDetail(svc, 'DELETE', p);
    expect(outcome(await runCli(['keys', 'delete-residency', moved.keyId, '--hsm', 'hsm-b'], env))).toEqual({
      code: 1,
      stdout: '',
      stderr: `keyledger: ${detail}\n`,
    });

    await svc.json('POST', `/v1/keys/${moved.keyId}/raw-export`, { hsm: 'hsm-b' });
    const json = await runCli(['keys', 'delete-residency', moved.keyId, '--hsm', 'hsm-b', '--json'], env);
    expect(json.code).toBe(0);
    const after = await key(moved.keyId);
    expect(JSON.parse(json.stdout)).toEqual(after);
    expect(after.holders.map((h) => h.kind)).toEqual(['blob']);
  });

  it('raw-exports an EC key: it stays on the HSM, or leaves it with --evict', async () => {
    const stays = await generate('hsm-a');
    const kept = await runCli(['keys', 'raw-export', stays.keyId, '--hsm', 'hsm-a'], env);
    const afterKept = await key(stays.keyId);
    expect(outcome(kept)).toEqual({
      code: 0,
      stdout: `raw-exported ${stays.keyId} from hsm-a: blob ${afterKept.currentBlob}\n`,
      stderr: '',
    });
    expect(onHsm(afterKept, 'hsm-a')).toBe(true);

    const goes = await generate('hsm-a');
    const evicted = await runCli(
      ['keys', 'raw-export', goes.keyId, '--hsm', 'hsm-a', '--evict', '--json'],
      env,
    );
    const afterEvicted = await key(goes.keyId);
    expect(evicted.code).toBe(0);
    expect(JSON.parse(evicted.stdout)).toEqual({
      keyId: goes.keyId,
      hsm: 'hsm-a',
      blobSha256: afterEvicted.currentBlob,
      type: 'ec',
      leftHsm: true,
    });
    expect(afterEvicted.holders).toEqual([
      expect.objectContaining({ kind: 'blob', blobSha256: afterEvicted.currentBlob }),
    ]);

    const text = await runCli(['keys', 'raw-export', stays.keyId, '--hsm', 'hsm-a', '--evict'], env);
    const afterText = await key(stays.keyId);
    expect(outcome(text)).toEqual({
      code: 0,
      stdout: `raw-exported ${stays.keyId} from hsm-a: blob ${afterText.currentBlob} (deleted from the HSM)\n`,
      stderr: '',
    });
    expect(onHsm(afterText, 'hsm-a')).toBe(false);
  });

  it('raw-exports a hashsig key with --evict: exit 0, and it says the key left the HSM', async () => {
    const hs = await generate('hsm-a', HASHSIG);
    const result = await runCli(['keys', 'raw-export', hs.keyId, '--hsm', 'hsm-a', '--evict'], env);
    const after = await key(hs.keyId);
    expect(outcome(result)).toEqual({
      code: 0,
      stdout:
        `raw-exported ${hs.keyId} from hsm-a: blob ${after.currentBlob}\n` +
        'hashsig key: it left hsm-a (the firmware disabled the exported copy and keyledger deleted it); raw-import the blob to sign with it again\n',
      stderr: '',
    });
    expect(after.holders).toEqual([expect.objectContaining({ kind: 'blob', blobSha256: after.currentBlob })]);
    const events = await svc.json<EventJson[]>('GET', `/v1/keys/${hs.keyId}/events`);
    expect(events.filter((e) => e.type === 'KeyDeletedFromHsm')).toHaveLength(1);
  });

  it('raw-exports a hashsig key without --evict: it leaves the HSM all the same (JSON)', async () => {
    const hs = await generate('hsm-a', HASHSIG);
    const result = await runCli(['keys', 'raw-export', hs.keyId, '--hsm', 'hsm-a', '--json'], env);
    const after = await key(hs.keyId);
    expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
    expect(JSON.parse(result.stdout)).toEqual({
      keyId: hs.keyId,
      hsm: 'hsm-a',
      blobSha256: after.currentBlob,
      type: 'hashsig',
      leftHsm: true,
    });
    expect(onHsm(after, 'hsm-a')).toBe(false);
  });

  it('raw-exports --all --evict: every key leaves the HSM, hashsig keys counted apart, none failed', async () => {
    await Promise.all([generate('hsm-b'), generate('hsm-b'), generate('hsm-b', HASHSIG)]);
    const targets = await heldOn('hsm-b');
    const hashsig = targets.filter((k) => k.type === 'hashsig').length;
    expect(hashsig).toBe(1);
    const result = await runCli(['keys', 'raw-export', '--all', '--hsm', 'hsm-b', '--evict'], env, 120_000);
    expect(outcome(result)).toEqual({
      code: 0,
      stdout: [
        `raw-exported ${targets.length} keys on hsm-b: ${targets.length} ok, 0 failed`,
        `  ${targets.length} exported, of which 1 hashsig key left the HSM; ${targets.length - 1} evicted`,
        `  ${NOTE}`,
        '',
      ].join('\n'),
      stderr: expect.any(String),
    });
    for (const k of targets)
      expect(result.stderr).toMatch(new RegExp(`^raw-export \\d+/\\d+ ${k.keyId} ok$`, 'm'));
    expect(await heldOn('hsm-b')).toEqual([]);
    for (const k of targets)
      expect((await key(k.keyId)).currentBlob).toEqual(expect.stringMatching(/^[0-9a-f]{64}$/));
  });

  it('raw-exports --all without --evict: hashsig keys leave the HSM, RSA/EC keys stay (JSON)', async () => {
    await Promise.all([generate('hsm-a', HASHSIG), generate('hsm-a', HASHSIG)]);
    const targets = await heldOn('hsm-a');
    const hashsig = targets.filter((k) => k.type === 'hashsig').map((k) => k.keyId);
    expect(hashsig).toHaveLength(2);
    const result = await runCli(['keys', 'raw-export', '--all', '--hsm', 'hsm-a', '--json'], env, 120_000);
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as {
      ok: { keyId: string; result: string; type: string; leftHsm: boolean }[];
      failed: unknown[];
      exported: number;
      skipped: number;
      hashsigLeftHsm: number;
      evicted: number;
    };
    expect({ ...report, ok: [] }).toEqual({
      ok: [],
      failed: [],
      exported: targets.length,
      skipped: 0,
      hashsigLeftHsm: 2,
      evicted: 0,
    });
    const expected = await Promise.all(
      targets.map(async (k) => {
        const after = await key(k.keyId);
        return { keyId: k.keyId, result: after.currentBlob, type: k.type, leftHsm: k.type === 'hashsig' };
      }),
    );
    const byId = (x: { keyId: string }, y: { keyId: string }) => x.keyId.localeCompare(y.keyId);
    expect([...report.ok].sort(byId)).toEqual(expected.sort(byId));
    expect((await heldOn('hsm-a')).map((k) => k.keyId).sort()).toEqual(
      targets
        .filter((k) => k.type !== 'hashsig')
        .map((k) => k.keyId)
        .sort(),
    );
  });

  it('raw-export --all resumes: what a run cut short did is not done again, a second run exports nothing', async () => {
    const fresh = await Promise.all([generate('hsm-a'), generate('hsm-a'), generate('hsm-a')]);
    // A first run that stopped after one key.
    await runCli(['keys', 'raw-export', fresh[0]!.keyId, '--hsm', 'hsm-a'], env);
    const exportsOf = async (keyId: string) =>
      (await svc.json<{ type: string }[]>('GET', `/v1/keys/${keyId}/events`)).filter(
        (e) => e.type === 'KeyRawExported',
      ).length;
    const first = await runCli(['keys', 'raw-export', '--all', '--hsm', 'hsm-a', '--json'], env, 120_000);
    expect(first.code).toBe(0);
    const report = JSON.parse(first.stdout) as { exported: number; skipped: number; ok: { keyId: string }[] };
    expect(report.ok.map((o) => o.keyId)).not.toContain(fresh[0]!.keyId);
    expect(report.ok.map((o) => o.keyId)).toEqual(expect.arrayContaining([fresh[1]!.keyId, fresh[2]!.keyId]));
    expect(report.skipped).toBeGreaterThanOrEqual(1);
    const second = await runCli(['keys', 'raw-export', '--all', '--hsm', 'hsm-a', '--json'], env, 120_000);
    expect(second.code).toBe(0);
    expect(JSON.parse(second.stdout)).toMatchObject({ exported: 0, ok: [], failed: [] });
    for (const k of fresh) expect(await exportsOf(k.keyId)).toBe(1);
  });
});
