import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { makeTempDir, removeTempDir } from '../../../test/support/temp-dir';
import {
  DEFAULT_POLICY,
  GATED_ACTIONS,
  MAX_APPROVALS,
  MAX_EXPIRY_SECONDS,
  MIN_EXPIRY_SECONDS,
  type ApprovalPolicy,
} from '../../domain/approval/policy';
import { errorCategory } from '../../domain/error-category';
import {
  describePolicy,
  formatDuration,
  InvalidPolicy,
  loadPolicyFile,
  MAX_POLICY_FILE_BYTES,
  parsePolicyText,
  PolicyFileError,
  policyFromEnvironment,
  policyFromJson,
  policyToDocument,
} from './policy-file';

const KNOWN_ACTIONS =
  'destroy-key, transfer-key-cross-domain, register-hsm, record-zeroization, enrol-officer, change-policy';
const MAPPING = 'a mapping with version, approvals and optionally expiresAfter';
const DURATION = 'a duration <n>s, <n>m, <n>h or <n>d from 1s to 30d, e.g. "24h"';

/** The sample of docs: every action gated by two officers. */
const SAMPLE = `# keyledger approval policy
version: 1
expiresAfter: 24h          # how long a request waits for approvals
approvals:                 # action: distinct officer approvals it needs
  destroy-key: 2
  transfer-key-cross-domain: 2
  register-hsm: 2
  record-zeroization: 2
  enrol-officer: 2
  change-policy: 2
`;

function policy(
  expiresAfterSeconds: number,
  approvals: Partial<ApprovalPolicy['approvals']>,
): ApprovalPolicy {
  const all = Object.fromEntries(GATED_ACTIONS.map((action) => [action, approvals[action] ?? 0]));
  return { version: 1, expiresAfterSeconds, approvals: all as ApprovalPolicy['approvals'] };
}

