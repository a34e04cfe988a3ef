/**
 * The reference model and the commands of the model-based hashsig test (issue 13). The model is
 * small on purpose: it knows which keys exist, what the service last showed of each, which blobs
 * are stale, and which keys a planted restore or a crash disturbed. From that it predicts which
 * calls must succeed and which must be refused; where the real outcome legitimately depends on
 * choices the model does not make (which key the pager pages out, whether a crash came before or
 * after the HSM call), it accepts either and reads the new state from the service. The invariants
 * (World.checkInvariants, World.sign) hold after every step whatever the model predicted.
 */
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { CUSTODY_FAULT_POINTS, type FaultPoint } from '../../src/app/process-manager/fault-points';
import { type Answer, HSMS, type HsmName, type KeyView, type World } from './world';

export interface MKey {
  readonly keyId: string;
  readonly type: 'ec' | 'hashsig';
  view: KeyView;
  /** Bytes of every blob of the key this test has seen, to hand stale ones back in. */
  readonly blobBytes: Map<string, string>;
  transfers: number;
  imports: number;
  /** A planted restore put an old copy of this key's HSM state back: its signs may be refused. */
  disturbed: boolean;
}

export interface Model {
  readonly keys: MKey[];
  readonly snapshots: Map<HsmName, { dir: string; keys: Set<string> }>;
  /** A planted restore happened: reconcile may now report drift. */
  planted: boolean;
  /** Service instances (1 on SQLite, 2 on PostgreSQL). */
  readonly instances: number;
  /** What was done so far, one line per step, for the report of a failure. */
  readonly log: string[];
}

export const newModel = (instances: number): Model => ({
  keys: [],
  snapshots: new Map(),
  planted: false,
  instances,
  log: [],
});

type Cmd = fc.AsyncCommand<Model, World>;

const MAX_KEYS = 5;
const MAX_IMPORTS = 6;

const live = (k: MKey): HsmName[] =>
  k.view.holders.filter((h) => h.kind === 'hsm').map((h) => h.hsm as HsmName);
const frozen = (k: MKey) => k.view.state === 'frozen';
/**
 * A key whose outcomes the model predicts exactly. A planted restore makes the whole world less
 * predictable (the restored HSM holds keys and slots the ledger does not know of), so from then on
 * only refusals of stale state and the invariants are held strictly.
 */
const steady = (m: Readonly<Model>, k: MKey) => !frozen(k) && !k.disturbed && !m.planted;
const staleBlobs = (k: MKey) =>
  k.view.blobs.filter((b) => b.status === 'consumed' || b.status === 'superseded').map((b) => b.sha256);
const pick = <T>(items: readonly T[], i: number): T | undefined =>
  items.length === 0 ? undefined : items[i % items.length];
const keyOf = (m: Model, i: number) => pick(m.keys, i);
const viaName = (via: number) => (via === 0 ? 'A' : 'B');
/** The instance a step without its own choice goes to: they take turns, so both act on every key. */
const turn = (m: Readonly<Model>) => m.log.length % m.instances;

function expectOk(answer: Answer, what: string): void {
  assert.ok(
    answer.status >= 200 && answer.status < 300,
    `${what} must succeed; answered ${answer.status}: ${answer.body.detail ?? JSON.stringify(answer.body)}`,
  );
}

/** A refusal, never a server error: 4xx, or 502/503 for an HSM that said no. */
function expectRefused(answer: Answer, what: string, statuses: readonly number[] = [409]): void {
  assert.ok(
    statuses.includes(answer.status),
    `${what} must be refused (${statuses.join('/')}); answered ${answer.status}: ${JSON.stringify(answer.body)}`,
  );
}

function expectOkOrRefused(answer: Answer, what: string): void {
  assert.ok(
    (answer.status >= 200 && answer.status < 300) || [404, 409, 422, 502, 503].includes(answer.status),
    `${what} answered ${answer.status}: ${JSON.stringify(answer.body)}`,
  );
}

