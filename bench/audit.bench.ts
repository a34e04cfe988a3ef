/**
 * `npm run bench -- audit`: what the ledger's integrity costs (docs/architecture.md §6). Each metric
 * is one function in `AUDIT_METRICS`, run in turn with a scratch directory of its own.
 *
 * - `ledger.append.concurrent_64.chained`: the `ledger` group's 64 concurrent writers (the same
 *   code, bench/ledger.bench.ts) through the hash chain's decorator, with `ratio` against the plain
 *   SQLite store measured in the same run. Plain and chained rounds alternate, each on a new
 *   ledger, and the medians are compared, so a burst of load elsewhere hits both.
 * - `audit.chain.check`: `ChainChecker` over 200,000 chained events already read from the store
 *   (the walk a verification makes, without the reads); the median of 5 passes after a warm-up.
 * - `audit.verify`: `keyledger audit verify`'s whole check (src/app/audit/verify.ts) over a ledger
 *   of 200,000 chained events with a signed checkpoint every 16,383 of them, read from the SQLite
 *   file: chains, the RFC 6962 tree, every checkpoint's signature and the leaves it lists. The
 *   checkpoints are signed here with a P-256 key in node:crypto (the HSM's signing is not what is
 *   measured); the median of 3 passes.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { generateKeyPairSync, randomUUID, sign as cryptoSign } from 'node:crypto';
import {
  buildCheckpoint,
  ecdsaKeyId,
  encodeVerifierKey,
  MerkleTree,
  signNote,
  type NoteSigner,
} from '../src/audit';
import { ChainChecker } from '../src/audit/chain';
import { verifyLedger } from '../src/app/audit/verify';
import { audit, AUDIT_STREAM } from '../src/domain';
import type { EventStore } from '../src/event-store/event-store';
import { chainedEventStore } from '../src/event-store/chained-event-store';
import { openSqliteEventStore } from '../src/event-store/sqlite-event-store';
import { concurrentWriters, fill } from './ledger.bench';
import type { Emit } from './run';
import { perSecond, progress, round, tempDir, median } from './util';

const WRITERS = 64;
const PER_WRITER = 1_000;
const ROUNDS = 5;
const CHECKED_EVENTS = 200_000;
const CHECK_ROUNDS = 5;
const VERIFIED_EVENTS = 200_000;
const VERIFY_ROUNDS = 3;
/** Events between checkpoints: a checkpoint then lists 16,384 leaves (its own event comes next). */
const CHECKPOINT_EVERY = audit.MAX_CHECKPOINT_SPAN - 1;

type AuditMetric = (emit: Emit, dir: string) => Promise<void>;

/** A store on a new ledger in `dir`, closed after `use`. */
async function withLedger<T>(
  dir: string,
  wrap: (store: EventStore) => EventStore,
  use: (store: EventStore) => Promise<T>,
): Promise<T> {
  fs.mkdirSync(dir, { recursive: true });
  const store = wrap(await openSqliteEventStore(dir));
  try {
    return await use(store);
  } finally {
    await store.close();
  }
}

const chainedAppends: AuditMetric = async (emit, dir) => {
  const plain: number[] = [];
  const chained: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    progress(
      `round ${round + 1}/${ROUNDS}: ${WRITERS} concurrent writers x ${PER_WRITER} appends, plain then chained`,
    );
    plain.push(
      await withLedger(
        path.join(dir, `plain-${round}`),
        (s) => s,
        (s) => concurrentWriters(s, WRITERS, PER_WRITER),
      ),
    );
    chained.push(
      await withLedger(path.join(dir, `chained-${round}`), chainedEventStore, (s) =>
        concurrentWriters(s, WRITERS, PER_WRITER),
      ),
    );
  }
  const value = median(chained);
  const baseline = median(plain);
  emit({
    metric: 'ledger.append.concurrent_64.chained',
    value,
    unit: 'events/s',
    ratio: round(value / baseline),
    baseline,
    events: WRITERS * PER_WRITER,
    rounds: { plain, chained },
  });
};

const chainCheck: AuditMetric = async (emit, dir) => {
  progress(`writing ${CHECKED_EVENTS.toLocaleString('en')} chained events`);
  const events = await withLedger(dir, chainedEventStore, async (store) => {
    await fill(store, CHECKED_EVENTS);
    const all = [];
    for (let from = 0; ;) {
      const page = await store.readAll({ fromPosition: from, maxCount: 4096 });
      if (page.length === 0) return all;
      all.push(...page);
      from = page[page.length - 1]!.position;
    }
  });
  progress(`checking the chain: a warm-up pass, then ${CHECK_ROUNDS}`);
  const rates: number[] = [];
  for (let round = -1; round < CHECK_ROUNDS; round++) {
    const checker = new ChainChecker({ densePositions: true });
    const start = process.hrtime.bigint();
    let findings = 0;
    for (const event of events) findings += checker.check(event).length;
    findings += checker.finish().length;
    if (round >= 0) rates.push(perSecond(events.length, start));
    if (findings !== 0)
      throw new Error(`the chain check found ${findings} problem(s) in a ledger just written`);
  }
  emit({
    metric: 'audit.chain.check',
    value: median(rates),
    unit: 'events/s',
    events: events.length,
    rounds: rates,
  });
};

