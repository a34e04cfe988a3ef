/**
 * The approval policy file named by `KEYLEDGER_POLICY` (docs/architecture.md §5), and the same
 * document as a REST body. One JSON Schema checks both; `yaml` parses the file (JSON is YAML too),
 * so a file's error names its line and column, whichever of the two it is written in.
 *
 *   version: 1
 *   expiresAfter: 24h      # optional, default 24h: <n>s, <n>m, <n>h or <n>d, 1s to 30d
 *   approvals:             # distinct officer approvals; an action left out needs none
 *     destroy-key: 2
 *
 * The file is stricter than YAML: one document, no anchors or aliases, no tags, no directives and
 * no duplicate keys, so what an officer reads is exactly what the service enforces.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import Ajv, { type ErrorObject, type SchemaObject, type ValidateFunction } from 'ajv';
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type Document } from 'yaml';
import {
  DEFAULT_POLICY,
  GATED_ACTIONS,
  MAX_APPROVALS,
  MAX_EXPIRY_SECONDS,
  MIN_EXPIRY_SECONDS,
  type ApprovalPolicy,
  type GatedAction,
} from '../../domain/approval/policy';
import type { ErrorCategory } from '../../domain/error-category';

/** A policy is a dozen lines; anything near this bound is not one, so it is refused before parsing. */
export const MAX_POLICY_FILE_BYTES = 64 * 1024;

/** The file form of a policy, and the body of `PUT /v1/policy`. */
export interface PolicyDocument {
  version: 1;
  expiresAfter: string;
  approvals: Record<string, number>;
}

/** A bad policy file: it stops the process at start-up, before the service listens. */
export class PolicyFileError extends Error {
  readonly type = 'policy-file';
  constructor(
    /** The file as `KEYLEDGER_POLICY` (or the caller) named it. */
    readonly source: string,
    readonly detail: string,
    readonly line?: number,
    readonly column?: number,
  ) {
    super(
      `KEYLEDGER_POLICY ${source}${line === undefined ? '' : ` line ${line}, column ${column}`}: ${detail}`,
    );
    this.name = 'PolicyFileError';
  }
}

/** A policy sent to the API does not fit the schema: a 422 naming the field. */
export class InvalidPolicy extends Error {
  static readonly category: ErrorCategory = 'invalid';
  readonly type = 'invalid-policy';
  constructor(
    /** Dotted path of the field, e.g. `approvals.destroy-key`; empty for the document itself. */
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = 'InvalidPolicy';
  }
}

const UNIT_SECONDS = { s: 1, m: 60, h: 3600, d: 86400 } as const;
const DURATION = /^[1-9][0-9]*(s|m|h|d)$/;

/**
 * A duration in the file's form, in the largest unit that divides it. Days only from two days on:
 * "24h" reads better than "1d" for the default, and 36 hours stays "36h".
 */
export function formatDuration(seconds: number): string {
  if (seconds % UNIT_SECONDS.d === 0 && seconds >= 2 * UNIT_SECONDS.d) return `${seconds / UNIT_SECONDS.d}d`;
  if (seconds % UNIT_SECONDS.h === 0) return `${seconds / UNIT_SECONDS.h}h`;
  if (seconds % UNIT_SECONDS.m === 0) return `${seconds / UNIT_SECONDS.m}m`;
  return `${seconds}s`;
}

/** Seconds of a string the schema's pattern accepted (may be past the bounds, or Infinity). */
function durationSeconds(text: string): number {
  const unit = text.slice(-1) as keyof typeof UNIT_SECONDS;
  return Number(text.slice(0, -1)) * UNIT_SECONDS[unit];
}

const EXPIRY_RANGE = `from ${formatDuration(MIN_EXPIRY_SECONDS)} to ${formatDuration(MAX_EXPIRY_SECONDS)}`;

