/**
 * RFC 9457 problem details: the one place that turns an error into `{type, title, status, detail,
 * instance}`. Every mapping is on a string discriminant (`type`, `kind`), never on class identity
 * across a boundary (STYLE). Messages of our own errors are written for people and carry no
 * secrets; anything unknown becomes a 500 that says nothing about internals.
 */
import { HttpException, HttpStatus } from '@nestjs/common';
import { CustodyInvalidInput, CustodyNotFound } from '../app/custody/custody.port';
import { DomainError } from '../domain/errors';
import { HalStatusError, HsmError } from '../hsm-adapter/errors';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';
/** JSON request bodies above this are refused with 413 (the biggest legitimate body is a blob or sign data). */
export const BODY_LIMIT = '1mb';
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

/** What body-parser (express) throws: a string `type` such as `entity.parse.failed` and a status. */
interface BodyParserError extends Error {
  readonly type: string;
  readonly status: number;
}

function isBodyParserError(error: Error): error is BodyParserError {
  const { type, status } = error as Partial<BodyParserError>;
  return (
    typeof type === 'string' &&
    /^(entity|encoding|charset|request)\./.test(type) &&
    typeof status === 'number'
  );
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
  if (error instanceof Error && isBodyParserError(error)) return fromBodyParser(error, instance);
  return internal(instance);
}

/** Never echoes the body: V8's JSON errors quote the text around the fault, which may hold a PIN. */
function fromBodyParser(error: BodyParserError, instance: string): Problem {
  switch (error.type) {
    case 'entity.parse.failed': {
      const at = /position (\d+)/.exec(error.message);
      return problem(
        400,
        'malformed-json',
        `the request body is not valid JSON${at ? ` (at byte ${at[1]})` : ''}`,
        instance,
      );
    }
    case 'entity.too.large':
      return problem(
        413,
        'body-too-large',
        `the request body is larger than the ${BODY_LIMIT} limit`,
        instance,
      );
    default:
      return problem(
        error.status >= 400 && error.status < 500 ? error.status : 400,
        'unreadable-body',
        'the request body could not be read (check Content-Type, Content-Encoding and charset)',
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
  // Express's own errors (body-parser, a bad %-encoding) arrive wrapped: their messages may quote input.
  const cause = error.cause;
  if (cause instanceof Error && isBodyParserError(cause)) return fromBodyParser(cause, instance);
  if (cause instanceof URIError)
    return problem(400, 'malformed-path', 'the request path has an invalid %-encoding', instance);
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
