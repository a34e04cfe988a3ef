/**
 * Precomputed ECDSA nonces for the engine's signing path. Computing k, R = k·G and k⁻¹ is the
 * costly part of an ECDSA signature; the pool does it ahead of the request, either between
 * requests on the event loop or on a worker thread, the way Cryptech's HSM hands point
 * multiplication to its FPGA cores while the ARM answers RPCs.
 */
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { randomFrom, wipe, type Rng } from './bytes';
import type { EcCurveName } from '../../lib/spki';
import { NONCE_KEY_BYTES, nonceSeedBytes, precomputeNonces, type EcdsaNonce } from './ecdsa';

export interface NoncePoolOptions {
  /** Tuples kept ready. Default 512. */
  readonly capacity?: number;
  /** Tuples computed per refill step (one batch inversion each). Default 32. */
  readonly batch?: number;
  /** Refill in the background while below capacity. Default true. */
  readonly background?: boolean;
  /**
   * Refill on a worker thread instead of in setImmediate steps on the caller's thread (only with
   * `background`). The caller's thread still computes a batch itself when the pool runs dry.
   * Default false.
   */
  readonly worker?: boolean;
  /** Told once if the worker fails (the pool then refills on the caller's thread). */
  readonly log?: (line: string) => void;
}

/** A batch request to the worker: the RNG stays on the caller's thread, only its bytes travel. */
export interface NonceBatchRequest {
  readonly curve: EcCurveName;
  readonly key: Uint8Array;
  readonly batch: number;
  readonly seeds: Uint8Array;
}

/** Worker batches requested at once: one computing while the next waits keeps the worker busy. */
const WORKER_BATCHES_IN_FLIGHT = 2;

/**
 * The worker script next to this module: the compiled `.js` in a build, the `.ts` source under a
 * TypeScript loader (then the worker needs the loader too).
 */
function startWorker(): Worker {
  const source = __filename.endsWith('.ts');
  const file = path.join(__dirname, `ecdsa-pool.worker${source ? '.ts' : '.js'}`);
  const execArgv =
    source && !process.execArgv.some((a) => a.includes('@swc-node/register'))
      ? [...process.execArgv, '-r', '@swc-node/register']
      : undefined;
  const worker = new Worker(file, { execArgv });
  worker.unref();
  return worker;
}

/**
 * A bounded pool of precomputed (r, k⁻¹) for one curve, from `precomputeNonces` with seeds from
 * `rng` and a pool key drawn from it once (so a seeded RNG gives reproducible batches). Tuples are
 * handed out once (popped and dropped). BigInts cannot be zeroed: a used k⁻¹ lives until the
 * garbage collector reclaims it; byte buffers that held seeds are wiped (on a worker, the copy
 * it received is wiped there).
 */
export class EcdsaNoncePool {
  private readonly ready: EcdsaNonce[] = [];
  private readonly capacity: number;
  private readonly batch: number;
  private readonly background: boolean;
  private readonly seedBytes: number;
  private readonly log: (line: string) => void;
  private poolKey: Buffer | undefined;
  private counter = 0;
  private scheduled: NodeJS.Immediate | undefined;
  private worker: Worker | undefined;
  private useWorker: boolean;
  private inFlight = 0;
  private closed = false;

  constructor(
    readonly curve: EcCurveName,
    private readonly rng: Rng,
    options: NoncePoolOptions = {},
  ) {
    this.seedBytes = nonceSeedBytes(curve);
    this.capacity = Math.max(1, options.capacity ?? 512);
    this.batch = Math.max(1, Math.min(options.batch ?? 32, this.capacity));
    this.background = options.background ?? true;
    this.useWorker = this.background && (options.worker ?? false);
    this.log = options.log ?? (() => undefined);
  }

  /** Tuples ready. */
  get size(): number {
    return this.ready.length;
  }

  /** The next unused nonce; computes a batch now only if none is ready. */
  take(): EcdsaNonce {
    if (this.closed) throw new Error(`ECDSA nonce pool for ${this.curve} is closed`);
    if (this.ready.length === 0) this.compute(this.batch);
    const nonce = this.ready.pop()!;
    this.scheduleRefill();
    return nonce;
  }

  /** Computes tuples now until `count` are ready (at most the capacity). */
  fill(count = this.capacity): void {
    const target = Math.min(count, this.capacity);
    while (!this.closed && this.ready.length < target)
      this.compute(Math.min(this.batch, target - this.ready.length));
  }

  /** Drops every tuple and the pool key, and stops refilling (the worker too). */
  close(): void {
    this.closed = true;
    if (this.scheduled) clearImmediate(this.scheduled);
    this.scheduled = undefined;
    void this.worker?.terminate();
    this.worker = undefined;
    this.ready.length = 0;
    this.poolKey?.fill(0);
    this.poolKey = undefined;
  }

  private key(): Buffer {
    return (this.poolKey ??= Buffer.from(randomFrom(this.rng, NONCE_KEY_BYTES)));
  }

  private scheduleRefill(): void {
    if (!this.background || this.closed) return;
    if (this.useWorker) {
      while (
        this.useWorker &&
        this.inFlight < WORKER_BATCHES_IN_FLIGHT &&
        this.ready.length + (this.inFlight + 1) * this.batch <= this.capacity
      )
        this.requestBatch();
      return;
    }
    if (this.scheduled || this.ready.length >= this.capacity) return;
    this.scheduled = setImmediate(() => {
      this.scheduled = undefined;
      if (this.closed) return;
      this.compute(Math.min(this.batch, this.capacity - this.ready.length));
      this.scheduleRefill();
    });
    this.scheduled.unref();
  }

  /** Adds up to `m` tuples on this thread (fewer only if some R had x ≡ 0 mod n). */
  private compute(m: number): void {
    const seeds = randomFrom(this.rng, m * this.seedBytes);
    try {
      for (const nonce of precomputeNonces(this.curve, this.key(), this.counter++, seeds))
        this.ready.push(nonce);
    } finally {
      wipe(seeds);
    }
  }

  private requestBatch(): void {
    let worker = this.worker;
    if (!worker) {
      try {
        worker = this.worker = startWorker();
      } catch (error) {
        this.workerFailed(error);
        return;
      }
      worker.on('message', (nonces: EcdsaNonce[]) => {
        this.inFlight--;
        if (this.closed) return;
        for (const nonce of nonces) this.ready.push(nonce);
        this.scheduleRefill();
      });
      worker.on('error', (error) => this.workerFailed(error));
      worker.on('exit', (code) => {
        if (!this.closed && this.worker === worker) this.workerFailed(new Error(`exited with code ${code}`));
      });
    }
    const seeds = randomFrom(this.rng, this.batch * this.seedBytes);
    const request: NonceBatchRequest = { curve: this.curve, key: this.key(), batch: this.counter++, seeds };
    this.inFlight++;
    worker.postMessage(request);
    wipe(seeds);
  }

  /** The worker could not start or died: refill on this thread from now on. */
  private workerFailed(error: unknown): void {
    if (!this.useWorker) return;
    this.useWorker = false;
    this.inFlight = 0;
    void this.worker?.terminate();
    this.worker = undefined;
    this.log(
      `soft-hsm: ECDSA nonce worker failed (${(error as Error)?.message ?? String(error)}); precomputing on the main thread`,
    );
    this.scheduleRefill();
  }
}