/** Each `description` is the expectation a message states for that field. */
const SCHEMA: SchemaObject = {
  type: 'object',
  description: 'a mapping with version, approvals and optionally expiresAfter',
  required: ['version', 'approvals'],
  additionalProperties: false,
  properties: {
    version: { const: 1, description: '1' },
    expiresAfter: {
      type: 'string',
      pattern: DURATION.source,
      description: `a duration <n>s, <n>m, <n>h or <n>d ${EXPIRY_RANGE}, e.g. "24h"`,
    },
    approvals: {
      type: 'object',
      description: 'a mapping of action to officer approvals',
      additionalProperties: false,
      properties: Object.fromEntries(
        GATED_ACTIONS.map((action) => [
          action,
          {
            type: 'integer',
            minimum: 0,
            maximum: MAX_APPROVALS,
            description: `an integer from 0 to ${MAX_APPROVALS}`,
          },
        ]),
      ),
    },
  },
};

type DocumentShape = { version: 1; expiresAfter?: string; approvals: Partial<Record<GatedAction, number>> };

let compiled: ValidateFunction<DocumentShape> | undefined;
/** Compiled on first use: a process that never reads a policy generates no validator code. */
function validator(): ValidateFunction<DocumentShape> {
  compiled ??= new Ajv({ allErrors: true, verbose: true, strict: true }).compile<DocumentShape>(SCHEMA);
  return compiled;
}

/** What a finding points at in a file: the offending key, its value, or the mapping that lacks a key. */
type Target = 'key' | 'value' | 'mapping';

/** One thing wrong with a document: thrown as is by the API, given its line and column for a file. */
interface Finding {
  /** The keys leading to the mapping, or to the key and its value. */
  readonly path: readonly string[];
  readonly target: Target;
  /** The dotted field the message is about. */
  readonly field: string;
  readonly message: string;
}

function quoted(fieldPath: readonly string[]): string {
  return fieldPath.length === 0 ? 'the top level' : `"${fieldPath.join('.')}"`;
}

function got(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object' && value !== null) return 'a mapping';
  return String(value);
}