describe('loadPolicyFile', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await makeTempDir('keyledger-policy-');
  });
  afterEach(() => removeTempDir(dir));

  function write(name: string, text: string | Buffer): string {
    const file = path.join(dir, name);
    fs.writeFileSync(file, text);
    return file;
  }

  /** The message thrown for `text` saved as `name`, with the temp dir shown as `<dir>`. */
  function refusal(name: string, text: string | Buffer): string {
    const file = write(name, text);
    try {
      loadPolicyFile(file);
    } catch (error) {
      expect(error).toBeInstanceOf(PolicyFileError);
      return (error as Error).message.replace(dir, '<dir>');
    }
    throw new Error(`${name} was accepted`);
  }

  it('loads the documented sample', () => {
    expect(loadPolicyFile(write('policy.yaml', SAMPLE))).toEqual(DEFAULT_POLICY);
  });

  it('gives an action left out no approvals, and expiry 24h when expiresAfter is absent', () => {
    const text = 'version: 1\napprovals:\n  destroy-key: 3\n  register-hsm: 0\n';
    expect(loadPolicyFile(write('policy.yaml', text))).toEqual(policy(24 * 3600, { 'destroy-key': 3 }));
    expect(loadPolicyFile(write('none.yaml', 'version: 1\napprovals: {}\n'))).toEqual(policy(86400, {}));
  });

  it('reads JSON as well, with every action and a bound in seconds', () => {
    const json = JSON.stringify({ version: 1, expiresAfter: '90s', approvals: { 'enrol-officer': 9 } });
    expect(loadPolicyFile(write('policy.json', json))).toEqual(policy(90, { 'enrol-officer': 9 }));
  });

  it('names the file, the line, the column and the field', () => {
    const file = write('policy.yaml', SAMPLE.replace('register-hsm: 2', 'register-hsm: 12'));
    let thrown: unknown;
    try {
      loadPolicyFile(file);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toMatchObject({
      name: 'PolicyFileError',
      type: 'policy-file',
      source: file,
      line: 7,
      column: 17,
      detail: '"approvals.register-hsm" expected an integer from 0 to 9, got 12',
      message: `KEYLEDGER_POLICY ${file} line 7, column 17: "approvals.register-hsm" expected an integer from 0 to 9, got 12`,
    });
  });

  // [case, file name, its text, the whole message with the temp dir as <dir>]
  const refused: [string, string, string, string][] = [
    [
      'an unknown action, at its key',
      'policy.yaml',
      SAMPLE.replace('destroy-key', 'destroy-kye'),
      `KEYLEDGER_POLICY <dir>/policy.yaml line 5, column 3: "approvals.destroy-kye" is not an action keyledger knows (known: ${KNOWN_ACTIONS})`,
    ],
    [
      'a count given as text',
      'policy.yaml',
      'version: 1\napprovals:\n  destroy-key: "2"\n',
      'KEYLEDGER_POLICY <dir>/policy.yaml line 3, column 16: "approvals.destroy-key" expected an integer from 0 to 9, got "2"',
    ],
    [
      'a fractional count',
      'policy.yaml',
      'version: 1\napprovals:\n  destroy-key: 1.5\n',
      'KEYLEDGER_POLICY <dir>/policy.yaml line 3, column 16: "approvals.destroy-key" expected an integer from 0 to 9, got 1.5',
    ],
    [
      'a negative count',
      'policy.yaml',
      'version: 1\napprovals:\n  enrol-officer: -1\n',
      'KEYLEDGER_POLICY <dir>/policy.yaml line 3, column 18: "approvals.enrol-officer" expected an integer from 0 to 9, got -1',
    ],
    [
      'approvals that are not a mapping',
      'policy.yaml',
      'version: 1\napprovals: [destroy-key]\n',
      'KEYLEDGER_POLICY <dir>/policy.yaml line 2, column 12: "approvals" expected a mapping of action to officer approvals, got a list',
    ],
    [
      'approvals left empty, at the end of its line',
      'policy.yaml',
      'version: 1\napprovals:\n',
      'KEYLEDGER_POLICY <dir>/policy.yaml line 2, column 11: "approvals" expected a mapping of action to officer approvals, got null',
    ],
    [
      'no version, at the mapping that lacks it',
      'policy.yaml',
      '# no version\napprovals: {}\n',
      'KEYLEDGER_POLICY <dir>/policy.yaml line 2, column 1: "version" is required (expected 1)',
    ],
    [
      'no approvals',
      'policy.yaml',
      'version: 1\n',
      'KEYLEDGER_POLICY <dir>/policy.yaml line 1, column 1: "approvals" is required (expected a mapping of action to officer approvals)',
    ],
    [
      'version 2',
      'policy.yaml',
      'version: 2\napprovals: {}\n',
      'KEYLEDGER_POLICY <dir>/policy.yaml line 1, column 10: "version" expected 1, got 2',
    ],
    [
      'version as text',
      'policy.yaml',
      'version: "1"\napprovals: {}\n',
      'KEYLEDGER_POLICY <dir>/policy.yaml line 1, column 10: "version" expected 1, got "1"',
    ],
    [
      'an expiry without a unit',
      'policy.yaml',
      'version: 1\nexpiresAfter: 3600\napprovals: {}\n',
      `KEYLEDGER_POLICY <dir>/policy.yaml line 2, column 15: "expiresAfter" expected ${DURATION}, got 3600`,
    ],
    [
      'an expiry of zero',
      'policy.yaml',
      'version: 1\nexpiresAfter: 0h\napprovals: {}\n',
      `KEYLEDGER_POLICY <dir>/policy.yaml line 2, column 15: "expiresAfter" expected ${DURATION}, got "0h"`,
    ],
    [
      'an expiry in weeks',
      'policy.yaml',
      'version: 1\nexpiresAfter: 1w\napprovals: {}\n',
      `KEYLEDGER_POLICY <dir>/policy.yaml line 2, column 15: "expiresAfter" expected ${DURATION}, got "1w"`,
    ],
    [
      'an expiry past thirty days',
      'policy.yaml',
      'version: 1\nexpiresAfter: 721h\napprovals: {}\n',
      'KEYLEDGER_POLICY <dir>/policy.yaml line 2, column 15: "expiresAfter" expected a duration from 1s to 30d, got "721h"',
    ],
    [
      'an extra top-level key',
      'policy.yaml',
      'version: 1\napprovals: {}\nquorum: 2\n',
      'KEYLEDGER_POLICY <dir>/policy.yaml line 3, column 1: "quorum" is not a field of a policy (known: version, expiresAfter, approvals)',
    ],
    [
      'the first of several problems in the file, not in the schema',
      'policy.yaml',
      'version: 1\napprovals:\n  destroy-key: 10\nversion2: 1\n',
      'KEYLEDGER_POLICY <dir>/policy.yaml line 3, column 16: "approvals.destroy-key" expected an integer from 0 to 9, got 10',
    ],
    [
      'a duplicate key',
      'policy.yaml',
      'version: 1\napprovals:\n  destroy-key: 2\n  register-hsm: 2\n  destroy-key: 0\n',
      'KEYLEDGER_POLICY <dir>/policy.yaml line 5, column 3: "approvals.destroy-key" appears twice (first on line 3)',
    ],
    [
      'an anchor, at the value it marks',
      'policy.yaml',
      'version: 1\napprovals:\n  destroy-key: &two 2\n  register-hsm: *two\n',
      'KEYLEDGER_POLICY <dir>/policy.yaml line 3, column 21: "approvals.destroy-key" has a YAML anchor (&two); a policy file has none',
    ],
    [
      'a tag, at the value it marks',
      'policy.yaml',
      'version: 1\napprovals:\n  destroy-key: !!str 2\n',
      'KEYLEDGER_POLICY <dir>/policy.yaml line 3, column 22: "approvals.destroy-key" has a YAML tag (!!str); a policy file has none',
    ],
    [
      'a key that is not text',
      'policy.yaml',
      'version: 1\napprovals:\n  ? [destroy-key]\n  : 2\n',
      'KEYLEDGER_POLICY <dir>/policy.yaml line 3, column 5: "approvals" has a key that is not text',
    ],
    [
      'two documents',
      'policy.yaml',
      'version: 1\napprovals: {}\n---\nversion: 1\n',
      'KEYLEDGER_POLICY <dir>/policy.yaml line 3, column 1: holds more than one YAML document; a policy file is one',
    ],
    [
      'a %YAML 1.1 directive (it would read `yes` as true)',
      'policy.yaml',
      '%YAML 1.1\n---\nversion: 1\napprovals: {}\n',
      'KEYLEDGER_POLICY <dir>/policy.yaml line 1, column 1: has a %YAML directive; a policy file is read as YAML 1.2',
    ],
    [
      'a YAML syntax error, at its line',
      'policy.yaml',
      'version: 1\napprovals:\n  destroy-key: 2\n  register-hsm 2\n  record-zeroization: 2\n',
      'KEYLEDGER_POLICY <dir>/policy.yaml line 4, column 3: is not valid YAML or JSON: Implicit keys need to be on a single line',
    ],
    [
      'a key out of line with its siblings',
      'policy.yaml',
      'version: 1\napprovals:\n  destroy-key: 2\n register-hsm: 2\n',
      'KEYLEDGER_POLICY <dir>/policy.yaml line 4, column 1: is not valid YAML or JSON: All mapping items must start at the same column',
    ],
    [
      'an unclosed quote, where the file ends',
      'policy.yaml',
      'version: 1\napprovals:\n  destroy-key: "2\n  register-hsm: 2\n',
      'KEYLEDGER_POLICY <dir>/policy.yaml line 5, column 1: is not valid YAML or JSON: Missing closing "quote',
    ],
    [
      'a JSON syntax error, at its line',
      'policy.json',
      '{\n  "version": 1,\n  "approvals": {\n    "destroy-key": 2,,\n    "register-hsm": 2\n  }\n}\n',
      'KEYLEDGER_POLICY <dir>/policy.json line 4, column 22: is not valid YAML or JSON: Unexpected , in flow map',
    ],
    [
      'a tab used as indentation',
      'policy.yaml',
      'version: 1\napprovals:\n\tdestroy-key: 2\n',
      'KEYLEDGER_POLICY <dir>/policy.yaml line 3, column 1: is not valid YAML or JSON: Tabs are not allowed as indentation',
    ],
    [
      'a JSON file with a bad value, at its line',
      'policy.json',
      '{\n  "version": 1,\n  "approvals": {\n    "destroy-key": 2,\n    "register-hsm": true\n  }\n}\n',
      'KEYLEDGER_POLICY <dir>/policy.json line 5, column 21: "approvals.register-hsm" expected an integer from 0 to 9, got true',
    ],
    [
      'a JSON file with a duplicate key',
      'policy.json',
      '{\n  "version": 1,\n  "approvals": {},\n  "version": 1\n}\n',
      'KEYLEDGER_POLICY <dir>/policy.json line 4, column 3: "version" appears twice (first on line 2)',
    ],
    [
      'a top level that is a list',
      'policy.json',
      '[{"version": 1}]',
      `KEYLEDGER_POLICY <dir>/policy.json line 1, column 1: the top level expected ${MAPPING}, got a list`,
    ],
    [
      'a file holding only a comment',
      'policy.yaml',
      '# nothing here yet\n',
      `KEYLEDGER_POLICY <dir>/policy.yaml: is empty (expected ${MAPPING})`,
    ],
    [
      'an empty file',
      'policy.yaml',
      '',
      `KEYLEDGER_POLICY <dir>/policy.yaml: is empty (expected ${MAPPING})`,
    ],
  ];

  it.each(refused)('refuses %s', (_case, name, text, message) => {
    expect(refusal(name, text)).toBe(message);
  });

  it('refuses a file past the bound before parsing it, and one that is not UTF-8', () => {
    const padded = `version: 1\napprovals: {}\n${'#'.repeat(MAX_POLICY_FILE_BYTES)}\n`;
    expect(refusal('big.yaml', padded)).toBe(
      'KEYLEDGER_POLICY <dir>/big.yaml: is larger than 65536 bytes; a policy is a few lines',
    );
    expect(() => parsePolicyText(padded, 'text')).toThrow(
      'KEYLEDGER_POLICY text: is larger than 65536 bytes; a policy is a few lines',
    );
    expect(refusal('latin1.yaml', Buffer.from('version: 1\napprovals: {}\n# caf\xe9\n', 'latin1'))).toBe(
      'KEYLEDGER_POLICY <dir>/latin1.yaml: is not UTF-8 text',
    );
  });

  it('names a file it cannot read and the reason, without a line', () => {
    const missing = path.join(dir, 'missing.yaml');
    expect(() => loadPolicyFile(missing)).toThrow(
      new PolicyFileError(missing, 'cannot be read (ENOENT: no such file or directory)'),
    );
    expect(() => loadPolicyFile(missing)).toThrow(
      `KEYLEDGER_POLICY ${missing}: cannot be read (ENOENT: no such file or directory)`,
    );
    expect(() => loadPolicyFile(dir)).toThrow(`KEYLEDGER_POLICY ${dir}: is not a regular file`);
  });

  it('reads KEYLEDGER_POLICY, and keeps the default policy when it is unset or blank', () => {
    const file = write('policy.yaml', 'version: 1\nexpiresAfter: 2d\napprovals:\n  destroy-key: 1\n');
    expect(policyFromEnvironment({ KEYLEDGER_POLICY: file })).toEqual(
      policy(2 * 86400, { 'destroy-key': 1 }),
    );
    expect(policyFromEnvironment({})).toBe(DEFAULT_POLICY);
    expect(policyFromEnvironment({ KEYLEDGER_POLICY: '  ' })).toBe(DEFAULT_POLICY);
  });
});

