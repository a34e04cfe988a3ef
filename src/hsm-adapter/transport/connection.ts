/**
 * One RPC connection to an HSM (docs/libhal-rpc.md §1). The protocol has no request ids (§1.2), so a
 * connection carries one request at a time: calls queue and are sent in order. A call that times
 * out destroys its connection, because the late reply would be taken for the next call's.
 */
import { HAL_RPC_MAX_PKT_SIZE, RPC_REQUEST_HEADER_SIZE, rpcName } from '../constants';
import { HsmTransportError, type HsmError } from '../errors';

export interface CallOptions {
  /** How long to wait for the response once the request is sent, in ms. */
  readonly timeoutMs: number;
}

export type CloseListener = (cause: Error | undefined) => void;

export interface RpcConnection {
  /** Names the peer in messages (e.g. `unix:/tmp/.cryptech_muxd.rpc#2`); never holds secrets. */
  readonly label: string;
  readonly closed: boolean;
  /**
   * Sends one request payload (`func`, client word, arguments; not SLIP-encoded) and resolves with
   * the response payload whose first word is `func` (§1.2). Rejects with `HsmTransportError` when
   * the connection is or becomes closed or the call times out, and with the `HsmProtocolError` that
   * broke the connection when the peer sent bytes that violate the protocol.
   */
  call(func: number, request: Uint8Array, options: CallOptions): Promise<Buffer>;
  /** Closes the connection; queued and in-flight calls reject. Idempotent. */
  close(cause?: Error): void;
  /** `listener` runs once, when the connection closes for any reason (at once if it already has). */
  onClose(listener: CloseListener): void;
}

/** Makes a new connection; rejects with `HsmTransportError` if the peer cannot be reached. */
export type ConnectionFactory = () => Promise<RpcConnection>;

/**
 * The taxonomy kind of an error (errors.ts), read from its discriminant rather than its class
 * (docs/style.md §8); undefined for anything else.
 */
export function errorKind(error: unknown): HsmError['kind'] | undefined {
  const kind = error instanceof Error ? (error as { kind?: unknown }).kind : undefined;
  return kind === 'status' || kind === 'protocol' || kind === 'transport' ? kind : undefined;
}

/** The RPC's name for messages: `PKEY_SIGN`, or `function 77` for a code libhal lacks. */
export function rpcLabel(func: number): string {
  return rpcName(func) ?? `function ${func}`;
}

/** Asserts `timeoutMs` is a usable timer delay (setTimeout clamps anything above 2^31-1 to 1 ms). */
export function checkTimeout(field: string, ms: number): number {
  if (!(Number.isInteger(ms) && ms > 0 && ms <= 0x7fffffff))
    throw new RangeError(`"${field}" expected an integer number of ms in 1..2147483647, got ${ms}`);
  return ms;
}

/** Asserts a request payload is well formed before anything is sent (§1.5, §3.1). */
function checkRequest(func: number, request: Uint8Array): void {
  if (!(Number.isInteger(func) && func >= 0 && func <= 0xffffffff))
    throw new RangeError(`"func" expected a u32, got ${func}`);
  if (!(request instanceof Uint8Array)) throw new TypeError('"request" expected bytes (Uint8Array)');
  if (request.length < RPC_REQUEST_HEADER_SIZE || request.length > HAL_RPC_MAX_PKT_SIZE)
    throw new RangeError(
      `"request" expected ${RPC_REQUEST_HEADER_SIZE}..${HAL_RPC_MAX_PKT_SIZE} bytes, got ${request.length}`,
    );
  const first = ((request[0] << 24) | (request[1] << 16) | (request[2] << 8) | request[3]) >>> 0;
  if (first !== func) throw new RangeError(`"request" starts with function ${first}, not ${func}`);
}

interface InFlight {
  readonly rpc: string;
  readonly func: number;
  succeed(frame: Buffer): void;
  fail(error: Error): void;
}

/**
 * The queue, timeout and close handling shared by every transport. A subclass implements
 * `exchange` (send one request; either return a promise of its response, or return nothing and
 * later hand the response to `complete`) and `release` (free the resource).
 */
