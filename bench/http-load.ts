/**
 * A lean HTTP/1.1 load generator for the benchmarks, run in a child process so that the client's CPU
 * does not come out of the service's event loop (undici's `fetch` costs about as much CPU per request
 * as the service itself).
 *
 * Plain `node:net` sockets with keep-alive: `connections` sockets, one request in flight on each (no
 * pipelining). Requests are serialized to bytes once and cycled through in order. Responses are
 * parsed just enough to find where each ends (status line, headers, then a `Content-Length` or
 * chunked body); any status outside 2xx (or a 2xx body without `okBodyIncludes`) counts as an error
 * and the first error's body is reported.
 * Nothing here depends on the server's framework.
 *
 * The parent side is `startLoadGenerator()`; the same file, started by it with `fork`, is the child.
 */
import { fork, type ChildProcess } from 'node:child_process';
import * as net from 'node:net';
import * as path from 'node:path';

export interface LoadRequest {
  method: string;
  /** Path and query, e.g. `/v1/keys/abc/sign`. */
  path: string;
  /** Sent as JSON (`Content-Type: application/json`); no body and no `Content-Type` when absent. */
  body?: unknown;
}

export interface LoadSpec {
  host: string;
  port: number;
  /** Sent as `Authorization: Bearer <token>`. */
  token: string;
  /** Cycled through in order: request i is `requests[i % requests.length]`. */
  requests: LoadRequest[];
  /** Requests to complete in this run. */
  total: number;
  /** Keep-alive connections, one request in flight on each. */
  connections: number;
  /**
   * A 2xx answer counts as an error unless its body contains this text (a sign batch answers 200
   * whatever its items did, so its body must say `"failed":0}`).
   */
  okBodyIncludes?: string;
}

export interface LoadResult {
  /** Completed requests per second (whole number), timed from all connections open to the last response. */
  rate: number;
  /** Responses with a status outside 2xx. */
  errors: number;
  /** `METHOD path -> status: body` of the first such response. */
  firstError?: string;
  completed: number;
  seconds: number;
}

export interface LoadGenerator {
  run(spec: LoadSpec): Promise<LoadResult>;
  stop(): Promise<void>;
}

type ToChild = { type: 'run'; id: number; spec: LoadSpec };
type FromChild =
  { type: 'result'; id: number; result: LoadResult } | { type: 'failed'; id: number; message: string };

// ---------------------------------------------------------------------------------------------
// Parent side
// ---------------------------------------------------------------------------------------------