/** Reads every key back after a step, checking the invariants, and keeps what the service showed. */
async function settle(m: Model, w: World, line: string): Promise<void> {
  m.log.push(line);
  for (let via = 0; via < m.instances; via++) {
    const views = await w.checkInvariants(
      m.keys.map((k) => k.keyId),
      via,
    );
    if (via > 0) continue;
    for (const k of m.keys) {
      k.view = views.get(k.keyId)!;
      for (const b of k.view.blobs)
        if (!k.blobBytes.has(b.sha256) && b.status !== 'destroyed') {
          const blob = await w.ok<{ blob: string }>('GET', `/v1/blobs/${b.sha256}`);
          k.blobBytes.set(b.sha256, blob.blob);
        }
    }
  }
}

class Generate implements Cmd {
  constructor(
    readonly type: 'ec' | 'hashsig',
    readonly hsm: HsmName,
  ) {}
  check = (m: Readonly<Model>) => m.keys.length < MAX_KEYS;
  async run(m: Model, w: World) {
    const body =
      this.type === 'ec'
        ? { hsm: this.hsm, type: 'ec', curve: 'P-256' }
        : { hsm: this.hsm, type: 'hashsig', levels: 2, lms: 'H5', lmots: 'W4' };
    const answer = await w.call('POST', '/v1/keys', body, turn(m));
    if (m.keys.every((k) => steady(m, k))) expectOk(answer, this.toString());
    else expectOkOrRefused(answer, this.toString());
    if (answer.status === 201 || answer.status === 200) {
      const view = answer.body as unknown as KeyView;
      m.keys.push({
        keyId: view.keyId,
        type: this.type,
        view,
        blobBytes: new Map(),
        transfers: 0,
        imports: 0,
        disturbed: false,
      });
    }
    await settle(m, w, `${this} → ${answer.status}`);
  }
  toString = () => `generate(${this.type} on ${this.hsm})`;
}

class Sign implements Cmd {
  constructor(
    readonly k: number,
    readonly via: number,
    readonly times: number,
  ) {}
  check = (m: Readonly<Model>) => m.keys.length > 0;
  async run(m: Model, w: World) {
    const key = keyOf(m, this.k)!;
    const via = this.via % m.instances;
    const outcomes: number[] = [];
    for (let i = 0; i < this.times; i++) {
      const answer = await w.sign(key.view, via);
      outcomes.push(answer.status);
      const what = `sign with ${key.type} key ${key.keyId} (${key.view.state})`;
      if (frozen(key)) expectRefused(answer, what);
      else if (steady(m, key)) expectOk(answer, what);
      else expectOkOrRefused(answer, what);
      if (answer.status !== 200) {
        // A refusal may have frozen the key (reuse detected): read it before the next signature.
        key.view = await w.key(key.keyId);
      }
    }
    await settle(m, w, `${this.toString()} [${key.keyId}] → ${outcomes.join(',')}`);
  }
  toString = () => `sign(k${this.k} ×${this.times} via ${viaName(this.via)})`;
}

class RawExport implements Cmd {
  constructor(
    readonly k: number,
    readonly h: number,
  ) {}
  check = (m: Readonly<Model>) => {
    const key = keyOf(m, this.k);
    return key !== undefined && live(key).length > 0;
  };
  async run(m: Model, w: World) {
    const key = keyOf(m, this.k)!;
    const hsm = pick(live(key), this.h)!;
    const answer = await w.call('POST', `/v1/keys/${key.keyId}/raw-export`, { hsm }, turn(m));
    const what = `raw export of ${key.type} key ${key.keyId} from ${hsm}`;
    if (steady(m, key)) expectOk(answer, what);
    else expectOkOrRefused(answer, what);
    await settle(m, w, `${this} [${key.keyId} from ${hsm}] → ${answer.status}`);
  }
  toString = () => `raw-export(k${this.k} hsm#${this.h})`;
}

