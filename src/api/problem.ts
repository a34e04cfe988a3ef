/**
 * RFC 9457 problem details: the one place that turns an error into `{type, title, status, detail,
 * instance}`. Errors of the HTTP edge itself (validation, Nest, Fastify) are handled here; every
 * other error declares its category where it is defined (src/domain/error-category.ts), and the
 * status comes from that category alone, never from class identity (docs/style.md §8). Messages of our own
 * errors are written for people and carry no secrets; anything without a category becomes a 500
 * that says nothing about internals.
 */
import { HttpException, HttpStatus } from '@nestjs/common';
import { errorCategory, type ErrorCategory, type ProblemExtras } from '../domain/error-category';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';
/** JSON request bodies above this are refused with 413 (the biggest legitimate body is a blob, sign data or a sign batch). */
export const BODY_LIMIT = '1mb';
export { BODY_LIMIT_BYTES } from './dto/limits';
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

/** The HTTP status of each error category: the only place a category becomes a status. */
const CATEGORY_STATUS: { readonly [C in ErrorCategory]: number } = {
  'not-found': 404,
  conflict: 409,
  invalid: 422,
  forbidden: 403,
  'hsm-failure': 502,
  unavailable: 503,
  internal: 500,
};

/**
 * Messages of these categories name files, drivers and connection strings: they are for the
 * service log (the filter logs every 5xx but 502), the client gets the type and this detail.
 */
const WITHHELD_DETAIL: { readonly [C in ErrorCategory]?: string } = {
  unavailable:
    'the service cannot use its ledger, read models or secret store right now; retry later (the cause is in the service log)',
};

const TITLES: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  431: 'Request Header Fields Too Large',
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

/**
 * A problem with the connection rather than with a resource (a request that arrived too slowly,
 * or not as HTTP): no `instance`, since the request line may not have been read (RFC 9457 §3.1.5
 * makes it optional).
 */
export function connectionProblem(
  status: number,
  type: string,
  detail: string,
): Omit<Problem, 'instance'> & { readonly title: string } {
  return { type: `${TYPE_BASE}${type}`, title: TITLES[status] ?? 'Error', status, detail };
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

/**
 * Node's error on a request whose connection closed before its body was read (the client left, or
 * the server cut it at `requestTimeout`); Fastify passes it on from the body reader.
 */
function isAbortedRequest(error: unknown): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  return code === 'ECONNRESET' && message === 'aborted';
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
  if (isFastifyError(error)) return fromFastify(error, instance);
  if (isAbortedRequest(error)) {
    // No one reads this answer; it keeps a client that left (or was cut for being slow) out of the 500s.
    return problem(400, 'request-aborted', 'the connection closed before the request body arrived', instance);
  }
  const category = errorCategory(error);
  // An internal error's type would say what broke; like an error without a category, it says nothing.
  if (category === undefined || category === 'internal') return internal(instance);
  return fromCategory(error as CategorizedError, category, instance);
}

/** What a categorized error gives its problem: `type` (the URI suffix clients see) and its message. */
interface CategorizedError extends ProblemExtras {
  readonly type?: unknown;
  readonly message?: unknown;
}

function fromCategory(error: CategorizedError, category: ErrorCategory, instance: string): Problem {
  const { type, message, problemDetail, problemExtensions } = error;
  // A category without a string type is a bug in the error class: say nothing rather than guess.
  if (typeof type !== 'string' || type === '') return internal(instance);
  const detail =
    WITHHELD_DETAIL[category] ??
    (typeof problemDetail === 'string' ? problemDetail : typeof message === 'string' ? message : '');
  const extensions =
    typeof problemExtensions === 'object' && problemExtensions !== null ? problemExtensions : {};
  return problem(CATEGORY_STATUS[category], type, detail, instance, extensions);
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
    CATEGORY_STATUS.internal,
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
