import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { MAX_JSON_DEPTH, nestsDeeperThan } from './json-depth';
import { setupOpenApi } from './openapi';
import { BODY_LIMIT_BYTES, PROBLEM_CONTENT_TYPE, ProblemException, toProblem } from './problem';

/**
 * The HTTP server under the API: Fastify (Nest's Express adapter cost several times more CPU per
 * request, see BENCHMARKS.md). JSON bodies up to BODY_LIMIT; a trailing slash is ignored, as Express
 * did. Its own errors while parsing a body (unparsable JSON, too large, an unsupported media type)
 * reach the problem+json filter through Nest's error handler; the router's (a bad %-encoding in the
 * path) never reach Nest, so they are answered here in the same form. Route parameters may be long:
 * the DTOs bound them, with an error that names the parameter.
 */
export function createHttpAdapter(): FastifyAdapter {
  return new FastifyAdapter({
    bodyLimit: BODY_LIMIT_BYTES,
    logger: false,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 4096 },
    frameworkErrors: (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
      const body = toProblem(error, request.url.split('?')[0]);
      void reply.code(body.status).header('content-type', PROBLEM_CONTENT_TYPE).send(JSON.stringify(body));
    },
  });
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
