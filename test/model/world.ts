/**
 * The real system the model-based hashsig test drives (issue 13): two soft HSMs of one KEK domain
 * on Unix sockets in this process (an HSM outlives a crash of the service), and `keyledger serve`
 * as child processes — one on an embedded SQLite ledger, or two on one PostgreSQL ledger — that
 * can be SIGKILLed at a fault point and started again. Everything is checked over HTTP and against
 * what the test itself saw, with asserts that do not need jest (the soak runs outside it).
 */
import { strict as assert } from 'node:assert';
import { createHash, createPublicKey, randomBytes, verify } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { FaultPoint } from '../../src/app/process-manager/fault-points';
import { createSoftHsmState, startSoftHsmServer, type SoftHsmServer } from '../../src/soft-hsm';
import { rfc8554Verify } from '../hashsig/rfc8554-verify';
import { serveChild, stopChild, type Child } from '../e2e/support/serve-child';
import { openPolicyFile } from '../support/policy';

export const HSMS = ['hsm-a', 'hsm-b'] as const;
export type HsmName = (typeof HSMS)[number];

const PIN = 'model-pin';
const KEK = Buffer.alloc(32, 0x5a);
const LOCK_FILE = 'lock';

export interface WorldOptions {
  /** Key slots per soft HSM: small, so that the pager pages keys out and in. */
  readonly capacity: number;
  /** A PostgreSQL database URL: two service instances share it. Default: one instance on SQLite. */
  readonly postgresUrl?: string;
  /** Extra environment of the service (e.g. the test-only KEYLEDGER_TEST_SKIP_INDEX_CHECK). */
  readonly env?: NodeJS.ProcessEnv;
}

export interface Answer {
  readonly status: number;
  readonly body: Record<string, unknown> & { detail?: string; type?: string };
}

export interface KeyView {
  keyId: string;
  type: string;
  state: 'active' | 'frozen' | 'destroyed';
  publicKey: string;
  publicKeyRfc8554?: string;
  holders: { kind: 'hsm' | 'blob'; hsm?: string; copyId: string; blobSha256?: string }[];
  blobs: { sha256: string; status: string }[];
  currentBlob: string | null;
  openOperations: unknown[];
  obligations: unknown[];
}

interface TestHsm {
  readonly name: HsmName;
  readonly stateDir: string;
  readonly socketPath: string;
  server: SoftHsmServer;
}

/** One HSS index path: the leaf q of each level with that level's tree identifier I (hex). */
export type IndexPath = readonly { readonly q: number; readonly I: string }[];

const LMOTS_P: Record<number, number> = { 1: 265, 2: 133, 3: 67, 4: 34 };
const LMS_H: Record<number, number> = { 5: 5, 6: 10, 7: 15, 8: 20, 9: 25 };

/**
 * The index path of an HSS signature (RFC 8554 §6.2, §5.4, §4.5), read with nothing from src/, so
 * the test's notion of "the same index" does not share a parser with the service.
 */
export function indexPathOf(publicKeyRfc8554: Buffer, signature: Buffer): IndexPath {
  let I = publicKeyRfc8554.subarray(12, 28).toString('hex');
  let at = 0;
  const u32 = () => {
    assert.ok(at + 4 <= signature.length, 'signature truncated');
    const v = signature.readUInt32BE(at);
    at += 4;
    return v;
  };
  const nspk = u32();
  const levels: { q: number; I: string }[] = [];
  for (let level = 0; level <= nspk; level++) {
    const q = u32();
    const lmots = u32();
    const p = LMOTS_P[lmots];
    assert.ok(p !== undefined, `unknown LM-OTS type ${lmots}`);
    at += 32 + p * 32;
    const lms = u32();
    const h = LMS_H[lms];
    assert.ok(h !== undefined, `unknown LMS type ${lms}`);
    at += h * 32;
    levels.push({ q, I });
    if (level < nspk) {
      at += 8; // the next level's LMS and LM-OTS types
      I = signature.subarray(at, at + 16).toString('hex');
      at += 16 + 32;
    }
  }
  assert.equal(at, signature.length, 'signature has trailing bytes');
  return levels;
}