/** The segments of ajv's `instancePath`, a JSON Pointer (RFC 6901 §4). */
function pointerPath(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** Our message for one ajv error: the field, then its `description` as the expectation. */
function findingOf(error: ErrorObject): Finding {
  const at = pointerPath(error.instancePath);
  const schema = error.parentSchema ?? {};
  const properties = (schema.properties ?? {}) as Record<string, SchemaObject>;
  switch (error.keyword) {
    case 'additionalProperties': {
      const name = String((error.params as { additionalProperty: unknown }).additionalProperty);
      const what = at.length === 0 ? 'a field of a policy' : 'an action keyledger knows';
      const known = Object.keys(properties).join(', ');
      const field = [...at, name];
      return {
        path: field,
        target: 'key',
        field: field.join('.'),
        message: `${quoted(field)} is not ${what} (known: ${known})`,
      };
    }
    case 'required': {
      const name = String((error.params as { missingProperty: unknown }).missingProperty);
      const field = [...at, name];
      const expected = String(properties[name]?.description);
      return {
        path: at,
        target: 'mapping',
        field: field.join('.'),
        message: `${quoted(field)} is required (expected ${expected})`,
      };
    }
    default:
      return {
        path: at,
        target: 'value',
        field: at.join('.'),
        message: `${quoted(at)} expected ${String(schema.description)}, got ${got(error.data)}`,
      };
  }
}

/** Everything the schema, then the bounds, find wrong with `value`, in schema order; empty if none. */
function check(value: unknown): Finding[] {
  const validate = validator();
  if (!validate(value)) return (validate.errors ?? []).map(findingOf);
  // The pattern cannot bound a number of units; the seconds they make are checked here.
  const { expiresAfter } = value;
  if (expiresAfter !== undefined) {
    const seconds = durationSeconds(expiresAfter);
    if (!(seconds >= MIN_EXPIRY_SECONDS && seconds <= MAX_EXPIRY_SECONDS)) {
      const message = `"expiresAfter" expected a duration ${EXPIRY_RANGE}, got ${got(expiresAfter)}`;
      return [{ path: ['expiresAfter'], target: 'value', field: 'expiresAfter', message }];
    }
  }
  return [];
}

/** The policy of a document `check` accepted: every action present, one left out needs none. */
function toPolicy(document: DocumentShape): ApprovalPolicy {
  const approvals = Object.fromEntries(
    GATED_ACTIONS.map((action) => [action, document.approvals[action] ?? 0]),
  ) as Record<GatedAction, number>;
  const expiresAfterSeconds =
    document.expiresAfter === undefined
      ? DEFAULT_POLICY.expiresAfterSeconds
      : durationSeconds(document.expiresAfter);
  return Object.freeze({ version: 1, expiresAfterSeconds, approvals: Object.freeze(approvals) });
}

/** A policy from an already parsed JSON body (`PUT /v1/policy`); throws `InvalidPolicy`. */
export function policyFromJson(value: unknown): ApprovalPolicy {
  const [first] = check(value);
  if (first !== undefined) throw new InvalidPolicy(first.field, first.message);
  return toPolicy(value as DocumentShape);
}

/** The file form of a policy; `parsePolicyText` of its JSON or YAML gives the policy back. */
export function policyToDocument(policy: ApprovalPolicy): PolicyDocument {
  return {
    version: 1,
    expiresAfter: formatDuration(policy.expiresAfterSeconds),
    approvals: Object.fromEntries(GATED_ACTIONS.map((action) => [action, policy.approvals[action]])),
  };
}

/** A few lines for an operator: one per action, then the expiry. */
export function describePolicy(policy: ApprovalPolicy): string[] {
  const approvals = (n: number): string =>
    n === 0 ? 'no approval, runs at once' : `${n} officer approval${n === 1 ? '' : 's'}`;
  return [
    ...GATED_ACTIONS.map((action) => `${action}: ${approvals(policy.approvals[action])}`),
    `requests expire after ${formatDuration(policy.expiresAfterSeconds)}`,
  ];
}

/** The policy in force at start-up: the file `KEYLEDGER_POLICY` names, or `DEFAULT_POLICY` if unset. */
export function policyFromEnvironment(env: NodeJS.ProcessEnv = process.env): ApprovalPolicy {
  const file = env.KEYLEDGER_POLICY?.trim();
  return file ? loadPolicyFile(path.resolve(file)) : DEFAULT_POLICY;
}

/** Reads, parses and checks a policy file; throws `PolicyFileError`. */
export function loadPolicyFile(file: string): ApprovalPolicy {
  return parsePolicyText(readBounded(file), file);
}

/** At most `MAX_POLICY_FILE_BYTES` of UTF-8, read through one descriptor so the bound is the read's. */
function readBounded(file: string): string {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (error) {
    throw unreadable(file, error);
  }
  try {
    if (!fs.fstatSync(fd).isFile()) throw new PolicyFileError(file, 'is not a regular file');
    const bytes = Buffer.alloc(MAX_POLICY_FILE_BYTES + 1);
    let length = 0;
    for (let n = -1; n !== 0 && length < bytes.length; length += n) {
      n = fs.readSync(fd, bytes, length, bytes.length - length, null);
    }
    if (length > MAX_POLICY_FILE_BYTES) throw tooLarge(file);
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, length));
    } catch {
      throw new PolicyFileError(file, 'is not UTF-8 text');
    }
  } catch (error) {
    if (error instanceof PolicyFileError) throw error;
    throw unreadable(file, error);
  } finally {
    fs.closeSync(fd);
  }
}

function tooLarge(source: string): PolicyFileError {
  return new PolicyFileError(
    source,
    `is larger than ${MAX_POLICY_FILE_BYTES} bytes; a policy is a few lines`,
  );
}

/** The OS reason without the syscall and path Node appends ("ENOENT: no such file or directory"). */
function unreadable(file: string, error: unknown): PolicyFileError {
  const { code, message } = error as NodeJS.ErrnoException;
  const reason = code !== undefined && message.startsWith(`${code}: `) ? message.split(', ')[0] : message;
  return new PolicyFileError(file, `cannot be read (${reason})`);
}

