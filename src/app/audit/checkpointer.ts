/**
 * Checkpoints (docs/architecture.md §6): a process manager that keeps the ledger's Merkle tree and,
 * every `KEYLEDGER_CHECKPOINT_EVERY` (events and/or time), has the audit key — EC P-256 inside an
 * HSM, generated there at first need and never exportable — sign the tree head as a C2SP
 * tlog-checkpoint note, recorded in the `audit` stream and copied to `audit-checkpoint.note` in the
 * data directory (a witness outside the ledger file: a ledger cut short behind the last checkpoint
 * is found by `keyledger audit verify`).
 *
 * A checkpoint covers the events before it; its own event is covered by the next one, which is
 * signed only once something else has been appended (a quiet ledger is not re-signed forever).
 */
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { createPublicKey, randomUUID, verify as cryptoVerify } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  buildCheckpoint,
  ecdsaKeyId,
  encodeVerifierKey,
  p1363ToDer,
  signNote,
  type NoteSigner,
} from '../../audit';
import { audit, AUDIT_STREAM, type ErrorCategory } from '../../domain';
import type { RecordedEvent } from '../../event-store';
import { Curve, KeyFlag } from '../../hsm-adapter';
import { sha256 } from '../../lib/sha256';
import type { CheckpointEvery, KeyledgerConfig } from '../config';
import { appendDecision, foldStream } from '../custody/append-decision';
import { CustodyCore } from '../custody/custody-core';
import { withKey } from '../custody/hsm-calls';
import type { ActiveHsm } from '../hsm-registry/hsm-registry';
import { KEYLEDGER_CONFIG } from '../tokens';
import { LedgerTree } from './ledger-tree';

/** The copy of the latest checkpoint note beside the ledger (mode 0600). */
export const CHECKPOINT_FILE = 'audit-checkpoint.note';

/** The audit key cannot sign: no active HSM holds it (zeroized, decommissioned, unreachable). */
export class AuditKeyUnavailable extends Error {
  static readonly category: ErrorCategory = 'unavailable';
  readonly type = 'audit-key-unavailable';
  constructor(
    message: string,
    /** The key is gone for good (its HSM decommissioned or zeroized): a new one may replace it. */
    readonly lost = false,
  ) {
    super(message);
  }
}

export interface CheckpointView {
  readonly treeSize: number;
  readonly rootHash: string;
  readonly note: string;
  readonly keyId: string;
  readonly signedAt: string;
  /** Ledger position of the AuditCheckpointSigned event. */
  readonly position: number;
}