describe('policyFromJson', () => {
  it('accepts the file form, filling in what is left out', () => {
    expect(policyFromJson({ version: 1, approvals: { 'change-policy': 3 } })).toEqual(
      policy(86400, { 'change-policy': 3 }),
    );
    expect(policyFromJson(policyToDocument(DEFAULT_POLICY))).toEqual(DEFAULT_POLICY);
  });

  // [case, body, field, message]
  const refused: [string, unknown, string, string][] = [
    [
      'a count out of range',
      { version: 1, approvals: { 'destroy-key': 10 } },
      'approvals.destroy-key',
      '"approvals.destroy-key" expected an integer from 0 to 9, got 10',
    ],
    [
      'an unknown action',
      { version: 1, approvals: { 'destroy-kye': 2 } },
      'approvals.destroy-kye',
      `"approvals.destroy-kye" is not an action keyledger knows (known: ${KNOWN_ACTIONS})`,
    ],
    ['no version', { approvals: {} }, 'version', '"version" is required (expected 1)'],
    [
      'an expiry past the bound',
      { version: 1, expiresAfter: '31d', approvals: {} },
      'expiresAfter',
      '"expiresAfter" expected a duration from 1s to 30d, got "31d"',
    ],
    [
      'a __proto__ member',
      JSON.parse('{"version": 1, "approvals": {}, "__proto__": {"x": 1}}'),
      '__proto__',
      '"__proto__" is not a field of a policy (known: version, expiresAfter, approvals)',
    ],
    ['a body that is not an object', 'version: 1', '', `the top level expected ${MAPPING}, got "version: 1"`],
  ];

  it.each(refused)('refuses %s as an invalid policy naming the field', (_case, body, field, message) => {
    let thrown: unknown;
    try {
      policyFromJson(body);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(InvalidPolicy);
    expect(thrown).toMatchObject({ type: 'invalid-policy', field, message });
    expect(errorCategory(thrown)).toBe('invalid');
  });
});

describe('policyToDocument', () => {
  it('writes the default policy as the sample reads', () => {
    expect(policyToDocument(DEFAULT_POLICY)).toEqual({
      version: 1,
      expiresAfter: '24h',
      approvals: Object.fromEntries(GATED_ACTIONS.map((action) => [action, 2])),
    });
  });

  it.each([
    [1, '1s'],
    [90, '90s'],
    [120, '2m'],
    [3600, '1h'],
    [86400, '24h'],
    [129600, '36h'],
    [172800, '2d'],
    [MAX_EXPIRY_SECONDS, '30d'],
  ])('renders %i seconds as %s', (seconds, text) => {
    expect(formatDuration(seconds)).toBe(text);
  });

  it('round-trips every policy through JSON and YAML text', () => {
    const policies = fc.record({
      expiresAfterSeconds: fc.integer({ min: MIN_EXPIRY_SECONDS, max: MAX_EXPIRY_SECONDS }),
      counts: fc.array(fc.integer({ min: 0, max: MAX_APPROVALS }), {
        minLength: GATED_ACTIONS.length,
        maxLength: GATED_ACTIONS.length,
      }),
    });
    fc.assert(
      fc.property(policies, ({ expiresAfterSeconds, counts }) => {
        const p = policy(
          expiresAfterSeconds,
          Object.fromEntries(GATED_ACTIONS.map((action, i) => [action, counts[i]])),
        );
        const document = policyToDocument(p);
        expect(parsePolicyText(JSON.stringify(document), 'json')).toEqual(p);
        expect(parsePolicyText(stringify(document), 'yaml')).toEqual(p);
      }),
    );
  });
});

describe('describePolicy', () => {
  it('gives one line per action, then the expiry', () => {
    expect(describePolicy(policy(172800, { 'destroy-key': 2, 'register-hsm': 1 }))).toEqual([
      'destroy-key: 2 officer approvals',
      'transfer-key-cross-domain: no approval, runs at once',
      'register-hsm: 1 officer approval',
      'record-zeroization: no approval, runs at once',
      'enrol-officer: no approval, runs at once',
      'change-policy: no approval, runs at once',
      'requests expire after 2d',
    ]);
  });
});