export const pathKey = (p: IndexPath) => p.map((l) => `${l.I}:${l.q}`).join('/');

/** A service instance: a child process and the environment it was started with. */
interface Instance {
  child: Child | undefined;
  readonly dataDir: string;
}

export class World {
  readonly token = randomBytes(24).toString('base64url');
  readonly hsms = new Map<HsmName, TestHsm>();
  readonly instances: Instance[] = [];
  /** Every hashsig signature any instance returned: `keyId|path` → signature SHA-256. */
  readonly released = new Map<string, string>();
  /** Per key, the index paths this test was given (to check each is in the ledger's log). */
  readonly returnedPaths = new Map<string, Set<string>>();
  /** Per hashsig key, the signatures (base64) it returned, for observed-signature checks. */
  readonly signatures = new Map<string, string[]>();
  readonly stats = { crashes: 0, restarts: 0, plantedRestores: 0, signatures: 0, refusals: 0, races: 0 };
  private constructor(
    readonly root: string,
    readonly options: WorldOptions,
  ) {}

  static async start(options: WorldOptions): Promise<World> {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'kl-mb-'));
    const world = new World(root, options);
    try {
      for (const name of HSMS) {
        const stateDir = path.join(root, `${name}-state`);
        const socketPath = path.join(root, `${name}.sock`);
        createSoftHsmState(stateDir, { kek: KEK, pin: PIN });
        world.hsms.set(name, {
          name,
          stateDir,
          socketPath,
          server: await world.runHsm(stateDir, socketPath),
        });
      }
      const count = options.postgresUrl === undefined ? 1 : 2;
      for (let i = 0; i < count; i++) {
        const dataDir = path.join(root, `svc-${i}`);
        fs.mkdirSync(dataDir);
        world.instances.push({ child: undefined, dataDir });
      }
      for (let i = 0; i < count; i++) await world.startInstance(i);
      for (const hsm of world.hsms.values())
        await world.ok('POST', '/v1/hsms', {
          name: hsm.name,
          endpoint: `unix:${hsm.socketPath}`,
          pin: PIN,
          capacity: options.capacity,
        });
      const { kekDomainId } = await world.ok<{ kekDomainId: string }>('POST', '/v1/kek-domains', {
        name: 'model',
        hsm: 'hsm-a',
      });
      await world.ok('POST', `/v1/kek-domains/${kekDomainId}/members`, { hsm: 'hsm-b' });
      // The KEK domain's canary key takes a slot on hsm-a; the model's keys have the rest.
      return world;
    } catch (error) {
      await world.stop();
      throw error;
    }
  }

  private runHsm(stateDir: string, socketPath: string): Promise<SoftHsmServer> {
    return startSoftHsmServer({ stateDir, socketPath, capacity: this.options.capacity, pinDelayMs: 0 });
  }

  private serviceEnv(i: number, fault?: FaultPoint): NodeJS.ProcessEnv {
    return {
      KEYLEDGER_TOKEN: this.token,
      KEYLEDGER_DEMO_HSMS: '0',
      KEYLEDGER_CHECKPOINT_EVERY: 'off',
      KEYLEDGER_FAULT: fault ?? '',
      // Every instance needs the HSMs' PIN; only the one that registers them has it in its secret store.
      KEYLEDGER_HSM_PIN_HSM_A: PIN,
      KEYLEDGER_HSM_PIN_HSM_B: PIN,
      KEYLEDGER_POLICY: openPolicyFile(this.instances[i]!.dataDir),
      ...(this.options.postgresUrl === undefined ? {} : { KEYLEDGER_EVENTSTORE: this.options.postgresUrl }),
      ...this.options.env,
    };
  }

  async startInstance(i: number, fault?: FaultPoint): Promise<Child> {
    const instance = this.instances[i]!;
    const child = await serveChild(instance.dataDir, this.serviceEnv(i, fault));
    instance.child = child;
    return child;
  }

  url(i = 0): string {
    const child = this.instances[i]?.child;
    if (child === undefined) throw new Error(`service instance ${i} is not running`);
    return child.url;
  }

  /** A request to instance `via`; never throws for an HTTP status. */
  async call(method: string, p: string, body?: unknown, via = 0): Promise<Answer> {
    const response = await fetch(`${this.url(via)}${p}`, {
      method,
      headers: {
        authorization: `Bearer ${this.token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    let parsed: Answer['body'];
    try {
      parsed = text === '' ? {} : (JSON.parse(text) as Answer['body']);
    } catch {
      parsed = { detail: text };
    }
    return { status: response.status, body: parsed };
  }

  async ok<T = Record<string, unknown>>(method: string, p: string, body?: unknown, via = 0): Promise<T> {
    const answer = await this.call(method, p, body, via);
    if (answer.status < 200 || answer.status >= 300)
      throw new Error(`${method} ${p} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
    return answer.body as T;
  }

  key(keyId: string, via = 0): Promise<KeyView> {
    return this.ok<KeyView>('GET', `/v1/keys/${keyId}`, undefined, via);
  }

  /** Signs `data` with the key; checks what a relying party would, and that no index comes back twice. */
  async sign(view: KeyView, via = 0): Promise<Answer & { path?: IndexPath }> {
    const data = randomBytes(32);
    const answer = await this.call(
      'POST',
      `/v1/keys/${view.keyId}/sign`,
      { data: data.toString('base64') },
      via,
    );
    if (answer.status !== 200) {
      this.stats.refusals++;
      return answer;
    }
    this.stats.signatures++;
    const signature = Buffer.from(String(answer.body.signature), 'base64');
    if (view.type !== 'hashsig') {
      const publicKey = createPublicKey({
        key: Buffer.from(view.publicKey, 'base64'),
        format: 'der',
        type: 'spki',
      });
      assert.ok(
        verify('sha256', data, { key: publicKey, dsaEncoding: 'ieee-p1363' }, signature),
        `an ECDSA signature of ${view.keyId} does not verify`,
      );
      return answer;
    }
    const publicKey = Buffer.from(view.publicKeyRfc8554!, 'base64');
    assert.ok(rfc8554Verify(publicKey, data, signature), `a signature of ${view.keyId} does not verify`);
    const p = indexPathOf(publicKey, signature);
    const id = `${view.keyId}|${pathKey(p)}`;
    assert.ok(
      !this.released.has(id),
      `index path ${pathKey(p)} of key ${view.keyId} was returned twice (reuse of hashsig state)`,
    );
    this.released.set(id, createHash('sha256').update(signature).digest('hex'));
    let mine = this.returnedPaths.get(view.keyId);
    if (mine === undefined) this.returnedPaths.set(view.keyId, (mine = new Set()));
    mine.add(pathKey(p));
    this.signatures.set(view.keyId, [
      ...(this.signatures.get(view.keyId) ?? []),
      String(answer.body.signature),
    ]);
    return { ...answer, path: p };
  }

  /** SIGKILLs instance `i` at `point` while `request` runs there, then starts it again without the fault. */
  async crash(i: number, point: FaultPoint, request: { method: string; path: string; body?: unknown }) {
    const instance = this.instances[i]!;
    if (instance.child !== undefined) await stopChild(instance.child);
    const faulty = await this.startInstance(i, point);
    const outcome = await this.call(request.method, request.path, request.body, i).then(
      (a) => `answered ${a.status}: ${JSON.stringify(a.body)}`,
      () => 'no answer',
    );
    const exit = await Promise.race([
      faulty.exited,
      new Promise<'alive'>((done) => setTimeout(() => done('alive'), 5000)),
    ]);
    if (exit === 'alive') {
      // The request took another path (e.g. refused before the point): no crash, the instance goes on.
      await stopChild(faulty);
    } else {
      assert.deepEqual(
        exit,
        { code: null, signal: 'SIGKILL' },
        `instance ${i} should die by SIGKILL at ${point}`,
      );
      this.stats.crashes++;
    }
    await this.startInstance(i);
    this.stats.restarts++;
    return { crashed: exit !== 'alive', outcome };
  }

  /** Copies an HSM's keystore (as an operator might keep a file-level backup of it). */
  snapshot(hsm: HsmName, label: string): string {
    const h = this.hsms.get(hsm)!;
    const to = path.join(this.root, `snap-${hsm}-${label}`);
    fs.rmSync(to, { recursive: true, force: true });
    fs.cpSync(h.stateDir, to, { recursive: true, filter: (src) => path.basename(src) !== LOCK_FILE });
    return to;
  }

  /** Puts an old copy of the HSM's keystore back, behind the ledger's back. */
  async restore(hsm: HsmName, snapshot: string): Promise<void> {
    const h = this.hsms.get(hsm)!;
    await h.server.close();
    fs.rmSync(h.stateDir, { recursive: true, force: true });
    fs.cpSync(snapshot, h.stateDir, { recursive: true });
    h.server = await this.runHsm(h.stateDir, h.socketPath);
    this.stats.plantedRestores++;
  }

  /**
   * The invariants of issue 13 over the keys the model made, after every step: no key lost, no
   * hashsig copy live twice (an HSM or a current blob, never both or two), nothing left open, and
   * every index path this test was given is in the ledger's index log. Returns the views read.
   */
  async checkInvariants(keyIds: readonly string[], via = 0): Promise<Map<string, KeyView>> {
    const views = new Map<string, KeyView>();
    for (const keyId of keyIds) {
      const view = await this.key(keyId, via);
      views.set(keyId, view);
      if (view.state === 'destroyed') continue;
      assert.ok(view.holders.length > 0, `key ${keyId} is lost: no HSM and no current blob holds it`);
      assert.deepEqual(view.openOperations, [], `key ${keyId} has an open operation after the step`);
      assert.deepEqual(view.obligations, [], `key ${keyId} has an obligation after the step`);
      for (const h of view.holders.filter((x) => x.kind === 'blob'))
        assert.equal(
          view.blobs.find((b) => b.sha256 === h.blobSha256)?.status,
          'current',
          `key ${keyId} is held by blob ${h.blobSha256}, which is not current`,
        );
      if (view.type !== 'hashsig') continue;
      const perCopy = new Map<string, string[]>();
      for (const h of view.holders)
        perCopy.set(h.copyId, [
          ...(perCopy.get(h.copyId) ?? []),
          h.kind === 'hsm' ? h.hsm! : `blob ${h.blobSha256}`,
        ]);
      for (const [copyId, holders] of perCopy)
        assert.equal(
          holders.length,
          1,
          `hashsig copy ${copyId} of key ${keyId} is live twice: ${holders.join(', ')}`,
        );
      const current = view.blobs.filter((b) => b.status === 'current').length;
      assert.ok(
        current <= perCopy.size,
        `key ${keyId} has ${current} current blobs for ${perCopy.size} copies`,
      );
      const mine = this.returnedPaths.get(keyId);
      if (mine === undefined || mine.size === 0) continue;
      const events = await this.ok<{ type: string; data: { indexPaths?: { q: number; I: string }[][] } }[]>(
        'GET',
        `/v1/keys/${keyId}/events`,
        undefined,
        via,
      );
      const logged = new Set(
        events
          .filter((e) => e.type === 'HashsigSignaturesReleased')
          .flatMap((e) => e.data.indexPaths ?? [])
          .map((p) => pathKey(p)),
      );
      for (const p of mine)
        assert.ok(logged.has(p), `index path ${p} of key ${keyId} was returned but is not in the ledger`);
    }
    return views;
  }

  async stop(): Promise<void> {
    for (const instance of this.instances)
      if (instance.child !== undefined) await stopChild(instance.child).catch(() => undefined);
    for (const hsm of this.hsms.values()) await hsm.server.close().catch(() => undefined);
    fs.rmSync(this.root, { recursive: true, force: true });
  }
}
