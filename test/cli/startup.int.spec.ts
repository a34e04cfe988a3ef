/**
 * What the CLI loads before a command runs, built (`dist/cli/main.js`, built first if there is
 * none) and from source: an operator command loads commander, the command files and the HTTP
 * client, and none of NestJS, src/server, src/soft-hsm or the rest of the service; `serve` and
 * `soft-hsm` load what they need when they run. Checked through the modules a real run loaded
 * (`require.cache` at exit), never through timing.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { REPO_ROOT } from '../support/cli';
import { startService, type Service } from '../api/support/service';
import { ensureBuilt, loadedModules, type Entry } from './support/run';

const ROOT = fs.realpathSync(REPO_ROOT);

/** Modules of the service an operator command must not load. */
const HEAVY =
  /\/node_modules\/(@nestjs|fastify|@fastify|better-sqlite3|@eventstore|class-validator|class-transformer|reflect-metadata|rxjs|@noble|cli-progress)\/|\/(src|dist)\/(server|soft-hsm|app|domain|event-store|projections|hsm-adapter)\//;

/**
 * The project's own files an operator command may load: the CLI, the token file reader and the
 * API's size limits (constants without imports; `keys sign-batch` packs its requests under them).
 */
const CLI_FILES = /^\/(src|dist)\/(cli\/[^/]+|api\/api-token|api\/dto\/limits)\.(ts|js)$/;

const heavy = (modules: readonly string[]) => modules.filter((m) => HEAVY.test(m));
const ownFiles = (modules: readonly string[]) =>
  modules
    .filter((m) => m.startsWith(`${ROOT}/`) && !m.includes('/node_modules/'))
    .map((m) => m.slice(ROOT.length));
/** Packages loaded from node_modules, by name. */
const packages = (modules: readonly string[]) =>
  [
    ...new Set(
      modules.flatMap((m) => {
        const match = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(m);
        return match ? [match[1]] : [];
      }),
    ),
  ].sort();

describe.each<Entry>(['dist', 'source'])('what the CLI loads (%s)', (entry) => {
  let svc: Service;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    if (entry === 'dist') await ensureBuilt();
    svc = await startService();
    env = { KEYLEDGER_URL: svc.url, KEYLEDGER_TOKEN: svc.token };
  }, 300_000);

  afterAll(async () => {
    await svc?.close();
  });

  it.each([
    [['--help']],
    [['keys', 'list']],
    [['hsms', 'list', '--json']],
    [['kek-domains', '--help']],
    [['soft-hsm', 'serve', '--help']],
    [['serve', '--help']],
    [['audit', 'migrate', '--help']],
  ])('%j answers without loading NestJS, src/server or src/soft-hsm', async (args) => {
    const result = await loadedModules(entry, args, env);
    expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
    expect(heavy(result.modules)).toEqual([]);
    expect(ownFiles(result.modules).filter((f) => !CLI_FILES.test(f))).toEqual([]);
    if (entry === 'dist') expect(packages(result.modules)).toEqual(['commander']);
  });

  it('an operator command did talk to the service (the check above ran a real command)', async () => {
    await svc.json('POST', '/v1/keys', { hsm: 'hsm-a', type: 'ec', label: 'startup' });
    const result = await loadedModules(entry, ['keys', 'list'], env);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/\sstartup\s/);
  });

  it('`soft-hsm init` loads the soft HSM when it runs', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kl-init-'));
    try {
      const result = await loadedModules(entry, [
        'soft-hsm',
        'init',
        '--state',
        path.join(dir, 's'),
        '--kek-generate',
      ]);
      expect(result.code).toBe(0);
      expect(ownFiles(result.modules)).toEqual(
        expect.arrayContaining([expect.stringMatching(/^\/(src|dist)\/soft-hsm\/index\.(ts|js)$/)]),
      );
      expect(heavy(result.modules).some((m) => m.includes('/@nestjs/'))).toBe(false);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('`audit migrate` loads the ledger when it runs, and neither NestJS nor the service', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kl-mig-'));
    try {
      fs.writeFileSync(path.join(dir, 'ledger.sqlite'), '');
      const result = await loadedModules(entry, ['audit', 'migrate'], { KEYLEDGER_DATA_DIR: dir });
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/is already chained: 0 events in 0 streams; nothing changed/);
      expect(ownFiles(result.modules)).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/^\/(src|dist)\/event-store\/sqlite-chain-migration\.(ts|js)$/),
        ]),
      );
      expect(heavy(result.modules).filter((m) => /\/(@nestjs|fastify|src\/app\/custody)\//.test(m))).toEqual(
        [],
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('`serve` loads NestJS and src/server when it runs (here it stops at a bad KEYLEDGER_DEMO_HSMS)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kl-srv-'));
    try {
      const result = await loadedModules(entry, ['serve'], {
        KEYLEDGER_DATA_DIR: dir,
        KEYLEDGER_PORT: '0',
        KEYLEDGER_DEMO_HSMS: 'maybe',
      });
      expect(result.code).toBe(1);
      expect(result.stderr.trim()).toBe('keyledger: KEYLEDGER_DEMO_HSMS must be 1 or 0, got "maybe"');
      expect(result.modules.some((m) => m.includes('/node_modules/@nestjs/core/'))).toBe(true);
      expect(ownFiles(result.modules)).toEqual(
        expect.arrayContaining([expect.stringMatching(/^\/(src|dist)\/server\/server\.(ts|js)$/)]),
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
