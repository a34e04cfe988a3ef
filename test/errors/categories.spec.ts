/**
 * The closed error taxonomy at the edge (docs/style.md §8, src/domain/error-category.ts): every error class
 * under src/ declares a category in the closed set, or is exempt here with the reason. The check
 * reads each class's `static category` without constructing it, so it covers every class whatever
 * its constructor takes. src/soft-hsm is left out: it answers libhal RPCs, never HTTP, and its
 * failures reach the service only as the adapter's HSM errors. src/cli/main.ts runs only as the
 * main module (`require.main === module`), so it is walked like the rest.
 */
import 'reflect-metadata';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ApiTokenError } from '../../src/api/api-token';
import { ProblemException, ValidationFailed } from '../../src/api/problem';
import { PolicyFileError } from '../../src/app/approvals/policy-file';
import { ConfigError } from '../../src/app/config';
import { ApiError, AwaitingApproval as CliAwaitingApproval, UsageError } from '../../src/cli/api-client';
import { AwaitingApproval } from '../../src/app/approvals/gate';
import { declaredCategory, type ErrorCategory } from '../../src/domain/error-category';
import { DomainError } from '../../src/domain/errors';
import { DeciderSpecFailed } from '../../src/domain/spec';
import { EventStoreError } from '../../src/event-store/errors';
import { UnsafeDataDir } from '../../src/server/data-dir';
import { DemoHsmError } from '../../src/server/demo-hsms';

const SRC = path.resolve(__dirname, '../../src');

type ErrorClass = abstract new (...args: never[]) => Error;

/** Error classes that declare no category on purpose, each with the reason. */
const EXEMPT: ReadonlyMap<ErrorClass, string> = new Map<ErrorClass, string>([
  [DomainError, 'abstract root of the refusals: each refusal declares its own category'],
  [EventStoreError, 'abstract root of the store failures: each failure declares its own category'],
  [ValidationFailed, 'the HTTP edge itself: a 400 with its field errors'],
  [ProblemException, 'the HTTP edge itself: a controller decided its status'],
  [ConfigError, 'start-up only: a bad variable stops the process before it serves'],
  [PolicyFileError, 'start-up only: a bad policy file stops the process before it serves'],
  [ApiTokenError, 'start-up and CLI only: the token is resolved before the service listens'],
  [DemoHsmError, 'start-up only: the demo soft HSMs of `keyledger serve`'],
  [UnsafeDataDir, 'start-up only: an unsafe data directory stops the process before it serves'],
  [ApiError, "CLI only: the service's problem as the CLI received it"],
  [UsageError, 'CLI only: an operator typing mistake, exit code 2'],
  [AwaitingApproval, 'not a failure: the command became an approval request, the API answers 202'],
  [CliAwaitingApproval, "CLI only: the service's 202, exit code 3"],
  [DeciderSpecFailed, 'spec helper: a failed given/when/then, never thrown while serving'],
]);

function isErrorClass(value: unknown): value is ErrorClass {
  return typeof value === 'function' && value.prototype instanceof Error;
}

/** The names of the classes that declare no category in the closed set and are not exempt. */
function uncategorized(
  classes: ReadonlyMap<ErrorClass, string>,
  exempt: ReadonlyMap<ErrorClass, string>,
): string[] {
  return [...classes]
    .filter(([errorClass]) => !exempt.has(errorClass) && declaredCategory(errorClass) === undefined)
    .map(([, name]) => name);
}

/** Every .ts module under src/ but specs and src/soft-hsm, relative to src/. */
function sourceModules(): string[] {
  return fs
    .readdirSync(SRC, { recursive: true, encoding: 'utf8' })
    .map((file) => file.split(path.sep).join('/'))
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.spec.ts') && !file.endsWith('.d.ts'))
    .filter((file) => !file.startsWith('soft-hsm/'))
    .sort();
}

/** Every exported error class of those modules, named `module: Export` where it is first found. */
async function exportedErrorClasses(): Promise<Map<ErrorClass, string>> {
  const found = new Map<ErrorClass, string>();
  for (const file of sourceModules()) {
    const exports = (await import(path.join(SRC, file))) as Record<string, unknown>;
    for (const [name, value] of Object.entries(exports))
      if (isErrorClass(value) && !found.has(value)) found.set(value, `${file}: ${name}`);
  }
  return found;
}

describe('error categories', () => {
  let classes: Map<ErrorClass, string>;
  beforeAll(async () => {
    classes = await exportedErrorClasses();
  });

  it('walks every layer that can reach the API', () => {
    expect([...classes.keys()].map((errorClass) => errorClass.name)).toEqual(
      expect.arrayContaining([
        'StaleBlob',
        'InvariantViolated',
        'CustodyNotFound',
        'SecretStoreError',
        'LedgerUnavailable',
        'HalStatusError',
        'HsmTransportError',
        'ReadModelUnavailable',
        'ApprovalExpired',
        'RoleRequired',
        'OperatorChangeRefused',
      ]),
    );
    expect([...classes.values()].filter((where) => where.startsWith('soft-hsm/'))).toEqual([]);
  });

  it('finds a category in the closed set on every error class that is not exempt', () => {
    expect(uncategorized(classes, EXEMPT)).toEqual([]);
  });

  it('exempts only classes it found, and only ones without a category', () => {
    const exempt = [...EXEMPT.keys()];
    expect(exempt.filter((errorClass) => !classes.has(errorClass)).map((c) => c.name)).toEqual([]);
    expect(
      exempt.filter((errorClass) => declaredCategory(errorClass) !== undefined).map((c) => c.name),
    ).toEqual([]);
  });

  it('fails a new refusal without a category, and one with a category outside the set', () => {
    class Forgotten extends DomainError {
      readonly type = 'forgotten';
    }
    class Declared extends DomainError {
      static readonly category: ErrorCategory = 'conflict';
      readonly type = 'declared';
    }
    class Inherited extends Declared {}
    class OutsideTheSet extends Error {
      static readonly category = 'teapot';
    }
    const local = new Map<ErrorClass, string>([
      [Forgotten, 'Forgotten'],
      [Declared, 'Declared'],
      [Inherited, 'Inherited'],
      [OutsideTheSet, 'OutsideTheSet'],
    ]);
    expect(uncategorized(local, EXEMPT)).toEqual(['Forgotten', 'OutsideTheSet']);
    expect(declaredCategory(Inherited)).toBe('conflict');
  });
});