/** Raw import of the current blob onto an HSM without a copy of the key, or of a stale blob (refused). */
class RawImport implements Cmd {
  constructor(
    readonly k: number,
    readonly hsm: HsmName,
    readonly which: 'current' | 'stale',
    readonly s: number,
  ) {}
  check = (m: Readonly<Model>) => {
    const key = keyOf(m, this.k);
    if (key === undefined || key.imports >= MAX_IMPORTS) return false;
    if (this.which === 'stale') return key.type === 'hashsig' && staleBlobs(key).length > 0;
    return key.view.currentBlob !== null && !live(key).includes(this.hsm);
  };
  async run(m: Model, w: World) {
    const key = keyOf(m, this.k)!;
    const blobSha256 = this.which === 'current' ? key.view.currentBlob! : pick(staleBlobs(key), this.s)!;
    const answer = await w.call(
      'POST',
      `/v1/keys/${key.keyId}/raw-import`,
      { hsm: this.hsm, blobSha256 },
      turn(m),
    );
    const what = `raw import of ${this.which} blob ${blobSha256} of ${key.type} key ${key.keyId} onto ${this.hsm}`;
    if (this.which === 'stale') expectRefused(answer, what);
    else if (steady(m, key)) expectOk(answer, what);
    else expectOkOrRefused(answer, what);
    key.imports++;
    await settle(m, w, `${this} [${key.keyId} ${blobSha256.slice(0, 12)}] → ${answer.status}`);
  }
  toString = () =>
    `raw-import(k${this.k} ${this.which}${this.which === 'stale' ? `#${this.s}` : ''} onto ${this.hsm})`;
}

/** A blob handed in from outside (an old backup): a stale one is refused, a current one accepted. */
class PresentBlob implements Cmd {
  constructor(
    readonly k: number,
    readonly s: number,
  ) {}
  check = (m: Readonly<Model>) => {
    const key = keyOf(m, this.k);
    return key !== undefined && key.type === 'hashsig' && staleBlobs(key).some((b) => key.blobBytes.has(b));
  };
  async run(m: Model, w: World) {
    const key = keyOf(m, this.k)!;
    const sha = pick(
      staleBlobs(key).filter((b) => key.blobBytes.has(b)),
      this.s,
    )!;
    const answer = await w.call(
      'POST',
      '/v1/blobs',
      { keyId: key.keyId, blob: key.blobBytes.get(sha) },
      turn(m),
    );
    expectRefused(answer, `hand-in of stale blob ${sha} of key ${key.keyId}`);
    await settle(m, w, `${this} [${key.keyId} ${sha.slice(0, 12)}] → ${answer.status}`);
  }
  toString = () => `present-stale-blob(k${this.k} #${this.s})`;
}

class Transfer implements Cmd {
  constructor(
    readonly k: number,
    readonly to: HsmName,
  ) {}
  check = (m: Readonly<Model>) => {
    const key = keyOf(m, this.k);
    return key !== undefined && key.transfers < 1 && live(key).length > 0 && !live(key).includes(this.to);
  };
  async run(m: Model, w: World) {
    const key = keyOf(m, this.k)!;
    const from = live(key)[0]!;
    const answer = await w.call('POST', `/v1/keys/${key.keyId}/transfer`, { from, to: this.to }, turn(m));
    const what = `transfer of ${key.type} key ${key.keyId} from ${from} to ${this.to}`;
    if (steady(m, key)) expectOk(answer, what);
    else expectOkOrRefused(answer, what);
    key.transfers++;
    await settle(m, w, `${this} [${key.keyId} ${from}→${this.to}] → ${answer.status}`);
  }
  toString = () => `transfer(k${this.k} to ${this.to})`;
}

/** Delete the key from one HSM: allowed while another holder keeps it; the last live holder is refused. */
class DeleteResidency implements Cmd {
  constructor(
    readonly k: number,
    readonly h: number,
  ) {}
  check = (m: Readonly<Model>) => {
    const key = keyOf(m, this.k);
    return key !== undefined && live(key).length > 0;
  };
  async run(m: Model, w: World) {
    const key = keyOf(m, this.k)!;
    const hsm = pick(live(key), this.h)!;
    const answer = await w.call('DELETE', `/v1/keys/${key.keyId}/residency/${hsm}`, turn(m));
    const what = `deleting ${key.type} key ${key.keyId} from ${hsm}`;
    const elsewhere = key.view.holders.length > 1;
    if (key.type === 'ec' && steady(m, key)) {
      if (elsewhere) expectOk(answer, what);
      else expectRefused(answer, `${what} (its only holder)`, [409, 422]);
    } else expectOkOrRefused(answer, what);
    await settle(m, w, `${this} [${key.keyId} ${hsm}] → ${answer.status}`);
  }
  toString = () => `delete-residency(k${this.k} hsm#${this.h})`;
}