export abstract class SerialConnection implements RpcConnection {
  private tail: Promise<unknown> = Promise.resolve();
  private inFlight: InFlight | undefined;
  private closeCause: Error | undefined;
  private isClosed = false;
  private readonly listeners: CloseListener[] = [];

  constructor(readonly label: string) {}

  get closed(): boolean {
    return this.isClosed;
  }

  call(func: number, request: Uint8Array, options: CallOptions): Promise<Buffer> {
    try {
      checkRequest(func, request);
      checkTimeout('timeoutMs', options.timeoutMs);
    } catch (error) {
      return Promise.reject(error);
    }
    const rpc = rpcLabel(func);
    const run = () => this.runOne(func, rpc, request, options.timeoutMs);
    const result = this.tail.then(run, run);
    this.tail = result.catch(() => undefined);
    return result;
  }

  close(cause?: Error): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.closeCause = cause;
    const current = this.inFlight;
    this.inFlight = undefined;
    current?.fail(this.closedError(current.rpc, 'while waiting for the response', true));
    this.release();
    for (const listener of this.listeners.splice(0)) listener(cause);
  }

  onClose(listener: CloseListener): void {
    if (this.isClosed) listener(this.closeCause);
    else this.listeners.push(listener);
  }

  /**
   * Sends `request`; called with at most one call in flight. Returns the response to `func`, or
   * nothing if the response will come as an event (then call `complete`, or `close` on failure).
   */
  protected abstract exchange(func: number, request: Uint8Array): Promise<Buffer> | void;

  /** The function code whose response the call in flight waits for, if any. */
  protected get awaiting(): number | undefined {
    return this.inFlight?.func;
  }

  /**
   * Completes the call in flight with its response, synchronously: a frame that arrives right
   * after it in the same chunk then finds no call waiting.
   */
  protected complete(frame: Buffer): void {
    this.inFlight?.succeed(frame);
  }

  /** Frees the underlying resource (socket); called once, from `close`. */
  protected abstract release(): void;

  /**
   * What a call learns when the connection closes: the call in flight gets the cause itself if it
   * is its own timeout or a protocol violation of the peer; otherwise (other causes, and calls not
   * yet sent) a transport error that keeps the cause.
   */
  private closedError(rpc: string, when: string, inFlight = false): Error {
    const cause = this.closeCause;
    const kind = errorKind(cause);
    if (inFlight && cause && kind && ((cause as HsmError).rpc === rpc || kind === 'protocol')) return cause;
    const why = cause ? `: ${cause.message}` : '';
    return new HsmTransportError(`${rpc}: connection ${this.label} closed ${when}${why}`, rpc, { cause });
  }

  private runOne(func: number, rpc: string, request: Uint8Array, timeoutMs: number): Promise<Buffer> {
    if (this.isClosed) return Promise.reject(this.closedError(rpc, 'before the request was sent'));
    return new Promise<Buffer>((resolve, reject) => {
      let done = false;
      const settle = (error: Error | undefined, frame?: Buffer) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        if (this.inFlight === entry) this.inFlight = undefined;
        if (error) reject(error);
        else resolve(frame as Buffer);
      };
      const entry: InFlight = {
        rpc,
        func,
        succeed: (frame) => settle(undefined, frame),
        fail: (error) => settle(error),
      };
      const timer = setTimeout(() => {
        // The reply may still come: only a new connection is safe to use (§1.2).
        this.close(
          new HsmTransportError(
            `${rpc} got no response from ${this.label} within ${timeoutMs} ms; the connection was dropped`,
            rpc,
          ),
        );
      }, timeoutMs);
      this.inFlight = entry;
      let exchanged: Promise<Buffer> | void;
      try {
        exchanged = this.exchange(func, request);
      } catch (error) {
        exchanged = Promise.reject(error);
      }
      exchanged?.then(
        (frame) => settle(undefined, frame),
        (error: unknown) => {
          const err = error instanceof Error ? error : new Error(String(error));
          // A transport that fails an exchange cannot be trusted with the next one.
          this.close(err);
          settle(err);
        },
      );
    });
  }
}