/** Parses and checks the text of a policy file; `source` names the file in every message. */
export function parsePolicyText(text: string, source: string): ApprovalPolicy {
  if (Buffer.byteLength(text, 'utf8') > MAX_POLICY_FILE_BYTES) throw tooLarge(source);
  const lines = new LineCounter();
  const fail = (offset: number, detail: string): never => {
    const { line, col } = lines.linePos(offset);
    throw new PolicyFileError(source, detail, line, col);
  };
  // Duplicate keys are found by `refuseNonPlainYaml`, which can name the field and both lines.
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: false });
  const [syntax] = [...doc.errors, ...doc.warnings];
  if (syntax !== undefined) {
    fail(
      syntax.pos[0],
      syntax.code === 'MULTIPLE_DOCS'
        ? 'holds more than one YAML document; a policy file is one'
        : `is not valid YAML or JSON: ${syntax.message}`,
    );
  }
  // `%YAML 1.1` would turn `yes` into true and `010` into 8: the file is read as YAML 1.2 only.
  if (doc.directives?.yaml.explicit)
    fail(Math.max(0, text.search(/^%YAML/m)), 'has a %YAML directive; a policy file is read as YAML 1.2');
  if (doc.contents === null)
    throw new PolicyFileError(source, `is empty (expected ${String(SCHEMA.description)})`);
  refuseNonPlainYaml(doc.contents, [], lines, fail);
  const value: unknown = doc.toJS();
  const findings = check(value).map((finding) => ({ finding, offset: offsetOf(doc, finding) }));
  // The first problem in the file, not in the schema: the one an officer reading it meets first.
  const [first] = findings.sort((a, b) => a.offset - b.offset);
  if (first !== undefined) fail(first.offset, first.finding.message);
  return toPolicy(value as DocumentShape);
}

function startOf(node: unknown): number | undefined {
  return (node as { range?: readonly number[] | null } | null)?.range?.[0];
}

/**
 * Anchors, aliases, tags, keys that are not text and duplicate keys are refused: each would let the
 * file mean something other than what it shows.
 */
function refuseNonPlainYaml(
  node: unknown,
  at: readonly string[],
  lines: LineCounter,
  fail: (offset: number, detail: string) => never,
): void {
  if (node === null || node === undefined) return;
  const here = startOf(node) ?? 0;
  if (isAlias(node)) fail(here, `${quoted(at)} is a YAML alias (*${node.source}); a policy file has none`);
  const { anchor, tag } = node as { anchor?: string; tag?: string };
  if (anchor) fail(here, `${quoted(at)} has a YAML anchor (&${anchor}); a policy file has none`);
  if (tag) {
    const shown = tag.replace(/^tag:yaml\.org,2002:/, '!!');
    fail(here, `${quoted(at)} has a YAML tag (${shown}); a policy file has none`);
  }
  if (isSeq(node)) node.items.forEach((item, i) => refuseNonPlainYaml(item, [...at, String(i)], lines, fail));
  if (!isMap(node)) return;
  const seen = new Map<string, number>();
  for (const pair of node.items) {
    const { key } = pair;
    const keyStart = startOf(key) ?? here;
    refuseNonPlainYaml(key, at, lines, fail);
    if (!isScalar(key) || (typeof key.value !== 'string' && typeof key.value !== 'number')) {
      fail(keyStart, `${quoted(at)} has a key that is not text`);
    }
    const name = String(key.value);
    const first = seen.get(name);
    if (first !== undefined) {
      fail(keyStart, `${quoted([...at, name])} appears twice (first on line ${lines.linePos(first).line})`);
    }
    seen.set(name, keyStart);
    refuseNonPlainYaml(pair.value, [...at, name], lines, fail);
  }
}

/** The offset a finding points at: its key, its value (or key, if the value is empty) or its mapping. */
function offsetOf(doc: Document, finding: Finding): number {
  let node: unknown = doc.contents;
  let key: unknown;
  for (const name of finding.path) {
    const pair = isMap(node)
      ? node.items.find((p) => isScalar(p.key) && String(p.key.value) === name)
      : undefined;
    if (pair === undefined) break;
    key = pair.key;
    node = pair.value;
  }
  const start = finding.target === 'key' ? startOf(key) : startOf(node);
  return start ?? startOf(key) ?? startOf(doc.contents) ?? 0;
}