class Prefetch implements Cmd {
  constructor(
    readonly k: number,
    readonly hsm: HsmName,
  ) {}
  check = (m: Readonly<Model>) => m.keys.length > 0;
  async run(m: Model, w: World) {
    const key = keyOf(m, this.k)!;
    const answer = await w.call('POST', `/v1/hsms/${this.hsm}/prefetch`, { keyIds: [key.keyId] }, turn(m));
    expectOk(answer, `prefetch of ${key.keyId} onto ${this.hsm}`);
    const items = answer.body.items as { outcome: string }[];
    assert.equal(items.length, 1);
    if (steady(m, key) && live(key).length === 0)
      assert.equal(items[0]!.outcome, 'paged-in', `prefetch of ${key.keyId}, which no HSM held`);
    await settle(m, w, `${this} [${key.keyId}] → ${items[0]!.outcome}`);
  }
  toString = () => `prefetch(k${this.k} onto ${this.hsm})`;
}

class Reconcile implements Cmd {
  constructor(readonly hsm: HsmName) {}
  check = () => true;
  async run(m: Model, w: World) {
    const report = await w.ok<{ drift: unknown[] }>('POST', `/v1/hsms/${this.hsm}/reconcile`);
    if (!m.planted) assert.deepEqual(report.drift, [], `reconcile of ${this.hsm} found drift nobody planted`);
    await settle(m, w, `${this} → ${report.drift.length} drift`);
  }
  toString = () => `reconcile(${this.hsm})`;
}

/** Keeps a copy of an HSM's keystore files, as an operator's file-level backup would. */
class Snapshot implements Cmd {
  constructor(readonly hsm: HsmName) {}
  check = () => true;
  async run(m: Model, w: World) {
    const dir = w.snapshot(this.hsm, String(m.log.length));
    const keys = new Set(m.keys.filter((k) => live(k).includes(this.hsm)).map((k) => k.keyId));
    m.snapshots.set(this.hsm, { dir, keys });
    await settle(m, w, `${this}`);
  }
  toString = () => `snapshot(${this.hsm})`;
}

/**
 * Planted reuse: the HSM's keystore goes back to the snapshot behind the ledger's back, so a
 * hashsig key on it would sign with indices already released. The next signature that would
 * reuse one must be refused and freeze the key; the invariants catch any that gets out.
 */
class PlantedRestore implements Cmd {
  constructor(readonly hsm: HsmName) {}
  check = (m: Readonly<Model>) => m.snapshots.has(this.hsm);
  async run(m: Model, w: World) {
    const snapshot = m.snapshots.get(this.hsm)!;
    await w.restore(this.hsm, snapshot.dir);
    m.planted = true;
    for (const k of m.keys) if (snapshot.keys.has(k.keyId) || live(k).includes(this.hsm)) k.disturbed = true;
    await settle(m, w, `${this}`);
  }
  toString = () => `planted-restore(${this.hsm})`;
}

/**
 * Planted reuse on one key, end to end: keep a copy of the keystore of the HSM that alone holds
 * hashsig key k, sign with it, put the copy back behind the ledger's back, sign again. That HSM
 * now signs with an index already released: the ledger must refuse the signature (nothing
 * released) and freeze the key, and the next signature is refused as frozen.
 */
class Rollback implements Cmd {
  constructor(
    readonly k: number,
    readonly times: number,
  ) {}
  check = (m: Readonly<Model>) => {
    const key = keyOf(m, this.k);
    return (
      key !== undefined &&
      key.type === 'hashsig' &&
      steady(m, key) &&
      key.view.holders.length === 1 &&
      live(key).length === 1
    );
  };
  async run(m: Model, w: World) {
    const key = keyOf(m, this.k)!;
    const hsm = live(key)[0]!;
    const dir = w.snapshot(hsm, `rollback-${m.log.length}`);
    for (let i = 0; i < this.times; i++)
      expectOk(await w.sign(key.view), `sign with ${key.keyId} before the rollback`);
    await w.restore(hsm, dir);
    m.planted = true;
    key.disturbed = true;
    for (const k of m.keys) if (live(k).includes(hsm)) k.disturbed = true;
    const reuse = await w.sign(key.view);
    expectRefused(reuse, `sign with ${key.keyId} on ${hsm} after its keystore was rolled back (index reuse)`);
    const view = await w.key(key.keyId);
    assert.equal(view.state, 'frozen', `key ${key.keyId} must be frozen after the reuse was detected`);
    const events = await w.ok<{ type: string }[]>('GET', `/v1/keys/${key.keyId}/events`);
    assert.equal(
      events.at(-1)?.type,
      'HashsigReuseDetected',
      `the refused signature of ${key.keyId} must be recorded as reuse, not released`,
    );
    expectRefused(await w.sign(view), `sign with frozen key ${key.keyId}`);
    await settle(m, w, `${this} [${key.keyId} on ${hsm}] → refused ${reuse.status}, frozen`);
  }
  toString = () => `rollback-and-sign(k${this.k} ×${this.times})`;
}

