/**
 * toProblem, table-driven: one representative error of each category gives its status and its own
 * `type`; errors of the HTTP edge keep their own handling; anything without a category (or an
 * internal one) is a 500 that says nothing.
 */
import { HttpException, HttpStatus } from '@nestjs/common';
import { CustodyInvalidInput, CustodyNotFound, HsmEndpointFailed } from '../app/custody/errors';
import type { ErrorCategory } from '../domain/error-category';
import { DomainError, InvalidCommand, InvariantViolated } from '../domain/errors';
import { KeyNotFound, StaleBlob } from '../domain/key/errors';
import { LedgerUnavailable, WrongExpectedRevision } from '../event-store/errors';
import { FrameTooLarge, HalStatus, HsmTransportError, halError } from '../hsm-adapter/errors';
import { ProjectionFailed } from '../projections/projection';
import { ProblemException, ValidationFailed, toProblem } from './problem';

const PATH = '/v1/keys/k1/raw-import';
const BASE = 'https://keyledger.dev/problems/';
const SHA = 'ab'.repeat(32);
const INTERNAL = {
  type: `${BASE}internal`,
  title: 'Internal Server Error',
  status: 500,
  detail: 'the service failed to handle this request; the error is in its log',
  instance: PATH,
};
const TITLES: Record<number, string> = {
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  422: 'Unprocessable Content',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
};
const UNAVAILABLE_DETAIL =
  'the service cannot use its ledger, read models or secret store right now; retry later (the cause is in the service log)';

/** No error in src/ is forbidden yet (the operator model brings them); the mapping is in place. */
class OperatorNotAllowed extends Error {
  static readonly category: ErrorCategory = 'forbidden';
  readonly type = 'operator-not-allowed';
}

/** What issue 8 is about: a new refusal that forgot its category must not pass as a 409. */
class Uncategorized extends DomainError {
  readonly type = 'uncategorized';
}

describe('toProblem for each error category', () => {
  it.each<[string, number, string, unknown, string, Record<string, unknown>?]>([
    ['not-found (domain)', 404, 'key-not-found', new KeyNotFound('k1'), 'key k1 is not in the ledger'],
    ['not-found (custody)', 404, 'not-found', new CustodyNotFound('no HSM hsm-z'), 'no HSM hsm-z'],
    [
      'conflict (domain)',
      409,
      'stale-blob',
      new StaleBlob(SHA, 'blob abab… is superseded by cdcd…'),
      'blob abab… is superseded by cdcd…; importing it would reuse hashsig state',
    ],
    [
      'conflict (store, after the retries)',
      409,
      'wrong-expected-revision',
      new WrongExpectedRevision('key-k1', 3, 4),
      'append to "key-k1" expected revision 3, but the stream is at 4',
    ],
    [
      'invalid (domain)',
      422,
      'invalid-command',
      new InvalidCommand('"bits" expected 2048'),
      '"bits" expected 2048',
    ],
    [
      'invalid (custody)',
      422,
      'invalid-input',
      new CustodyInvalidInput('"bits" expected 2048'),
      '"bits" expected 2048',
    ],
    ['forbidden', 403, 'operator-not-allowed', new OperatorNotAllowed('officers only'), 'officers only'],
    [
      'hsm-failure (status)',
      502,
      'hsm-error',
      halError(HalStatus.PIN_INCORRECT, 'LOGIN'),
      'LOGIN failed with PIN_INCORRECT (24): wrong PIN',
      { hsmStatus: 'PIN_INCORRECT', rpc: 'LOGIN' },
    ],
    [
      'hsm-failure (transport)',
      502,
      'hsm-transport-error',
      new HsmTransportError('muxd closed the socket', 'PKEY_SIGN'),
      'the HSM could not be reached or answered badly: muxd closed the socket',
      { rpc: 'PKEY_SIGN' },
    ],
    [
      'hsm-failure (protocol)',
      502,
      'hsm-protocol-error',
      new FrameTooLarge(16385, 16384),
      'the HSM could not be reached or answered badly: SLIP frame exceeds the 16384-byte limit (reached 16385 bytes)',
    ],
    [
      'hsm-failure (registration, unreachable: the class only)',
      502,
      'hsm-transport-error',
      new HsmEndpointFailed('hsm-q', 'unreachable'),
      'hsm-q was not registered: the HSM at the given endpoint could not be reached (no connection, the connection closed, or no answer in time)',
    ],
    [
      'hsm-failure (registration, not libhal: the class only)',
      502,
      'hsm-protocol-error',
      new HsmEndpointFailed('hsm-q', 'not-libhal'),
      'hsm-q was not registered: what answered at the given endpoint did not speak the libhal RPC protocol',
    ],
    [
      'unavailable (ledger)',
      503,
      'ledger-unavailable',
      new LedgerUnavailable('ledger /srv/kl/ledger.sqlite is locked by another process'),
      UNAVAILABLE_DETAIL,
    ],
    [
      'unavailable (read models)',
      503,
      'projection-failed',
      new ProjectionFailed('residency', 7, 'KeyGenerated', 'key-k1', new Error('boom')),
      UNAVAILABLE_DETAIL,
    ],
  ])('%s: %i %s', (_label, status, type, error, detail, extensions = {}) => {
    expect(toProblem(error, PATH)).toEqual({
      type: `${BASE}${type}`,
      title: TITLES[status],
      status,
      detail,
      instance: PATH,
      ...extensions,
    });
  });

  it.each<[string, unknown]>([
    ['internal', new InvariantViolated('two copies own index 7')],
    ['no category (a DomainError that forgot it)', new Uncategorized('refused')],
    ['no category (a plain Error)', new Error('sqlite says /secret/path is broken')],
    ['not an Error', 'a string'],
  ])('%s: a 500 that names nothing', (_label, error) => {
    expect(toProblem(error, PATH)).toEqual(INTERNAL);
  });
});

