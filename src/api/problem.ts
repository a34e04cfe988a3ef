/**
 * RFC 9457 problem details: the one place that turns an error into `{type, title, status, detail,
 * instance}`. Every mapping is on a string discriminant (`type`, `kind`), never on class identity
 * across a boundary (STYLE). Messages of our own errors are written for people and carry no
 * secrets; anything unknown becomes a 500 that says nothing about internals.
 */
import { HttpException, HttpStatus } from '@nestjs/common';
import { CustodyInvalidInput, CustodyNotFound } from '../app/custody/errors';
import { DomainError } from '../domain/errors';
import { HalStatusError, HsmError } from '../hsm-adapter/errors';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';
/** JSON request bodies above this are refused with 413 (the biggest legitimate body is a blob or sign data). */
export const BODY_LIMIT = '1mb';
export const BODY_LIMIT_BYTES = 1024 * 1024;
const TYPE_BASE = 'https://keyledger.dev/problems/';

export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly instance: string;
  /** Extension members (RFC 9457 §3.2), e.g. `errors` for validation or `hsmStatus`. */
  readonly [extension: string]: unknown;
}

/** Domain refusals that mean "no such thing" rather than "conflicts with the custody rules". */
const NOT_FOUND_TYPES = new Set([
  'key-not-found',
  'hsm-not-registered',
  'kek-domain-not-found',
  'unknown-blob',
  'unknown-copy',
  'unknown-operation',
]);
/** Domain refusals of a malformed command: the request is understood but cannot be processed. */
const UNPROCESSABLE_TYPES = new Set(['invalid-command', 'too-big']);

const TITLES: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
};

export function problem(
  status: number,
  type: string,
  detail: string,
  instance: string,
  extensions: Record<string, unknown> = {},
): Problem {
  return {
    type: `${TYPE_BASE}${type}`,
    title: TITLES[status] ?? 'Error',
    status,
    detail,
    instance,
    ...extensions,
  };
}

/** `ValidationFailed` carries field-level errors from the validation pipe (see validation.ts). */
export class ValidationFailed extends HttpException {
  constructor(
    readonly detail: string,
    readonly errors: readonly { field: string; messages: string[] }[],
  ) {
    super(detail, HttpStatus.BAD_REQUEST);
  }
}

/** A problem decided by a controller (e.g. a refused blob), with its own type and extension members. */
export class ProblemException extends Error {
  constructor(
    readonly status: number,
    readonly problemType: string,
    readonly detail: string,
    readonly extensions: Record<string, unknown> = {},
  ) {
    super(detail);
  }
}

/** What Fastify throws for a request it cannot route or parse: a `FST_ERR_…` code and a 4xx status. */
interface FastifyError extends Error {
  readonly code: string;
  readonly statusCode: number;
}

function isFastifyError(error: unknown): error is FastifyError {
  const { code, statusCode } = (error ?? {}) as Partial<FastifyError>;
  return typeof code === 'string' && code.startsWith('FST_ERR_') && typeof statusCode === 'number';
}

/** Maps anything thrown while serving `instance` (the request path) to a problem. */
export function toProblem(error: unknown, instance: string): Problem {
  if (error instanceof ValidationFailed) {
    return problem(400, 'validation-failed', error.detail, instance, { errors: error.errors });
  }
  if (error instanceof ProblemException) {
    return problem(error.status, error.problemType, error.detail, instance, error.extensions);
  }
  if (error instanceof HttpException) return fromHttpException(error, instance);
  if (error instanceof CustodyNotFound) return problem(404, 'not-found', error.message, instance);
  if (error instanceof CustodyInvalidInput) return problem(422, 'invalid-input', error.message, instance);
  if (error instanceof DomainError) {
    const status = NOT_FOUND_TYPES.has(error.type) ? 404 : UNPROCESSABLE_TYPES.has(error.type) ? 422 : 409;
    return problem(status, error.type, error.message, instance);
  }
  if (error instanceof HalStatusError) {
    return problem(502, 'hsm-error', error.message, instance, { hsmStatus: error.status, rpc: error.rpc });
  }
  if (error instanceof HsmError) {
    return problem(
      502,
      `hsm-${error.kind}-error`,
      `the HSM could not be reached or answered badly: ${error.message}`,
      instance,
      {
        rpc: error.rpc,
      },
    );
  }
  if (isFastifyError(error)) return fromFastify(error, instance);
  return internal(instance);
}

/** Fastify's own refusals, in our words (its messages never quote the body, which may hold a PIN). */
function fromFastify(error: FastifyError, instance: string): Problem {
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return problem(400, 'malformed-json', 'the request body is not valid JSON', instance);
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return problem(
        400,
        'malformed-json',
        'the request body is empty but its Content-Type is application/json',
        instance,
      );
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return problem(
        413,
        'body-too-large',
        `the request body is larger than the ${BODY_LIMIT} limit`,
        instance,
      );
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return problem(
        415,
        'unsupported-media-type',
        'send the request body as JSON with "Content-Type: application/json"',
        instance,
      );
    case 'FST_ERR_BAD_URL':
      return problem(400, 'malformed-path', 'the request path has an invalid %-encoding', instance);
    default:
      return problem(
        error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 400,
        'unreadable-body',
        'the request could not be read (check Content-Type, Content-Length and Content-Encoding)',
        instance,
      );
  }
}

function internal(instance: string): Problem {
  return problem(
    500,
    'internal',
    'the service failed to handle this request; the error is in its log',
    instance,
  );
}

function fromHttpException(error: HttpException, instance: string): Problem {
  // Fastify's own errors (body parsing, a bad %-encoding) arrive wrapped by Nest.
  const cause = error.cause;
  if (isFastifyError(cause)) return fromFastify(cause, instance);
  const status = error.getStatus();
  const body = error.getResponse();
  let detail = error.message;
  if (typeof body === 'object' && body !== null && 'message' in body) {
    const message = (body as { message: unknown }).message;
    detail = Array.isArray(message) ? message.join('; ') : String(message);
  }
  if (status === 404 && /^Cannot (GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS) /.test(detail)) {
    detail = `no resource at ${instance} for this method; see /docs for the API`;
  }
  const type =
    status === 401
      ? 'unauthorized'
      : status === 404
        ? 'not-found'
        : status === 413
          ? 'body-too-large'
          : `http-${status}`;
  return problem(status, type, detail, instance);
}