/** A monitor hands back a signature keyledger released: known, recorded as released, no alarm. */
class Observe implements Cmd {
  constructor(
    readonly k: number,
    readonly s: number,
  ) {}
  check = (m: Readonly<Model>) => {
    const key = keyOf(m, this.k);
    return key !== undefined && key.type === 'hashsig';
  };
  async run(m: Model, w: World) {
    const key = keyOf(m, this.k)!;
    const released = w.signatures.get(key.keyId) ?? [];
    const signature = pick(released, this.s);
    if (signature === undefined) {
      await settle(m, w, `${this} [${key.keyId}] → nothing released yet`);
      return;
    }
    const answer = await w.call('POST', `/v1/keys/${key.keyId}/observed-signatures`, { signature }, turn(m));
    expectOk(answer, `observation of a signature key ${key.keyId} released`);
    assert.equal(
      answer.body.outcome,
      'released',
      `a released signature of ${key.keyId} observed: ${JSON.stringify(answer.body)}`,
    );
    const before = key.view.state;
    await settle(m, w, `${this} [${key.keyId}] → ${String(answer.body.outcome)}`);
    assert.equal(
      key.view.state,
      before,
      `observing a released signature changed key ${key.keyId} from ${before}`,
    );
  }
  toString = () => `observe-released(k${this.k} #${this.s})`;
}

/** Every fault point inside a custody operation (raw export, raw import, transfer). */
const FAULTS: readonly FaultPoint[] = CUSTODY_FAULT_POINTS;

/** SIGKILL of a service instance at a fault point inside an operation on a key, then restart. */
class Crash implements Cmd {
  constructor(
    readonly k: number,
    readonly point: FaultPoint,
    readonly via: number,
  ) {}
  private op = () => this.point.split(':')[0] as 'raw-export' | 'raw-import' | 'transfer';
  check = (m: Readonly<Model>) => {
    const key = keyOf(m, this.k);
    if (key === undefined || !steady(m, key)) return false;
    const on = live(key);
    switch (this.op()) {
      case 'raw-export':
        return key.type === 'hashsig' && on.length > 0;
      case 'raw-import':
        return key.view.currentBlob !== null && on.length < HSMS.length && key.imports < MAX_IMPORTS;
      case 'transfer':
        return key.transfers < 1 && on.length === 1;
    }
  };
  async run(m: Model, w: World) {
    const key = keyOf(m, this.k)!;
    const on = live(key);
    const other = HSMS.find((h) => !on.includes(h))!;
    const body =
      this.op() === 'raw-export'
        ? { hsm: on[0] }
        : this.op() === 'raw-import'
          ? { hsm: other }
          : { from: on[0], to: other };
    if (this.op() === 'transfer') key.transfers++;
    if (this.op() === 'raw-import') key.imports++;
    const via = this.via % m.instances;
    const { crashed, outcome } = await w.crash(via, this.point, {
      method: 'POST',
      path: `/v1/keys/${key.keyId}/${this.op()}`,
      body,
    });
    assert.ok(crashed, `${this} did not reach its fault point: ${outcome}`);
    await settle(m, w, `${this} [${key.keyId} ${JSON.stringify(body)}] → killed, restarted`);
  }
  toString = () => `crash(k${this.k} at ${this.point} on ${viaName(this.via)})`;
}

