/**
 * Exit codes, as README's CLI section promises them: 0 ok (`--help` and `--version` too), 1 failure
 * (the service refused, or cannot be reached), 2 usage — every usage error, commander's own
 * (unknown command or option, missing sub-command, argument or option, bad choice, extra
 * argument) and the commands' (`--yes` missing, exactly one of …), with the message and the help
 * on stderr. A usage error sends nothing to the service.
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { REPO_ROOT, runCli } from '../support/cli';
import { startService, type Service } from '../api/support/service';
import { outcome, problemDetail } from './support/service';

const UNKNOWN_KEY = '00000000-0000-4000-8000-000000000000';

describe('keyledger exit codes', () => {
  let svc: Service;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    svc = await startService();
    // KEYLEDGER_HSM_PIN unset: `hsms register` without --pin is then a usage error.
    env = { KEYLEDGER_URL: svc.url, KEYLEDGER_TOKEN: svc.token, KEYLEDGER_HSM_PIN: undefined };
  }, 60_000);

  afterAll(async () => {
    await svc?.close();
  });

  // [args, what stderr says first, the help that follows it]
  const usage: [string[], RegExp, RegExp][] = [
    [['bogus'], /^error: unknown command 'bogus'$/m, /^Usage: keyledger \[options\] \[command\]$/m],
    [['--bogus'], /^error: unknown option '--bogus'$/m, /^Usage: keyledger \[options\] \[command\]$/m],
    [[], /^Usage: keyledger \[options\] \[command\]$/m, /^ {2}kek-domains /m],
    [['keys'], /^Usage: keyledger keys \[options\] \[command\]$/m, /^ {2}delete-residency /m],
    [['hsms'], /^Usage: keyledger hsms \[options\] \[command\]$/m, /^ {2}reconcile /m],
    [['kek-domains'], /^Usage: keyledger kek-domains \[options\] \[command\]$/m, /^ {2}join /m],
    [['soft-hsm'], /^Usage: keyledger soft-hsm \[options\] \[command\]$/m, /^ {2}init /m],
    [['soft-hsm', 'kek'], /^Usage: keyledger soft-hsm kek \[options\] \[command\]$/m, /^ {2}set /m],
    [['keys', 'bogus'], /^error: unknown command 'bogus'$/m, /^Usage: keyledger keys /m],
    [['keys', 'list', '--bogus'], /^error: unknown option '--bogus'$/m, /^Usage: keyledger keys list /m],
    [['keys', 'list', 'extra'], /^error: too many arguments for 'list'/m, /^Usage: keyledger keys list /m],
    [['hsms', 'show'], /^error: missing required argument 'hsm'$/m, /^Usage: keyledger hsms show /m],
    [
      ['keys', 'generate', '--type', 'ec'],
      /^error: required option '--hsm <hsm>' not specified$/m,
      /^Usage: keyledger keys generate /m,
    ],
    [
      ['keys', 'generate', '--hsm', 'hsm-a', '--type', 'dsa'],
      /^error: option '--type <type>' argument 'dsa' is invalid/m,
      /^Usage: keyledger keys generate /m,
    ],
    [
      ['keys', 'raw-export', '--hsm', 'hsm-a'],
      /^error: give a keyId or --all$/m,
      /^Usage: keyledger keys raw-export /m,
    ],
    [
      ['keys', 'raw-export', UNKNOWN_KEY, '--all', '--hsm', 'hsm-a'],
      /^error: give a keyId or --all, not both$/m,
      /^Usage: keyledger keys raw-export /m,
    ],
    [
      ['keys', 'raw-import', UNKNOWN_KEY, '--all', '--hsm', 'hsm-a'],
      /^error: give a keyId or --all, not both$/m,
      /^Usage: keyledger keys raw-import /m,
    ],
    [
      ['keys', 'raw-import', '--all', '--hsm', 'hsm-a', '--blob', 'ab'],
      /^error: --blob names one key's blob/m,
      /^Usage: /m,
    ],
    [
      ['keys', 'sign', UNKNOWN_KEY],
      /^error: give exactly one of --data BASE64, --file PATH and --text TEXT$/m,
      /^Usage: keyledger keys sign /m,
    ],
    [
      ['keys', 'destroy', UNKNOWN_KEY],
      /^error: destroying .* cannot be undone; repeat with --yes$/m,
      /^Usage: keyledger keys destroy /m,
    ],
    [
      ['keys', 'delete-residency', UNKNOWN_KEY],
      /^error: required option '--hsm <hsm>' not specified$/m,
      /^Usage: /m,
    ],
    [
      ['hsms', 'zeroized', 'hsm-a'],
      /^error: recording a zeroization of hsm-a .*; repeat with --yes$/m,
      /^Usage: keyledger hsms zeroized /m,
    ],
    [
      ['hsms', 'reconcile'],
      /^error: missing required argument 'hsm'$/m,
      /^Usage: keyledger hsms reconcile /m,
    ],
    [
      ['hsms', 'register', '--name', 'x', '--endpoint', 'unix:/x'],
      /^error: give --pin or set KEYLEDGER_HSM_PIN$/m,
      /^Usage: /m,
    ],
    [
      ['kek-domains', 'create', '--name', 'lab'],
      /^error: required option '--hsm <hsm>' not specified$/m,
      /^Usage: /m,
    ],
    [
      ['kek-domains', 'join', '--hsm', 'hsm-a'],
      /^error: missing required argument 'kekDomain'$/m,
      /^Usage: /m,
    ],
    [
      ['blobs', 'present', '--key', UNKNOWN_KEY, '--file', '/nonexistent/blob'],
      /^error: cannot read --file \/nonexistent\/blob: ENOENT$/m,
      /^Usage: /m,
    ],
    [
      ['soft-hsm', 'init', '--bogus'],
      /^error: unknown option '--bogus'$/m,
      /^Usage: keyledger soft-hsm init /m,
    ],
  ];

  it.each(usage)(
    '%j is a usage error: exit 2, the message and help on stderr, nothing sent',
    async (args, message, help) => {
      const before = await svc.position();
      const result = await runCli(args, env);
      expect({ code: result.code, stdout: result.stdout }).toEqual({ code: 2, stdout: '' });
      expect(result.stderr).toMatch(message);
      expect(result.stderr).toMatch(help);
      expect(await svc.position()).toBe(before);
    },
  );

  it('a KEYLEDGER_URL that is no http(s) URL is a usage error', async () => {
    const result = await runCli(['keys', 'list'], { ...env, KEYLEDGER_URL: 'ftp://127.0.0.1/' });
    expect(outcome(result)).toEqual({
      code: 2,
      stdout: '',
      stderr: 'keyledger: KEYLEDGER_URL must be an http:// or https:// URL, got "ftp://127.0.0.1"\n',
    });
  });

  it('a KEYLEDGER_URL holding a user name and password is a usage error that never shows them', async () => {
    const cases: [string, string][] = [
      [
        'http://user:s3cretpw@127.0.0.1:1',
        'KEYLEDGER_URL must not hold a user name or password, got "http://***@127.0.0.1:1"; the service takes KEYLEDGER_TOKEN',
      ],
      // Neither when the URL is refused for its scheme, nor when the password holds `/` or `@`.
      [
        'ftp://user:s3cretpw@127.0.0.1/',
        'KEYLEDGER_URL must be an http:// or https:// URL, got "ftp://***@127.0.0.1"',
      ],
      [
        `http://user:${'s3cretpw/@'.repeat(8)}@127.0.0.1:1`,
        'KEYLEDGER_URL must not hold a user name or password, got "http://***@127.0.0.1:1"; the service takes KEYLEDGER_TOKEN',
      ],
    ];
    for (const [url, message] of cases)
      for (const args of [['keys', 'list'], ['hsms', 'show', 'hsm-a'], ['whoami']])
        expect(outcome(await runCli(args, { ...env, KEYLEDGER_URL: url }))).toEqual({
          code: 2,
          stdout: '',
          stderr: `keyledger: ${message}\n`,
        });
  });

  it('`hsms zeroized` without --yes leaves the HSM as it was', async () => {
    const before = await svc.json('GET', '/v1/hsms/hsm-a');
    expect((await runCli(['hsms', 'zeroized', 'hsm-a'], env)).code).toBe(2);
    expect(await svc.json('GET', '/v1/hsms/hsm-a')).toEqual(before);
  });

  it.each([
    [['--help']],
    [['-h']],
    [['help']],
    [['help', 'keys']],
    [['keys', '--help']],
    [['hsms', 'reconcile', '--help']],
  ])('%j prints help on stdout and exits 0', async (args) => {
    const result = await runCli(args, env);
    expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
    expect(result.stdout).toMatch(/^Usage: keyledger /m);
  });

  it('--version and -V print the package version and exit 0', async () => {
    const { version } = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as {
      version: string;
    };
    for (const flag of ['--version', '-V'])
      expect(outcome(await runCli([flag], env))).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
  });

  it("a refusal by the service exits 1 with the service's problem detail", async () => {
    const cases: [string[], string, string][] = [
      [['keys', 'show', UNKNOWN_KEY], 'GET', `/v1/keys/${UNKNOWN_KEY}`],
      [['hsms', 'show', 'hsm-zz'], 'GET', '/v1/hsms/hsm-zz'],
      [['hsms', 'keys', 'hsm-zz'], 'GET', '/v1/hsms/hsm-zz/keys'],
      [
        ['kek-domains', 'join', 'no-such-domain', '--hsm', 'hsm-a'],
        'POST',
        '/v1/kek-domains/no-such-domain/members',
      ],
      [
        ['keys', 'delete-residency', UNKNOWN_KEY, '--hsm', 'hsm-a'],
        'DELETE',
        `/v1/keys/${UNKNOWN_KEY}/residency/hsm-a`,
      ],
    ];
    for (const [args, method, p] of cases) {
      const detail = await problemDetail(svc, method, p, method === 'POST' ? { hsm: 'hsm-a' } : undefined);
      expect(outcome(await runCli(args, env))).toEqual({
        code: 1,
        stdout: '',
        stderr: `keyledger: ${detail}\n`,
      });
    }
  });

  it('a service that cannot be reached is a failure: exit 1, naming KEYLEDGER_URL', async () => {
    // A port that was free a moment ago: nothing listens there.
    const port = await new Promise<number>((resolve) => {
      const server = net.createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as net.AddressInfo;
        server.close(() => resolve(port));
      });
    });
    const url = `http://127.0.0.1:${port}`;
    const result = await runCli(['keys', 'list'], { ...env, KEYLEDGER_URL: url });
    expect(outcome(result)).toEqual({
      code: 1,
      stdout: '',
      stderr: `keyledger: cannot reach the keyledger service at ${url} (ECONNREFUSED); is it running? (KEYLEDGER_URL)\n`,
    });
  });
});