/** Forks the load generator; it stays up for several `run`s until `stop`. */
export function startLoadGenerator(): LoadGenerator {
  const child: ChildProcess = fork(__filename, [], {
    cwd: path.resolve(__dirname, '..'),
    execArgv: ['-r', '@swc-node/register'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const pending = new Map<number, { resolve(r: LoadResult): void; reject(e: Error): void }>();
  let nextId = 0;
  let exited: Error | undefined;
  const exit = new Promise<void>((resolve) => {
    child.on('exit', (code, signal) => {
      exited = new Error(`load generator exited (code ${code}, signal ${signal})`);
      for (const { reject } of pending.values()) reject(exited);
      pending.clear();
      resolve();
    });
  });
  child.on('error', (error) => {
    for (const { reject } of pending.values()) reject(error);
    pending.clear();
  });
  child.on('message', (message: FromChild) => {
    const waiter = pending.get(message.id);
    if (!waiter) return;
    pending.delete(message.id);
    if (message.type === 'result') waiter.resolve(message.result);
    else waiter.reject(new Error(`load generator: ${message.message}`));
  });
  return {
    run: (spec) =>
      new Promise<LoadResult>((resolve, reject) => {
        if (exited) return reject(exited);
        const id = nextId++;
        pending.set(id, { resolve, reject });
        child.send({ type: 'run', id, spec } satisfies ToChild);
      }),
    stop: async () => {
      if (!exited) {
        if (child.connected)
          child.disconnect(); // the child exits when its IPC channel closes
        else child.kill('SIGTERM');
      }
      await exit;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Child side
// ---------------------------------------------------------------------------------------------

class ProtocolError extends Error {}

const CRLF = Buffer.from('\r\n');
const HEAD_END = Buffer.from('\r\n\r\n');
const MAX_HEAD = 64 * 1024;

function serialize(spec: LoadSpec, request: LoadRequest): Buffer {
  const hostHeader = net.isIPv6(spec.host) ? `[${spec.host}]:${spec.port}` : `${spec.host}:${spec.port}`;
  const body = request.body === undefined ? undefined : Buffer.from(JSON.stringify(request.body));
  // No Content-Type without a body: Fastify refuses an empty body declared as JSON (400).
  const head =
    `${request.method} ${request.path} HTTP/1.1\r\n` +
    `Host: ${hostHeader}\r\n` +
    `Authorization: Bearer ${spec.token}\r\n` +
    (body ? 'Content-Type: application/json\r\n' : '') +
    `Content-Length: ${body?.length ?? 0}\r\n` +
    '\r\n';
  return body ? Buffer.concat([Buffer.from(head, 'latin1'), body]) : Buffer.from(head, 'latin1');
}

interface Response {
  status: number;
  body: Buffer;
  /** The server said `Connection: close` (or spoke HTTP/1.0 without keep-alive). */
  close: boolean;
}

/**
 * Incremental parser for one connection's responses. `push` takes the bytes as they arrive and
 * returns each response as soon as it is complete; at most one is outstanding here, but bytes of
 * several are handled.
 */
class ResponseParser {
  private buffer: Buffer = Buffer.alloc(0);
  private head: { status: number; close: boolean } | undefined;
  /** Remaining Content-Length body bytes, or 'chunked'. */
  private framing: number | 'chunked' = 0;
  private chunks: Buffer[] = [];

  constructor(private readonly noBody: () => boolean) {}

  push(data: Buffer, onResponse: (response: Response) => void): void {
    this.buffer = this.buffer.length === 0 ? data : Buffer.concat([this.buffer, data]);
    for (;;) {
      if (this.head === undefined && !this.parseHead()) return;
      const body = this.framing === 'chunked' ? this.parseChunked() : this.parseLength();
      if (body === undefined) return;
      const head = this.head!;
      this.head = undefined;
      onResponse({ status: head.status, body, close: head.close });
    }
  }

  /** Whether bytes of an unfinished response are buffered. */
  get busy(): boolean {
    return this.head !== undefined || this.buffer.length > 0;
  }

  private parseHead(): boolean {
    const end = this.buffer.indexOf(HEAD_END);
    if (end < 0) {
      if (this.buffer.length > MAX_HEAD) throw new ProtocolError('response head over 64 KiB');
      return false;
    }
    const lines = this.buffer.toString('latin1', 0, end).split('\r\n');
    this.buffer = this.buffer.subarray(end + HEAD_END.length);
    const statusLine = /^HTTP\/1\.([01]) (\d{3})(?: |$)/.exec(lines[0]);
    if (!statusLine) throw new ProtocolError(`bad status line ${JSON.stringify(lines[0].slice(0, 100))}`);
    const status = Number(statusLine[2]);
    if (status < 200) throw new ProtocolError(`unexpected informational response ${status}`);
    let contentLength: number | undefined;
    let chunked = false;
    let connection = '';
    for (let i = 1; i < lines.length; i++) {
      const colon = lines[i].indexOf(':');
      if (colon <= 0) throw new ProtocolError(`bad header line ${JSON.stringify(lines[i].slice(0, 100))}`);
      const name = lines[i].slice(0, colon).trim().toLowerCase();
      const value = lines[i].slice(colon + 1).trim();
      if (name === 'content-length') {
        if (!/^\d+$/.test(value) || (contentLength !== undefined && contentLength !== Number(value)))
          throw new ProtocolError(`bad Content-Length ${JSON.stringify(value)}`);
        contentLength = Number(value);
      } else if (name === 'transfer-encoding') {
        const codings = value
          .toLowerCase()
          .split(',')
          .map((c) => c.trim());
        if (codings.length !== 1 || codings[0] !== 'chunked')
          throw new ProtocolError(`unsupported Transfer-Encoding ${JSON.stringify(value)}`);
        chunked = true;
      } else if (name === 'connection') {
        connection = value.toLowerCase();
      }
    }
    const close = statusLine[1] === '0' ? !/\bkeep-alive\b/.test(connection) : /\bclose\b/.test(connection);
    this.head = { status, close };
    this.chunks = [];
    if (this.noBody() || status === 204 || status === 304) this.framing = 0;
    else if (chunked) this.framing = 'chunked';
    else if (contentLength !== undefined) this.framing = contentLength;
    else throw new ProtocolError(`response ${status} has neither Content-Length nor chunked framing`);
    return true;
  }

  private parseLength(): Buffer | undefined {
    const length = this.framing as number;
    if (this.buffer.length < length) return undefined;
    const body = this.buffer.subarray(0, length);
    this.buffer = this.buffer.subarray(length);
    return body;
  }

  /** RFC 9112 section 7.1: size [;ext] CRLF data CRLF ... 0 CRLF [trailers CRLF] CRLF. */
  private parseChunked(): Buffer | undefined {
    for (;;) {
      const lineEnd = this.buffer.indexOf(CRLF);
      if (lineEnd < 0) {
        if (this.buffer.length > MAX_HEAD) throw new ProtocolError('chunk size line too long');
        return undefined;
      }
      const sizeText = this.buffer.toString('latin1', 0, lineEnd).split(';')[0].trim();
      if (!/^[0-9a-fA-F]+$/.test(sizeText))
        throw new ProtocolError(`bad chunk size ${JSON.stringify(sizeText)}`);
      const size = parseInt(sizeText, 16);
      if (size === 0) {
        // Trailer section: header lines up to an empty line.
        let at = lineEnd + CRLF.length;
        for (;;) {
          const end = this.buffer.indexOf(CRLF, at);
          if (end < 0) return undefined;
          if (end === at) {
            this.buffer = this.buffer.subarray(end + CRLF.length);
            return Buffer.concat(this.chunks);
          }
          at = end + CRLF.length;
        }
      }
      const dataStart = lineEnd + CRLF.length;
      if (this.buffer.length < dataStart + size + CRLF.length) return undefined;
      if (this.buffer[dataStart + size] !== 0x0d || this.buffer[dataStart + size + 1] !== 0x0a)
        throw new ProtocolError('chunk data not followed by CRLF');
      this.chunks.push(this.buffer.subarray(dataStart, dataStart + size));
      this.buffer = this.buffer.subarray(dataStart + size + CRLF.length);
    }
  }
}

function connect(host: string, port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port, noDelay: true });
    socket.once('connect', () => {
      socket.off('error', reject);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

async function runLoad(spec: LoadSpec): Promise<LoadResult> {
  if (spec.requests.length === 0) throw new Error('no requests');
  if (!(spec.connections >= 1) || !(spec.total >= 1)) throw new Error('connections and total must be ≥ 1');
  const wire = spec.requests.map((request) => serialize(spec, request));
  const connections = Math.min(spec.connections, spec.total);
  const sockets = await Promise.all(Array.from({ length: connections }, () => connect(spec.host, spec.port)));
  let issued = 0;
  let completed = 0;
  let errors = 0;
  let firstError: string | undefined;
  const start = process.hrtime.bigint();
  try {
    await new Promise<void>((resolve, reject) => {
      let failed = false;
      const fail = (error: Error): void => {
        if (failed) return;
        failed = true;
        reject(error);
      };
      const drive = (initial: net.Socket): void => {
        let socket = initial;
        let current = -1; // index into spec.requests of the request in flight
        const parser = new ResponseParser(() => current >= 0 && spec.requests[current].method === 'HEAD');
        const send = (): void => {
          if (issued >= spec.total) return;
          current = issued++ % wire.length;
          socket.write(wire[current]);
        };
        const onResponse = (response: Response): void => {
          if (current < 0) throw new ProtocolError(`unsolicited response ${response.status}`);
          const request = spec.requests[current];
          current = -1;
          completed++;
          const ok =
            response.status >= 200 &&
            response.status <= 299 &&
            (spec.okBodyIncludes === undefined || response.body.includes(spec.okBodyIncludes));
          if (!ok) {
            errors++;
            firstError ??= `${request.method} ${request.path} -> ${response.status}: ${response.body.toString('utf8', 0, 2000)}`;
          }
          if (completed === spec.total) return resolve();
          if (response.close) {
            // The server will close this connection: open another (not timed separately; rare).
            socket.removeAllListeners();
            socket.destroy();
            connect(spec.host, spec.port).then((next) => {
              sockets.push(next);
              attach(next);
            }, fail);
          } else {
            send();
          }
        };
        const attach = (next: net.Socket): void => {
          socket = next;
          socket.on('data', (data: Buffer) => {
            try {
              parser.push(data, onResponse);
            } catch (error) {
              fail(error as Error);
            }
          });
          socket.on('error', fail);
          socket.on('close', () => {
            if (completed < spec.total && (current >= 0 || parser.busy))
              fail(
                new Error(
                  `server closed a connection with a request in flight (${completed}/${spec.total} done)`,
                ),
              );
          });
          send();
        };
        attach(initial);
      };
      sockets.forEach(drive);
    });
  } finally {
    for (const socket of sockets) {
      socket.removeAllListeners();
      socket.destroy();
    }
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return { rate: Math.round(completed / seconds), errors, firstError, completed, seconds };
}

if (require.main === module) {
  process.on('message', (message: ToChild) => {
    if (message.type !== 'run') return;
    runLoad(message.spec).then(
      (result) => process.send!({ type: 'result', id: message.id, result } satisfies FromChild),
      (error: unknown) =>
        process.send!({
          type: 'failed',
          id: message.id,
          message: error instanceof Error ? error.message : String(error),
        } satisfies FromChild),
    );
  });
  process.on('disconnect', () => process.exit(0));
}

/** The run's rate, or an error naming `what` and the first failed request when any failed. */
export function checked(result: LoadResult, what: string): number {
  if (result.errors > 0)
    throw new Error(
      `${what}: ${result.errors} of ${result.completed} requests failed; first: ${result.firstError}`,
    );
  return result.rate;
}