/** Two instances on one PostgreSQL ledger at once: racing imports of one blob, or signs through both. */
class Race implements Cmd {
  constructor(
    readonly k: number,
    readonly kind: 'import' | 'sign',
  ) {}
  check = (m: Readonly<Model>) => {
    if (m.instances < 2) return false;
    const key = keyOf(m, this.k);
    if (key === undefined || key.type !== 'hashsig' || !steady(m, key)) return false;
    return (
      this.kind === 'sign' ||
      (key.view.currentBlob !== null && live(key).length === 0 && key.imports < MAX_IMPORTS)
    );
  };
  async run(m: Model, w: World) {
    const key = keyOf(m, this.k)!;
    w.stats.races++;
    if (this.kind === 'import') {
      key.imports++;
      const answers = await Promise.all(
        HSMS.map((hsm, via) =>
          w.call('POST', `/v1/keys/${key.keyId}/raw-import`, { hsm, blobSha256: key.view.currentBlob }, via),
        ),
      );
      const won = answers.filter((a) => a.status === 200).length;
      assert.equal(
        won,
        1,
        `of two racing imports of one blob exactly one must win: ${answers.map((a) => a.status).join(',')}`,
      );
      for (const a of answers) if (a.status !== 200) expectRefused(a, 'the losing racing import');
      await settle(m, w, `${this} [${key.keyId}] → ${answers.map((a) => a.status).join(',')}`);
      return;
    }
    const answers = await Promise.all([0, 1, 0, 1].map((via) => w.sign(key.view, via)));
    for (const a of answers) expectOk(a, `racing sign with key ${key.keyId}`);
    await settle(m, w, `${this} [${key.keyId}] → ${answers.map((a) => a.status).join(',')}`);
  }
  toString = () => `race-${this.kind}(k${this.k})`;
}

/** Every sequence starts with a hashsig key on hsm-a and an EC key on hsm-b, so that most steps apply. */
export async function seedKeys(m: Model, w: World): Promise<void> {
  await new Generate('hashsig', 'hsm-a').run(m, w);
  await new Generate('ec', 'hsm-b').run(m, w);
}

/** The commands and their weights; `crashes: false` leaves out the (slow) SIGKILL step. */
export function commandArbitraries(options: {
  crashes: boolean;
  twoInstances?: boolean;
}): fc.Arbitrary<Cmd>[] {
  const k = fc.nat(7);
  const hsm = fc.constantFrom<HsmName>(...HSMS);
  const via = fc.nat(1);
  const weighted = <T>(arb: fc.Arbitrary<T>, weight: number): fc.Arbitrary<T>[] =>
    Array.from({ length: weight }, () => arb);
  return [
    ...weighted(
      fc
        .tuple(fc.constantFrom<'ec' | 'hashsig'>('ec', 'hashsig', 'hashsig'), hsm)
        .map(([t, h]) => new Generate(t, h)),
      3,
    ),
    ...weighted(
      fc.tuple(k, via, fc.integer({ min: 1, max: 3 })).map(([a, b, c]) => new Sign(a, b, c)),
      5,
    ),
    ...weighted(
      fc.tuple(k, fc.nat(1)).map(([a, b]) => new RawExport(a, b)),
      2,
    ),
    fc.tuple(k, hsm).map(([a, b]) => new RawImport(a, b, 'current', 0)),
    fc.tuple(k, hsm, fc.nat(3)).map(([a, b, c]) => new RawImport(a, b, 'stale', c)),
    fc.tuple(k, fc.nat(3)).map(([a, b]) => new PresentBlob(a, b)),
    fc.tuple(k, hsm).map(([a, b]) => new Transfer(a, b)),
    fc.tuple(k, fc.nat(1)).map(([a, b]) => new DeleteResidency(a, b)),
    fc.tuple(k, hsm).map(([a, b]) => new Prefetch(a, b)),
    fc.tuple(k, fc.nat(7)).map(([a, b]) => new Observe(a, b)),
    hsm.map((h) => new Reconcile(h)),
    ...weighted(
      hsm.map((h) => new Snapshot(h)),
      2,
    ),
    ...weighted(
      hsm.map((h) => new PlantedRestore(h)),
      3,
    ),
    ...weighted(
      fc.tuple(k, fc.integer({ min: 1, max: 2 })).map(([a, b]) => new Rollback(a, b)),
      4,
    ),
    ...(options.crashes
      ? weighted(
          fc.tuple(k, fc.constantFrom(...FAULTS), via).map(([a, b, c]) => new Crash(a, b, c)),
          2,
        )
      : []),
    ...weighted(
      fc.tuple(k, fc.constantFrom<'import' | 'sign'>('import', 'sign')).map(([a, b]) => new Race(a, b)),
      options.twoInstances === true ? 6 : 2,
    ),
  ];
}
