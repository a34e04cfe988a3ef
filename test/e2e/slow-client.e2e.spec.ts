/**
 * Acceptance, slow clients, over raw TCP (node:net) against the running service started with
 * KEYLEDGER_REQUEST_TIMEOUT_MS=1000: a request whose headers or body trickle in a byte every 400 ms
 * is answered 408 application/problem+json and its connection closed, within the timeout plus
 * Node's check interval (a quarter of it); a request that arrives in time is served, and a
 * keep-alive connection idle for longer than the timeout between requests is not cut.
 */
import * as net from 'node:net';
import { startService, type Service } from '../api/support/service';

const TIMEOUT_MS = 1000;
const DRIP_EVERY_MS = 400;
/** The cut comes at most a check interval (250 ms) after the timeout; the rest is slack for a busy machine. */
const CUT_WITHIN_MS = TIMEOUT_MS + 2000;

interface Answer {
  readonly statusLine: string;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** One HTTP/1.1 message out of `raw`, or undefined while it is incomplete (Content-Length bodies only). */
function parseAnswer(raw: string): { answer: Answer; rest: string } | undefined {
  const end = raw.indexOf('\r\n\r\n');
  if (end === -1) return undefined;
  const [statusLine, ...lines] = raw.slice(0, end).split('\r\n');
  const headers = Object.fromEntries(
    lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]),
  );
  const length = Number(headers['content-length'] ?? 0);
  const start = end + 4;
  if (Buffer.byteLength(raw.slice(start)) < length) return undefined;
  return {
    answer: { statusLine: statusLine!, headers, body: raw.slice(start, start + length) },
    rest: raw.slice(start + length),
  };
}

/**
 * Sends `head` at once, then `drip` one byte every DRIP_EVERY_MS until the server closes the
 * connection; resolves with what it answered and how long the connection lived.
 */
function trickle(
  url: string,
  head: string,
  drip: string,
): Promise<{ answer?: Answer; ms: number; sent: number }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const started = Date.now();
    let raw = '';
    let sent = 0;
    const socket = net.connect(Number(port), hostname, () => {
      socket.write(head);
      timer = setInterval(() => {
        if (sent < drip.length && socket.writable) socket.write(drip[sent++]!);
      }, DRIP_EVERY_MS);
    });
    let timer: NodeJS.Timeout | undefined;
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (raw += chunk));
    // The server resets the connection after its answer: what was read until then is what counts.
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearInterval(timer);
      resolve({ answer: parseAnswer(raw)?.answer, ms: Date.now() - started, sent });
    });
    setTimeout(() => {
      reject(new Error(`the connection was still open after 10 s: ${raw}`));
      socket.destroy();
    }, 10_000).unref();
  });
}

/** Sends each request on one connection, waiting `pauseMs` before each after the first. */
async function onOneConnection(url: string, requests: string[], pauseMs: number): Promise<Answer[]> {
  const { hostname, port } = new URL(url);
  const socket = net.connect(Number(port), hostname);
  socket.setEncoding('utf8');
  let raw = '';
  let closed = false;
  socket.on('data', (chunk: string) => (raw += chunk));
  socket.on('close', () => (closed = true));
  const answers: Answer[] = [];
  try {
    for (const [i, request] of requests.entries()) {
      if (i > 0) await new Promise((r) => setTimeout(r, pauseMs));
      if (closed) throw new Error(`the server closed the connection before request ${i + 1}: ${raw}`);
      socket.write(request);
      const deadline = Date.now() + 5000;
      let parsed = parseAnswer(raw);
      while (parsed === undefined && !closed && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 10));
        parsed = parseAnswer(raw);
      }
      if (parsed === undefined) throw new Error(`no answer to request ${i + 1}: ${raw}`);
      answers.push(parsed.answer);
      raw = parsed.rest;
    }
  } finally {
    socket.destroy();
  }
  return answers;
}

function expectTimeoutProblem(result: { answer?: Answer; ms: number }): void {
  expect(result.answer?.statusLine).toBe('HTTP/1.1 408 Request Timeout');
  expect(result.answer?.headers['content-type']).toBe('application/problem+json');
  expect(JSON.parse(result.answer!.body)).toEqual({
    type: 'https://keyledger.dev/problems/request-timeout',
    title: 'Request Timeout',
    status: 408,
    detail: `the request did not arrive in time: its headers may take ${TIMEOUT_MS} ms, the whole request ${TIMEOUT_MS} ms`,
  });
  expect(result.ms).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
  expect(result.ms).toBeLessThan(CUT_WITHIN_MS);
}

describe('slow clients are cut with 408 after KEYLEDGER_REQUEST_TIMEOUT_MS', () => {
  let svc: Service;

  beforeAll(async () => {
    svc = await startService({
      demo: false,
      prefix: 'kl-slow-',
      env: { KEYLEDGER_REQUEST_TIMEOUT_MS: String(TIMEOUT_MS) },
    });
  });
  afterAll(() => svc?.close());

  it('a body trickling in a byte every 400 ms: 408 problem+json, connection closed, nothing recorded', async () => {
    const position = await svc.position();
    const body = JSON.stringify({ hsm: 'hsm-nowhere', type: 'ec', label: 'trickled' });
    const result = await trickle(
      svc.url,
      'POST /v1/keys HTTP/1.1\r\nHost: keyledger\r\n' +
        `Authorization: Bearer ${svc.token}\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${body.length}\r\n\r\n`,
      body,
    );
    expectTimeoutProblem(result);
    expect(result.sent).toBeLessThan(body.length);
    expect(await svc.position()).toBe(position);
  });

  it('headers trickling in a byte every 400 ms: 408 problem+json, connection closed', async () => {
    const result = await trickle(
      svc.url,
      'GET /health HTTP/1.1\r\n',
      'Host: keyledger\r\nX-Slowly: one byte at a time\r\n\r\n',
    );
    expectTimeoutProblem(result);
  });

  it('a request that arrives in time is served, and an idle keep-alive connection is not cut', async () => {
    const request = 'GET /health HTTP/1.1\r\nHost: keyledger\r\n\r\n';
    const answers = await onOneConnection(svc.url, [request, request], TIMEOUT_MS + 500);
    expect(answers.map((a) => a.statusLine)).toEqual(['HTTP/1.1 200 OK', 'HTTP/1.1 200 OK']);
    expect((await svc.call('GET', '/v1/keys')).status).toBe(200);
  });
});
