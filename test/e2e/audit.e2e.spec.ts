/**
 * Acceptance, tamper-evident audit (issue 10): the running service (default checkpoint settings
 * shortened) signs checkpoints with its HSM-held audit key; an independent verifier written here
 * from the C2SP signed-note spec and node:crypto checks them, and RFC 6962 proofs from the API
 * verify with an independent implementation of RFC 9162 §2.1.3.2 / §2.1.4.2. Then, with the
 * service stopped, copies of the ledger file are tampered with directly in SQLite (one byte of one
 * event, a deleted event, two events swapped, the last events dropped): `keyledger audit verify`
 * exits 1 naming the first bad position; the untouched ledger verifies.
 */
import Database from 'better-sqlite3';
import { createHash, createPublicKey, generateKeyPairSync, verify } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runCli } from '../support/cli';
import { startService, type Service } from '../api/support/service';

const sha256 = (...parts: Buffer[]) => createHash('sha256').update(Buffer.concat(parts)).digest();

/** RFC 9162 §2.1.3.2, written from the RFC for this test. */
function inclusionRoot(leaf: Buffer, index: number, size: number, proof: Buffer[]): Buffer | null {
  if (index >= size) return null;
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of proof) {
    if (sn === 0) return null;
    if (fn % 2 === 1 || fn === sn) {
      r = sha256(Buffer.from([1]), p, r);
      if (fn % 2 === 0) while (fn % 2 === 0 && fn !== 0) [fn, sn] = [fn >> 1, sn >> 1];
    } else r = sha256(Buffer.from([1]), r, p);
    [fn, sn] = [fn >> 1, sn >> 1];
  }
  return sn === 0 ? r : null;
}

/** RFC 9162 §2.1.4.2, written from the RFC for this test: both roots, or null. */
function consistencyRoots(
  size1: number,
  size2: number,
  proof: Buffer[],
  root1: Buffer,
): [Buffer, Buffer] | null {
  if (size1 === size2) return proof.length === 0 ? [root1, root1] : null;
  let path = proof;
  if ((size1 & (size1 - 1)) === 0) path = [root1, ...proof];
  let fn = size1 - 1;
  let sn = size2 - 1;
  while (fn % 2 === 1) [fn, sn] = [fn >> 1, sn >> 1];
  let fr = path[0]!;
  let sr = path[0]!;
  for (const c of path.slice(1)) {
    if (sn === 0) return null;
    if (fn % 2 === 1 || fn === sn) {
      fr = sha256(Buffer.from([1]), c, fr);
      sr = sha256(Buffer.from([1]), c, sr);
      if (fn % 2 === 0) while (fn % 2 === 0 && fn !== 0) [fn, sn] = [fn >> 1, sn >> 1];
    } else sr = sha256(Buffer.from([1]), sr, c);
    [fn, sn] = [fn >> 1, sn >> 1];
  }
  return sn === 0 ? [fr, sr] : null;
}

/** C2SP signed note, type 0x02 (ECDSA P-256, SHA-256, DER), checked from the spec with node:crypto. */
function verifyNoteIndependently(note: string, name: string, spki: Buffer): string {
  const split = note.lastIndexOf('\n\n');
  const text = note.slice(0, split + 1);
  const lines = note
    .slice(split + 2)
    .split('\n')
    .filter((l) => l !== '');
  const keyId = sha256(spki).subarray(0, 4);
  const key = createPublicKey({ key: spki, format: 'der', type: 'spki' });
  for (const line of lines) {
    const m = /^\u2014 (\S+) (\S+)$/.exec(line);
    if (m === null || m[1] !== name) continue;
    const raw = Buffer.from(m[2]!, 'base64');
    if (!raw.subarray(0, 4).equals(keyId)) continue;
    if (verify('sha256', Buffer.from(text, 'utf8'), key, raw.subarray(4))) return text;
    throw new Error('the signature by the audit key does not verify');
  }
  throw new Error('no signature by the audit key');
}

interface CheckpointJson {
  treeSize: number;
  rootHash: string;
  note: string;
  keyId: string;
  position: number;
}

