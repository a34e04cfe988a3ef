import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { Socket } from 'node:net';
import { MAX_JSON_DEPTH, nestsDeeperThan } from './json-depth';
import { setupOpenApi } from './openapi';
import {
  BODY_LIMIT_BYTES,
  PROBLEM_CONTENT_TYPE,
  ProblemException,
  connectionProblem,
  toProblem,
} from './problem';

/** Request headers must have arrived within this, or within the request timeout if that is shorter. */
export const HEADERS_TIMEOUT_CAP_MS = 10_000;

/** How long a client may take to send a request, from `KEYLEDGER_REQUEST_TIMEOUT_MS` (src/app/config.ts). */
export interface HttpTimeouts {
  /** The whole request, headers and body. */
  readonly requestMs: number;
  readonly headersMs: number;
  /** How often Node looks for requests past either bound. */
  readonly checkEveryMs: number;
}

export function httpTimeouts(requestTimeoutMs: number): HttpTimeouts {
  const headersMs = Math.min(HEADERS_TIMEOUT_CAP_MS, requestTimeoutMs);
  // Node cuts an expired request only when it next checks (`connectionsCheckingInterval`, 30 s by
  // default, which let a trickling body live on): checking every quarter of the header bound, at
  // most every second, cuts a request at most a quarter (or a second) late.
  return { requestMs: requestTimeoutMs, headersMs, checkEveryMs: Math.min(1000, Math.ceil(headersMs / 4)) };
}

/**
 * The HTTP server under the API: Fastify (Nest's Express adapter cost several times more CPU per
 * request, see BENCHMARKS.md). JSON bodies up to BODY_LIMIT; a trailing slash is ignored, as Express
 * did. Its own errors while parsing a body (unparsable JSON, too large, an unsupported media type)
 * reach the problem+json filter through Nest's error handler; the router's (a bad %-encoding in the
 * path) never reach Nest, so they are answered here in the same form. Route parameters may be long:
 * the DTOs bound them, with an error that names the parameter. A client that sends its headers or
 * its whole request too slowly is answered 408 by Node's HTTP server (`headersTimeout`,
 * `requestTimeout`), in problem+json through `answerClientError`, and the connection is closed.
 */
export function createHttpAdapter(timeouts: HttpTimeouts): FastifyAdapter {
  return new FastifyAdapter({
    bodyLimit: BODY_LIMIT_BYTES,
    logger: false,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 4096 },
    // Fastify sets the server's requestTimeout from its own option (0, none, unless given).
    requestTimeout: timeouts.requestMs,
    http: {
      headersTimeout: timeouts.headersMs,
      requestTimeout: timeouts.requestMs,
      connectionsCheckingInterval: timeouts.checkEveryMs,
    },
    clientErrorHandler: (error, socket) => answerClientError(error, socket, timeouts),
    frameworkErrors: (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
      const body = toProblem(error, request.url.split('?')[0]);
      void reply.code(body.status).header('content-type', PROBLEM_CONTENT_TYPE).send(JSON.stringify(body));
    },
  });
}

/**
 * What Node's HTTP server refuses before there is a request to route: a timeout (408), headers over
 * its size limit (431) or bytes that are not HTTP (400), the statuses Fastify's default handler
 * gives them, written as problem+json without `instance` (the request line may not have been read;
 * RFC 9457 §3.1.5 makes it optional). The connection is closed either way.
 */
function answerClientError(error: Error & { code?: string }, socket: Socket, timeouts: HttpTimeouts): void {
  // A reset connection has no one left to answer.
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  // As Node's own handler does: never write a status line into a response that has begun.
  const inFlight = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (socket.writable && inFlight?.headersSent !== true) {
    const problem = clientErrorProblem(error.code, timeouts);
    const body = JSON.stringify(problem);
    socket.write(
      `HTTP/1.1 ${problem.status} ${problem.title}\r\nConnection: close\r\n` +
        `Content-Type: ${PROBLEM_CONTENT_TYPE}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}

function clientErrorProblem(
  code: string | undefined,
  timeouts: HttpTimeouts,
): ReturnType<typeof connectionProblem> {
  switch (code) {
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return connectionProblem(
        408,
        'request-timeout',
        `the request did not arrive in time: its headers may take ${timeouts.headersMs} ms, the whole request ${timeouts.requestMs} ms`,
      );
    case 'HPE_HEADER_OVERFLOW':
      return connectionProblem(
        431,
        'headers-too-large',
        'the request headers are larger than the service accepts',
      );
    default:
      return connectionProblem(400, 'malformed-request', 'the request is not valid HTTP/1.1');
  }
}

/**
 * HTTP settings of the API on a Nest app built on `createHttpAdapter()` with `bodyParser: false`
 * (the body parser is this one): JSON bodies only, an empty body labelled JSON counts as no body
 * (as on Express: clients send the header on a DELETE), a body nested deeper than MAX_JSON_DEPTH
 * is refused before it is parsed (src/api/json-depth.ts), and the OpenAPI document.
 */
export function configureHttp(app: NestFastifyApplication, version: string): void {
  const fastify = app.getHttpAdapter().getInstance();
  const json = fastify.getDefaultJsonParser('error', 'error');
  // JSON only: a body in any other media type (text/plain included, which Fastify would hand over
  // as a string) is a 415 that names the type to send.
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = body as string;
    if (text === '') done(null, undefined);
    else if (nestsDeeperThan(text, MAX_JSON_DEPTH)) done(tooDeep(), undefined);
    else json(request, text, done);
  });
  setupOpenApi(app, version);
}

function tooDeep(): ProblemException {
  return new ProblemException(
    400,
    'body-too-deep',
    `the request body nests arrays and objects more than ${MAX_JSON_DEPTH} levels deep`,
  );
}