/** A software P-256 audit key, signing as the HSM would (ECDSA over SHA-256, DER). */
function softwareAuditKey(origin: string): { signer: NoteSigner; key: audit.AuditKey } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const spki = publicKey.export({ format: 'der', type: 'spki' });
  return {
    signer: { name: origin, spki, sign: async (message) => cryptoSign('sha256', message, privateKey) },
    key: {
      keyId: ecdsaKeyId(spki).toString(16).padStart(8, '0'),
      spki: spki.toString('base64'),
      verifierKey: encodeVerifierKey(origin, spki),
      origin,
      hsmId: 'bench',
      hsmKeyName: randomUUID(),
      at: new Date().toISOString(),
    },
  };
}

/** Fills `store` with `events` chained events and a signed checkpoint every CHECKPOINT_EVERY. */
async function checkpointedLedger(store: EventStore, events: number): Promise<string> {
  const { signer, key } = softwareAuditKey('bench.keyledger.local/audit');
  const tree = new MerkleTree();
  const leaves: Buffer[] = [];
  let read = 0;
  const catchUp = async () => {
    for (;;) {
      const page = await store.readAll({ fromPosition: read, maxCount: 4096 });
      if (page.length === 0) return;
      for (const e of page) {
        const leaf = Buffer.from(String(e.metadata.hash), 'hex');
        tree.append(leaf);
        leaves.push(leaf);
      }
      read = page[page.length - 1]!.position;
    }
  };
  await store.append(AUDIT_STREAM, [{ type: 'AuditKeyGenerated', data: key, metadata: {} }]);
  let signedSize = 0;
  for (let done = 0; done < events;) {
    const n = Math.min(CHECKPOINT_EVERY, events - done);
    await fill(store, n);
    done += n;
    await catchUp();
    const size = tree.size;
    const root = tree.root(size);
    const note = await signNote(
      buildCheckpoint({ origin: key.origin, size, rootHash: root, extensions: [] }),
      signer,
    );
    const data: audit.AuditCheckpointSigned['data'] = {
      from: signedSize,
      leaves: Buffer.concat(leaves.slice(signedSize, size)).toString('base64'),
      treeSize: size,
      rootHash: root.toString('hex'),
      note,
      keyId: key.keyId,
      at: new Date().toISOString(),
    };
    await store.append(AUDIT_STREAM, [{ type: 'AuditCheckpointSigned', data, metadata: {} }]);
    signedSize = size;
    progress(
      `${done.toLocaleString('en')} events written, checkpoint of ${size.toLocaleString('en')} signed`,
    );
  }
  return key.verifierKey;
}

const verify: AuditMetric = async (emit, dir) => {
  progress(`writing ${VERIFIED_EVENTS.toLocaleString('en')} chained events with checkpoints`);
  await withLedger(dir, chainedEventStore, async (store) => {
    const verifierKey = await checkpointedLedger(store, VERIFIED_EVENTS);
    const rates: number[] = [];
    let checkpoints = 0;
    let events = 0;
    for (let round = 0; round < VERIFY_ROUNDS; round++) {
      progress(`verifying, pass ${round + 1}/${VERIFY_ROUNDS}`);
      const start = process.hrtime.bigint();
      const report = await verifyLedger(store, { trustedKeys: [verifierKey], densePositions: true });
      rates.push(perSecond(report.events, start));
      if (!report.ok || report.checkpoints.verified === 0)
        throw new Error(
          `a ledger just written did not verify: ${report.findings.length} finding(s), ${report.checkpoints.verified} checkpoint(s) verified`,
        );
      checkpoints = report.checkpoints.verified;
      events = report.events;
    }
    emit({
      metric: 'audit.verify',
      value: median(rates),
      unit: 'events/s',
      events,
      checkpoints,
      target: 100_000,
      rounds: rates,
    });
  });
};

const AUDIT_METRICS: Record<string, AuditMetric> = {
  'ledger.append.concurrent_64.chained': chainedAppends,
  'audit.chain.check': chainCheck,
  'audit.verify': verify,
};

/** The `audit` group, or only the metrics named in `only`. */
export async function auditBenchmarks(emit: Emit, only?: readonly string[]): Promise<void> {
  const tmp = tempDir('audit');
  try {
    for (const [i, [name, metric]] of Object.entries(AUDIT_METRICS).entries())
      if (only === undefined || only.includes(name)) await metric(emit, path.join(tmp.dir, String(i)));
  } finally {
    tmp.remove();
  }
}