describe('tamper-evident audit over HTTP and on the stopped ledger', () => {
  let svc: Service;
  let checkpoint: CheckpointJson;
  let key: { verifierKey: string; spki: string; origin: string; keyId: string };
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'kl-audit-'));

  beforeAll(async () => {
    svc = await startService({ prefix: 'kl-au-', env: { KEYLEDGER_CHECKPOINT_EVERY: '5' } });
    for (let i = 0; i < 6; i++)
      await svc.json('POST', '/v1/keys', { hsm: 'hsm-a', type: 'ec', label: `k${i}` });
    const head = await svc.position();
    // The checkpointer signs in the background once 5 new events are in.
    for (let tries = 0; ; tries++) {
      const r = await svc.call('GET', '/v1/audit/checkpoint');
      if (r.ok) {
        checkpoint = (await r.json()) as CheckpointJson;
        if (checkpoint.treeSize >= head - 5) break;
      } else await r.text();
      if (tries > 100) throw new Error('no checkpoint within 5 s');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    key = await svc.json('GET', '/v1/audit/key');
  }, 60_000);

  let stopped = false;
  afterAll(async () => {
    if (!stopped) await svc?.server.close();
    fs.rmSync(svc.dataDir, { recursive: true, force: true });
    fs.rmSync(work, { recursive: true, force: true });
  });

  it('publishes the audit key as a C2SP verifier key and an SPKI of an EC P-256 key', () => {
    const spki = Buffer.from(key.spki, 'base64');
    expect(createPublicKey({ key: spki, format: 'der', type: 'spki' }).asymmetricKeyDetails).toEqual({
      namedCurve: 'prime256v1',
    });
    // <name>+<key id>+<base64>: the base64 may itself hold "+".
    const [name, id] = key.verifierKey.split('+', 2);
    const body = key.verifierKey.slice(`${name}+${id}+`.length);
    expect(name).toBe(key.origin);
    expect(id).toBe(sha256(spki).subarray(0, 4).toString('hex'));
    expect(Buffer.from(body!, 'base64').equals(Buffer.concat([Buffer.from([2]), spki]))).toBe(true);
  });

  it('signs checkpoints that an independent C2SP verifier accepts, for the tree the ledger holds', async () => {
    const text = verifyNoteIndependently(checkpoint.note, key.origin, Buffer.from(key.spki, 'base64'));
    const [origin, size, root] = text.trimEnd().split('\n');
    expect({ origin, size: Number(size), root: Buffer.from(root!, 'base64').toString('hex') }).toEqual({
      origin: key.origin,
      size: checkpoint.treeSize,
      root: checkpoint.rootHash,
    });
    const tampered = checkpoint.note.replace(`\n${checkpoint.treeSize}\n`, `\n${checkpoint.treeSize + 1}\n`);
    expect(() => verifyNoteIndependently(tampered, key.origin, Buffer.from(key.spki, 'base64'))).toThrow(
      /does not verify/,
    );
  });

  it('answers RFC 6962 inclusion and consistency proofs that verify against the signed root', async () => {
    const size = checkpoint.treeSize;
    for (const position of [1, 2, Math.ceil(size / 2), size]) {
      const p = await svc.json<{
        leafIndex: number;
        leafHash: string;
        eventHash: string;
        proof: string[];
        rootHash: string;
      }>('GET', `/v1/audit/proof/inclusion?position=${position}&treeSize=${size}`);
      expect(p.rootHash).toBe(checkpoint.rootHash);
      expect(p.leafHash).toBe(sha256(Buffer.from([0]), Buffer.from(p.eventHash, 'hex')).toString('hex'));
      const root = inclusionRoot(
        Buffer.from(p.leafHash, 'hex'),
        p.leafIndex,
        size,
        p.proof.map((h) => Buffer.from(h, 'hex')),
      );
      expect({ position, root: root?.toString('hex') }).toEqual({ position, root: checkpoint.rootHash });
    }
    const head = await svc.position();
    for (const from of [1, 3, size]) {
      const c = await svc.json<{ proof: string[]; fromRoot: string; toRoot: string }>(
        'GET',
        `/v1/audit/proof/consistency?from=${from}&to=${head}`,
      );
      const roots = consistencyRoots(
        from,
        head,
        c.proof.map((h) => Buffer.from(h, 'hex')),
        Buffer.from(c.fromRoot, 'hex'),
      );
      expect({ from, roots: roots?.map((r) => r.toString('hex')) }).toEqual({
        from,
        roots: [c.fromRoot, c.toRoot],
      });
    }
    expect(
      (await svc.json<{ fromRoot: string }>('GET', `/v1/audit/proof/consistency?from=${size}&to=${head}`))
        .fromRoot,
    ).toBe(checkpoint.rootHash);
  });

  it('refuses proofs it cannot give: 400 for a malformed query, 422 for sizes out of range', async () => {
    expect((await svc.call('GET', '/v1/audit/proof/inclusion?position=abc')).status).toBe(400);
    expect((await svc.call('GET', '/v1/audit/proof/inclusion?position=1&treeSize=999999')).status).toBe(422);
    expect((await svc.call('GET', '/v1/audit/proof/consistency?from=999999')).status).toBe(422);
  });

  it('verifies the whole ledger over HTTP', async () => {
    const report = await svc.json<{ ok: boolean; findings: unknown[]; checkpoints: { verified: number } }>(
      'GET',
      '/v1/audit/verify',
    );
    expect(report).toEqual(expect.objectContaining({ ok: true, findings: [] }));
    expect(report.checkpoints.verified).toBeGreaterThanOrEqual(1);
  });

  it('records a verification (POST) that the integrity report shows, and every report states its checkpoint', async () => {
    const recorded = await svc.json<{ ok: boolean; events: number }>('POST', '/v1/audit/verify');
    expect(recorded.ok).toBe(true);
    const integrity = await svc.json<{
      checkpoint: { treeSize: number } | null;
      auditKey: { keyId: string };
      checkpoints: number;
      lastCheckpoint: { treeSize: number; rootHash: string };
      lastVerification: { ok: boolean; events: number; by: string; keySource: string };
    }>('GET', '/v1/reports/integrity');
    expect(integrity.auditKey.keyId).toBe(key.keyId);
    expect(integrity.checkpoints).toBeGreaterThanOrEqual(1);
    expect(integrity.lastVerification).toEqual(
      expect.objectContaining({
        ok: true,
        events: recorded.events,
        by: 'first-officer',
        keySource: 'ledger',
      }),
    );
    const latest = await svc.json<CheckpointJson>('GET', '/v1/audit/checkpoint');
    expect(integrity.lastCheckpoint).toEqual(
      expect.objectContaining({ treeSize: latest.treeSize, rootHash: latest.rootHash }),
    );
    const inventory = await svc.json<{ checkpoint: { treeSize: number; rootHash: string } | null }>(
      'GET',
      '/v1/reports/inventory',
    );
    expect(inventory.checkpoint).toEqual(
      expect.objectContaining({ treeSize: latest.treeSize, rootHash: latest.rootHash }),
    );
    // As of a position before the first checkpoint, a report states none.
    const early = await svc.json<{ checkpoint: unknown }>('GET', '/v1/reports/inventory?asOf=2');
    expect(early.checkpoint).toBeNull();
  });

  describe('with the service stopped, on copies of the ledger', () => {
    let ledgerDir: string;
    let events: { position: number; stream: string }[];

    beforeAll(async () => {
      // One more checkpoint covering nearly everything, then stop the service.
      await svc.json('POST', '/v1/keys', { hsm: 'hsm-a', type: 'ec', label: 'last' });
      const head = await svc.position();
      for (let tries = 0; ; tries++) {
        const c = await svc.json<CheckpointJson>('GET', '/v1/audit/checkpoint');
        if (c.treeSize >= head - 4) break;
        if (tries > 100) throw new Error('no late checkpoint');
        await svc.json('POST', '/v1/keys', { hsm: 'hsm-a', type: 'ec' });
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      ledgerDir = svc.dataDir;
      await svc.server.close();
      stopped = true;
      const db = new Database(path.join(ledgerDir, 'ledger.sqlite'), { readonly: true });
      events = db.prepare('SELECT position, stream FROM events ORDER BY position').all() as typeof events;
      db.close();
    }, 60_000);

    /** A copy of the stopped ledger (and its witness note), changed by `tamper`. */
    function copy(label: string, tamper?: (db: Database.Database) => void): string {
      const dir = path.join(work, label);
      fs.mkdirSync(dir, { mode: 0o700 });
      for (const f of ['ledger.sqlite', 'audit-checkpoint.note'])
        if (fs.existsSync(path.join(ledgerDir, f)))
          fs.copyFileSync(path.join(ledgerDir, f), path.join(dir, f));
      if (tamper) {
        const db = new Database(path.join(dir, 'ledger.sqlite'));
        tamper(db);
        db.close();
      }
      return dir;
    }

    const verifyCopy = (dir: string, ...args: string[]) =>
      runCli(['audit', 'verify', '--json', '--no-record', ...args], { KEYLEDGER_DATA_DIR: dir });

    it('verifies the untouched ledger, with the verifier key given out of band', async () => {
      const result = await verifyCopy(copy('untouched'), '--key', key.verifierKey);
      expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
      const report = JSON.parse(result.stdout) as { ok: boolean; keySource: string; events: number };
      expect(report).toEqual(
        expect.objectContaining({ ok: true, keySource: 'given', events: events.length }),
      );
    });

    const cases: [string, (db: Database.Database) => number][] = [
      [
        'one byte of one event edited',
        (db) => {
          const target = events[Math.floor(events.length / 2)]!.position;
          const row = db.prepare('SELECT data FROM events WHERE position = ?').get(target) as {
            data: string;
          };
          const i = row.data.indexOf(':') + 2;
          const edited = row.data.slice(0, i) + (row.data[i] === 'a' ? 'b' : 'a') + row.data.slice(i + 1);
          db.prepare('UPDATE events SET data = ? WHERE position = ?').run(edited, target);
          return target;
        },
      ],
      [
        'an event deleted',
        (db) => {
          const target = events[Math.floor(events.length / 3)]!.position;
          db.prepare('DELETE FROM events WHERE position = ?').run(target);
          return target;
        },
      ],
      [
        'two events swapped',
        (db) => {
          const [a, b] = [events[4]!.position, events[9]!.position];
          db.prepare('UPDATE events SET position = -1 WHERE position = ?').run(a);
          db.prepare('UPDATE events SET position = ? WHERE position = ?').run(a, b);
          db.prepare('UPDATE events SET position = ? WHERE position = -1').run(b);
          return a;
        },
      ],
      [
        'the last events dropped',
        (db) => {
          const from = events[events.length - 3]!.position;
          db.prepare('DELETE FROM events WHERE position >= ?').run(from);
          return from;
        },
      ],
    ];

    it.each(cases)('%s: exits 1 and names the first bad position', async (label, tamper) => {
      let expected = 0;
      const dir = copy(label.replace(/\W+/g, '-'), (db) => (expected = tamper(db)));
      const result = await verifyCopy(dir, '--key', key.verifierKey);
      expect(result.code).toBe(1);
      const report = JSON.parse(result.stdout) as {
        ok: boolean;
        firstBadPosition: number;
        findings: { kind: string }[];
      };
      expect({ label, ok: report.ok, first: report.firstBadPosition }).toEqual({
        label,
        ok: false,
        first: expected,
      });
      const text = await runCli(['audit', 'verify', '--no-record', '--key', key.verifierKey], {
        KEYLEDGER_DATA_DIR: dir,
      });
      expect(text.stdout).toContain(`first bad position: ${expected}`);
    });

    it('refuses a key that did not sign the checkpoints', async () => {
      const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({
        type: 'spki',
        format: 'der',
      });
      const id = sha256(other).subarray(0, 4).toString('hex');
      const vkey = `${key.origin}+${id}+${Buffer.concat([Buffer.from([2]), other]).toString('base64')}`;
      const result = await verifyCopy(copy('other-key'), '--key', vkey);
      expect(result.code).toBe(1);
      expect((JSON.parse(result.stdout) as { findings: { kind: string }[] }).findings[0]!.kind).toBe(
        'bad-signature',
      );
    });
  });
});
