/**
 * The data directory is the service user's alone (issue 10 item 5): created 0700 with every file in
 * it 0600, tightened in place when this user owns it, refused when other users can write it and it
 * is not ours to fix. The refusals need a directory of another user: as root (as CI runs) a chown
 * makes one; as anyone else those cases are skipped.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadConfig } from '../../src/app/config';
import { chainedEventStore } from '../../src/event-store/chained-event-store';
import { openSqliteEventStore } from '../../src/event-store/sqlite-event-store';
import { startServer, type RunningServer } from '../../src/server/server';
import { runCli } from '../support/cli';
import { events } from '../event-store/contract/helpers';

const AS_ROOT = process.getuid?.() === 0;
const NOBODY = 65534;
const itAsRoot = AS_ROOT ? it : it.skip;

const mode = (p: string) => fs.lstatSync(p).mode & 0o7777;

/** Every entry under `dir` (itself included) with its mode in octal, sorted, for one whole comparison. */
function modes(dir: string): Record<string, string> {
  const out: Record<string, string> = { '.': mode(dir).toString(8) };
  for (const e of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    const full = path.join(e.parentPath, e.name);
    out[path.relative(dir, full)] = mode(full).toString(8);
  }
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : 1)));
}

let root: string;

beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'kl-datadir-'));
  fs.chmodSync(root, 0o755);
});

afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

describe('a new data directory', () => {
  let server: RunningServer | undefined;
  afterEach(async () => server?.close());

  it('is created 0700 with every file keyledger makes in it 0600, the demo HSMs included', async () => {
    const dataDir = path.join(root, 'new', 'data');
    server = await startServer(loadConfig({ KEYLEDGER_DATA_DIR: dataDir, KEYLEDGER_PORT: '0' }), {
      demoHsms: { pinDelayMs: 0 },
    });
    // A PIN into secrets.json and an append to both SQLite files while the service runs.
    const response = await fetch(`${server.url}/v1/hsms`, {
      headers: { authorization: `Bearer ${server.token.value}` },
    });
    expect(response.status).toBe(200);
    const seen = modes(dataDir);
    const expected = Object.fromEntries(
      Object.keys(seen).map((name) => [
        name,
        fs.lstatSync(path.join(dataDir, name)).isDirectory() ? '700' : '600',
      ]),
    );
    expect(seen).toEqual(expected);
    // The list is the real one, not whatever happened to exist.
    expect(Object.keys(seen)).toEqual(
      expect.arrayContaining([
        '.',
        'api-token',
        'hsm-a.sock',
        'keyledger.lock',
        'ledger.sqlite',
        'ledger.sqlite-shm',
        'ledger.sqlite-wal',
        'read-models.sqlite',
        'read-models.sqlite-shm',
        'read-models.sqlite-wal',
        'secrets.json',
        'soft-hsm',
        'soft-hsm/hsm-a',
        'soft-hsm/hsm-a/keys',
        'soft-hsm/hsm-a/lock',
        'soft-hsm/hsm-a/mkm.bin',
        'soft-hsm/hsm-a/pins.json',
      ]),
    );
    expect(mode(path.join(root, 'new'))).toBe(0o700);
  });
});

describe('a data directory of ours left 0755 with 0644 files by an earlier keyledger', () => {
  let server: RunningServer | undefined;
  afterEach(async () => server?.close());

  it('is tightened in place to 0700 and 0600, each change printed, and the service starts on it', async () => {
    const dataDir = path.join(root, 'data');
    // Chained, as keyledger writes it (the service refuses a ledger written before the chain).
    const store = chainedEventStore(await openSqliteEventStore(dataDir));
    await store.append('key-1', events(2));
    await store.close();
    fs.writeFileSync(path.join(dataDir, 'secrets.json'), '{"version":1,"pins":{}}');
    fs.mkdirSync(path.join(dataDir, 'soft-hsm', 'hsm-a'), { recursive: true });
    fs.writeFileSync(path.join(dataDir, 'soft-hsm', 'hsm-a', 'mkm.bin'), Buffer.alloc(32));
    for (const p of ['.', 'soft-hsm', 'soft-hsm/hsm-a']) fs.chmodSync(path.join(dataDir, p), 0o755);
    for (const p of ['ledger.sqlite', 'secrets.json', 'soft-hsm/hsm-a/mkm.bin'])
      fs.chmodSync(path.join(dataDir, p), 0o644);
    const lines: string[] = [];
    const warn = jest.spyOn(console, 'warn').mockImplementation((line: string) => void lines.push(line));
    try {
      server = await startServer(loadConfig({ KEYLEDGER_DATA_DIR: dataDir, KEYLEDGER_PORT: '0' }));
    } finally {
      warn.mockRestore();
    }
    expect(lines.sort()).toEqual(
      [
        `keyledger: tightened data directory ${dataDir} from mode 0755 to 0700`,
        `keyledger: tightened ${dataDir}/ledger.sqlite from mode 0644 to 0600`,
        `keyledger: tightened ${dataDir}/secrets.json from mode 0644 to 0600`,
        `keyledger: tightened ${dataDir}/soft-hsm from mode 0755 to 0700`,
        `keyledger: tightened ${dataDir}/soft-hsm/hsm-a from mode 0755 to 0700`,
        `keyledger: tightened ${dataDir}/soft-hsm/hsm-a/mkm.bin from mode 0644 to 0600`,
      ].sort(),
    );
    expect(modes(dataDir)).toEqual({
      '.': '700',
      'api-token': '600',
      'keyledger.lock': '600',
      'ledger.sqlite': '600',
      'ledger.sqlite-shm': '600',
      'ledger.sqlite-wal': '600',
      'read-models.sqlite': '600',
      'read-models.sqlite-shm': '600',
      'read-models.sqlite-wal': '600',
      'secrets.json': '600',
      'soft-hsm': '700',
      'soft-hsm/hsm-a': '700',
      'soft-hsm/hsm-a/mkm.bin': '600',
    });
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
  });
});