@Injectable()
export class Checkpointer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('audit');
  readonly tree: LedgerTree;
  private timer: NodeJS.Timeout | undefined;
  private signing: Promise<void> | undefined;
  private stopped = false;
  private unsubscribe: (() => void) | undefined;
  /** Tree size the last checkpoint signed, plus its own event (learnt at start, kept after each). */
  private covered = 0;
  /** After a failed signature (no HSM, no PIN…), no new attempt before this time; doubling to a minute. */
  private pauseUntil = 0;
  private failures = 0;

  constructor(
    @Inject(CustodyCore) private readonly core: CustodyCore,
    @Inject(KEYLEDGER_CONFIG)
    private readonly config: Pick<KeyledgerConfig, 'dataDir' | 'checkpointEvery' | 'auditOrigin'>,
  ) {
    this.tree = new LedgerTree(core.store);
  }

  private get every(): CheckpointEvery {
    return this.config.checkpointEvery;
  }

  /** After crash recovery: the tree catches up, then new events may call for a checkpoint. */
  async onApplicationBootstrap(): Promise<void> {
    await this.tree.start();
    const { state } = await this.state();
    this.covered = state.lastCheckpoint === null ? 0 : state.lastCheckpoint.treeSize + 1;
    this.unsubscribe = this.tree.onEvent(() => this.consider());
    this.consider();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    clearTimeout(this.timer);
    await this.signing?.catch(() => undefined);
    await this.tree.stop();
  }

  /** The audit stream's state: keys and the last checkpoint. */
  async state() {
    return foldStream(this.core.store, AUDIT_STREAM, audit.auditDecider, audit.isAuditEvent);
  }

  /** The latest checkpoint, or null before the first. */
  async latest(): Promise<CheckpointView | null> {
    const { events } = await this.state();
    for (let i = events.length - 1; i >= 0; i--) {
      const e = events[i]!;
      if (e.type === 'AuditCheckpointSigned') return checkpointView(e);
    }
    return null;
  }

  /** Signs a checkpoint of the whole tree now (tests, and the interval's timer); null when nothing is new. */
  async checkpointNow(): Promise<CheckpointView | null> {
    while (this.signing !== undefined) await this.signing.catch(() => undefined);
    let result: CheckpointView | null = null;
    this.signing = (async () => {
      result = await this.sign();
    })().finally(() => (this.signing = undefined));
    await this.signing;
    return result;
  }

  /** Starts a checkpoint when enough events, or enough time, have gone by since the last. */
  private consider(): void {
    if (this.stopped || this.signing !== undefined) return;
    const { events, seconds } = this.every;
    // `off`: no checkpoint unless asked for (the span limit only splits the checkpoints signed).
    if (events === null && seconds === null) return;
    const pending = this.tree.size - this.covered;
    if (pending <= 0) return;
    const wait = this.pauseUntil - Date.now();
    if (wait > 0) {
      if (this.timer === undefined)
        this.timer = setTimeout(() => {
          this.timer = undefined;
          this.consider();
        }, wait).unref();
      return;
    }
    if ((events !== null && pending >= events) || pending > audit.MAX_CHECKPOINT_SPAN) return this.run();
    if (seconds !== null && this.timer === undefined)
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.run();
      }, seconds * 1000).unref();
  }

  private run(): void {
    if (this.signing !== undefined || this.stopped) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.signing = this.sign()
      .then(() => {
        this.failures = 0;
        this.pauseUntil = 0;
      })
      .catch((error: unknown) => {
        this.failures++;
        const pause = Math.min(60_000, 1000 * 2 ** (this.failures - 1));
        this.pauseUntil = Date.now() + pause;
        this.logger.warn(
          `no checkpoint signed (next attempt in ${pause / 1000} s): ${(error as Error).message}`,
        );
      })
      .finally(() => {
        this.signing = undefined;
        // Events that came in while signing may already call for the next one.
        this.consider();
      });
  }

  private async sign(): Promise<CheckpointView | null> {
    const { state } = await this.state();
    const from = state.lastCheckpoint?.treeSize ?? 0;
    // The last checkpoint's own event is covered by the next checkpoint, not a reason for one.
    this.covered = state.lastCheckpoint === null ? 0 : from + 1;
    if (this.tree.size <= this.covered) return null;
    // A long stretch (a ledger older than its audit key) is signed a span at a time.
    const size = Math.min(this.tree.size, from + audit.MAX_CHECKPOINT_SPAN);
    const root = this.tree.tree.root(size);
    const signNow = async (k: audit.AuditKey) =>
      signNote(
        buildCheckpoint({ origin: k.origin, size, rootHash: root, extensions: [] }),
        await this.signer(k),
      );
    let key = await this.auditKey();
    let note: string;
    try {
      note = await signNow(key);
    } catch (error) {
      if (!(error instanceof AuditKeyUnavailable) || !error.lost) throw error;
      this.logger.warn(`${error.message}: generating a new audit key`);
      key = await this.auditKey(true);
      note = await signNow(key);
    }
    const actor = this.core.systemActor();
    const ctx = this.core.context(actor);
    const { revision } = await appendDecision(
      this.core.store,
      AUDIT_STREAM,
      audit.auditDecider,
      audit.isAuditEvent,
      {
        type: 'RecordCheckpoint',
        data: {
          from,
          leaves: this.tree.leaves(from, size).toString('base64'),
          treeSize: size,
          rootHash: root.toString('hex'),
          note,
          keyId: key.keyId,
          at: ctx.now(),
        },
      },
      ctx,
      ctx.now(),
    );
    // Capped at a span: the rest follows at once (consider() runs after this one).
    this.covered = size < this.tree.size ? size : size + 1;
    writePrivate(path.join(this.config.dataDir, CHECKPOINT_FILE), note);
    const [event] = await this.core.store.readStream(AUDIT_STREAM, { fromRevision: revision, maxCount: 1 });
    this.logger.log(`checkpoint of ${size} events signed (root ${root.toString('hex').slice(0, 16)}…)`);
    return checkpointView(event!);
  }

  /**
   * The recorded audit key, generated on the first active HSM in a KEK domain when there is none
   * yet (or `replace`: the recorded one is lost); a replacement is a new key, recorded as such.
   */
  private async auditKey(replace = false): Promise<audit.AuditKey> {
    const { state } = await this.state();
    const current = state.keys[state.keys.length - 1];
    if (current !== undefined && !replace) return current;
    await this.core.reads.catchUp();
    const hsm = this.core.reads
      .hsms()
      .filter((d) => d.state.status === 'active' && (!replace || d.hsmId !== current?.hsmId))
      .sort((a, b) => a.registered.at.localeCompare(b.registered.at))[0];
    if (hsm === undefined) throw new AuditKeyUnavailable('no HSM is registered yet to hold the audit key');
    const target = await this.core.registry.active(hsm.hsmId);
    // EC P-256 on the HSM's token keystore, without EXPORTABLE: the private key never leaves it.
    const made = await this.core.registry.withHsm(target, async (client) => {
      const ref = await client.generateEc(Curve.P256, KeyFlag.USAGE_DIGITALSIGNATURE | KeyFlag.TOKEN);
      try {
        return { name: ref.uuid, spki: await client.getPublicKey(ref.handle) };
      } finally {
        await client.close(ref.handle).catch(() => undefined);
      }
    });
    const origin = this.config.auditOrigin ?? `keyledger.local/${randomUUID()}`;
    const key: audit.AuditKey = {
      keyId: ecdsaKeyId(made.spki).toString(16).padStart(8, '0'),
      spki: made.spki.toString('base64'),
      verifierKey: encodeVerifierKey(origin, made.spki),
      origin,
      hsmId: target.hsmId,
      hsmKeyName: made.name,
      at: this.core.clock.now().toISOString(),
    };
    const ctx = this.core.context(this.core.systemActor());
    await appendDecision(
      this.core.store,
      AUDIT_STREAM,
      audit.auditDecider,
      audit.isAuditEvent,
      { type: 'RecordAuditKey', data: key },
      ctx,
      ctx.now(),
    );
    this.logger.log(`audit key ${key.keyId} generated on ${target.name}; verifier key ${key.verifierKey}`);
    return key;
  }

  /** Signs through the HSM: ECDSA over SHA-256 of the note text, checked with the key before use. */
  private async signer(key: audit.AuditKey): Promise<NoteSigner> {
    const spki = Buffer.from(key.spki, 'base64');
    const publicKey = createPublicKey({ key: spki, format: 'der', type: 'spki' });
    let target: ActiveHsm;
    try {
      target = await this.core.registry.active(key.hsmId);
    } catch (error) {
      throw new AuditKeyUnavailable(
        `the HSM holding audit key ${key.keyId} cannot sign: ${(error as Error).message}`,
      );
    }
    return {
      name: key.origin,
      spki,
      sign: async (message) => {
        const raw = await this.core.registry.withHsm(target, (client) =>
          withKey(client, key.hsmKeyName, (handle) => client.sign(handle, { data: sha256(message) })),
        );
        if (raw === null)
          throw new AuditKeyUnavailable(
            `${target.name} no longer holds audit key ${key.keyId} (zeroized?)`,
            true,
          );
        const der = p1363ToDer(raw.value);
        if (!cryptoVerify('sha256', message, publicKey, der))
          throw new AuditKeyUnavailable(`${target.name} signed with another key than audit key ${key.keyId}`);
        return der;
      },
    };
  }
}

function checkpointView(event: RecordedEvent): CheckpointView {
  const d = event.data as audit.AuditCheckpointSigned['data'];
  return {
    treeSize: d.treeSize,
    rootHash: d.rootHash,
    note: d.note,
    keyId: d.keyId,
    signedAt: d.at,
    position: event.position,
  };
}

/** Written whole or not at all, readable by this user only. */
function writePrivate(file: string, content: string): void {
  const temp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temp, content, { mode: 0o600 });
  fs.renameSync(temp, file);
}