describe('toProblem for errors of the HTTP edge', () => {
  it('answers a validation failure with 400 and its field errors', () => {
    const errors = [{ field: 'hsm', messages: ['hsm must be a string'] }];
    expect(toProblem(new ValidationFailed('the request body is invalid', errors), PATH)).toEqual({
      type: `${BASE}validation-failed`,
      title: 'Bad Request',
      status: 400,
      detail: 'the request body is invalid',
      instance: PATH,
      errors,
    });
  });

  it('answers a ProblemException with its own status, type and extension members', () => {
    const refused = new ProblemException(409, 'blob-refused', 'blob abab… is stale', {
      currentHolder: 'hsm-b',
    });
    expect(toProblem(refused, PATH)).toEqual({
      type: `${BASE}blob-refused`,
      title: 'Conflict',
      status: 409,
      detail: 'blob abab… is stale',
      instance: PATH,
      currentHolder: 'hsm-b',
    });
  });

  it("answers Nest's 401 as unauthorized", () => {
    expect(toProblem(new HttpException('no token', HttpStatus.UNAUTHORIZED), PATH)).toEqual({
      type: `${BASE}unauthorized`,
      title: 'Unauthorized',
      status: 401,
      detail: 'no token',
      instance: PATH,
    });
  });

  it("answers Fastify's bad JSON without quoting the body", () => {
    const fastify = Object.assign(new Error('Unexpected token p in JSON at "pin":"1234"'), {
      code: 'FST_ERR_CTP_INVALID_JSON_BODY',
      statusCode: 400,
    });
    expect(toProblem(fastify, PATH)).toEqual({
      type: `${BASE}malformed-json`,
      title: 'Bad Request',
      status: 400,
      detail: 'the request body is not valid JSON',
      instance: PATH,
    });
  });

  it('answers a request whose connection closed mid-body with 400, not a logged 500', () => {
    // What Node's http server gives the body reader (Fastify adds the 400).
    const aborted = Object.assign(new Error('aborted'), { code: 'ECONNRESET', statusCode: 400 });
    expect(toProblem(aborted, PATH)).toEqual({
      type: `${BASE}request-aborted`,
      title: 'Bad Request',
      status: 400,
      detail: 'the connection closed before the request body arrived',
      instance: PATH,
    });
    // Any other reset is not the client's doing.
    expect(toProblem(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }), PATH)).toEqual(
      INTERNAL,
    );
  });
});