describe('keyledger serve with a data directory other users can write', () => {
  const serve = (dataDir: string) => runCli(['serve'], { KEYLEDGER_DATA_DIR: dataDir, KEYLEDGER_PORT: '0' });

  itAsRoot(
    'refuses one of another user, naming it, its mode and what to do, and creates nothing in it',
    async () => {
      const dataDir = path.join(root, 'data');
      fs.mkdirSync(dataDir);
      fs.chmodSync(dataDir, 0o777);
      fs.chownSync(dataDir, NOBODY, NOBODY);
      const result = await serve(dataDir);
      expect(result.code).toBe(1);
      expect(result.stderr).toBe(
        `keyledger: data directory ${dataDir} (mode 0777, owner uid ${NOBODY}) is writable by other users and ` +
          `belongs to another user, so keyledger will not tighten it: run "chown 0 ${dataDir} && chmod 700 ${dataDir}", ` +
          "or set KEYLEDGER_DATA_DIR to a directory of this user's\n",
      );
      expect(fs.readdirSync(dataDir)).toEqual([]);
      expect(mode(dataDir)).toBe(0o777);
    },
  );

  itAsRoot('refuses a symlink to such a directory, naming both', async () => {
    const target = path.join(root, 'shared');
    fs.mkdirSync(target);
    fs.chmodSync(target, 0o770);
    fs.chownSync(target, NOBODY, NOBODY);
    const dataDir = path.join(root, 'data');
    fs.symlinkSync(target, dataDir);
    const result = await serve(dataDir);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `keyledger: data directory ${dataDir} (a symlink to ${target}, mode 0770, owner uid ${NOBODY}) is writable by ` +
        `other users and belongs to another user, so keyledger will not tighten it: run "chown 0 ${target} && chmod 700 ${target}", ` +
        "or set KEYLEDGER_DATA_DIR to a directory of this user's\n",
    );
    expect(fs.readdirSync(target)).toEqual([]);
  });

  itAsRoot(
    'refuses one inside a directory another user lets everyone write, before creating it',
    async () => {
      const parent = path.join(root, 'drop');
      fs.mkdirSync(parent);
      fs.chmodSync(parent, 0o777);
      fs.chownSync(parent, NOBODY, NOBODY);
      const dataDir = path.join(parent, 'data');
      const result = await serve(dataDir);
      expect(result.code).toBe(1);
      expect(result.stderr).toBe(
        `keyledger: data directory ${dataDir} is inside ${parent} (mode 0777, owner uid ${NOBODY}), which other users ` +
          `can write, so they could replace the data directory: have its owner run "chmod go-w ${parent}" ` +
          '(or "chmod +t" if it is shared, like /tmp), or set KEYLEDGER_DATA_DIR to a directory elsewhere\n',
      );
      expect(fs.existsSync(dataDir)).toBe(false);
    },
  );

  it('accepts one inside a sticky directory everyone may write, as /tmp is', async () => {
    const parent = path.join(root, 'tmp');
    fs.mkdirSync(parent);
    fs.chmodSync(parent, 0o1777);
    if (AS_ROOT) fs.chownSync(parent, NOBODY, NOBODY);
    const dataDir = path.join(parent, 'data');
    const server = await startServer(loadConfig({ KEYLEDGER_DATA_DIR: dataDir, KEYLEDGER_PORT: '0' }));
    try {
      expect(mode(dataDir)).toBe(0o700);
    } finally {
      await server.close();
    }
  });
});
