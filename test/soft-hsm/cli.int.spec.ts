/** `keyledger soft-hsm init | serve | kek set | zeroize`, run as a user would (separate processes). */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { RPC } from '../../src/hsm-adapter/codec';
import { HalStatus } from '../../src/hsm-adapter/errors';
import { childScript } from '../support/children-build';
import { REPO_ROOT, runCli } from '../support/cli';
import { makeTempDir, removeTempDir } from '../support/temp-dir';
import { within } from '../support/within';
import { SlipClient, statusWord } from './slip-client';

const KEK_HEX = '0123456789abcdef'.repeat(4);

/** Starts `keyledger soft-hsm serve …` and resolves once it prints where it listens. */
function serve(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ child: ChildProcess; out: () => string; line: string }> {
  const child = spawn(process.execPath, [...childScript('cli/main.ts'), 'soft-hsm', 'serve', ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  return within(
    30_000,
    'soft-hsm serve start',
    new Promise((resolve, reject) => {
      const check = () => {
        const m = /soft HSM listening on .*\n/.exec(out);
        if (m) resolve({ child, out: () => out, line: m[0] });
      };
      child.stdout!.on('data', check);
      child.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${out}`)));
    }),
  );
}

const exited = (child: ChildProcess) =>
  new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

describe('keyledger soft-hsm', () => {
  let dir: string;
  let state: string;
  beforeEach(async () => {
    dir = await makeTempDir('soft-hsm-cli-');
    state = path.join(dir, 'state');
  });
  afterEach(() => removeTempDir(dir));

  it('validates init options with clear messages', async () => {
    const init = (...args: string[]) => runCli(['soft-hsm', 'init', ...args]);
    const bad = [
      [['--state', state, '--kek-hex', 'abc'], '--kek-hex must be 64 hex digits (32 bytes), got 3'],
      [
        ['--state', state, '--kek-hex', 'zz'.repeat(32)],
        '--kek-hex must be 64 hex digits (32 bytes), got non-hex characters',
      ],
      [['--state', state], 'give exactly one of --kek-hex HEX and --kek-generate'],
      [
        ['--state', state, '--kek-hex', KEK_HEX, '--kek-generate'],
        'give exactly one of --kek-hex HEX and --kek-generate',
      ],
      [['--state', state, '--kek-generate', '--pin', 'abc'], '--pin must be 4 to 4096 bytes, got 3'],
      [['--kek-generate'], '--state DIR is required'],
    ] as const;
    const results = await Promise.all(bad.map(([args]) => init(...args)));
    expect(results.map((r) => ({ code: r.code, stderr: r.stderr.trim() }))).toEqual(
      bad.map(([, message]) => ({ code: 1, stderr: `keyledger: ${message}` })),
    );
    expect(fs.existsSync(state)).toBe(false);
  }, 120_000);

  it('initialises once, never printing the KEK, and refuses to overwrite', async () => {
    const first = await runCli([
      'soft-hsm',
      'init',
      '--state',
      state,
      '--kek-hex',
      KEK_HEX,
      '--pin',
      'fnord',
    ]);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain(
      `initialised a soft HSM in ${state}: master KEK from --kek-hex, wheel, SO and user PINs set`,
    );
    expect(first.stdout + first.stderr).not.toContain(KEK_HEX);
    expect(fs.readFileSync(path.join(state, 'mkm.bin')).subarray(4).toString('hex')).toBe(KEK_HEX);
    const again = await runCli(['soft-hsm', 'init', '--state', state, '--kek-generate']);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`${state} already holds a soft HSM keystore; refusing to overwrite it`);
  }, 120_000);

  it('serves on the socket named by $CRYPTECH_RPC_CLIENT_SOCKET_NAME, honours --no-raw-export, and shuts down cleanly on SIGTERM', async () => {
    await runCli(['soft-hsm', 'init', '--state', state, '--kek-hex', KEK_HEX, '--pin', 'fnord']);
    const sock = path.join(dir, 'muxd.rpc');
    const s = await serve(['--state', state, '--no-raw-export', '--pin-delay-ms', '0'], {
      CRYPTECH_RPC_CLIENT_SOCKET_NAME: sock,
    });
    expect(s.line).toBe(
      `soft HSM listening on unix:${sock} (state ${state}, capacity 1000, raw export off)\n`,
    );
    const c = await SlipClient.connect({ path: sock });
    expect(statusWord(await c.call(RPC.LOGIN.encodeRequest({ user: 1, pin: Buffer.from('fnord') })))).toBe(0);
    expect(statusWord(await c.call(RPC.EXPORT_RAW.encodeRequest({ pkey: 0, derMax: 5480 })))).toBe(
      HalStatus.RPC_BAD_FUNCTION,
    );
    c.socket.destroy();
    const code = exited(s.child);
    s.child.kill('SIGTERM');
    expect(await within(10_000, 'serve shutdown', code)).toBe(0);
    expect(fs.existsSync(sock)).toBe(false);
    expect(s.out()).not.toContain(KEK_HEX);
  }, 120_000);

  it('serves TCP with --listen and validates serve options', async () => {
    await runCli(['soft-hsm', 'init', '--state', state, '--kek-generate']);
    const bad = await runCli(['soft-hsm', 'serve', '--state', state, '--listen', 'localhost']);
    expect(bad.stderr.trim()).toBe(
      'keyledger: --listen must be HOST:PORT (e.g. 127.0.0.1:9000 or [::1]:9000), got "localhost"',
    );
    const cap = await runCli([
      'soft-hsm',
      'serve',
      '--state',
      state,
      '--capacity',
      '0',
      '--listen',
      '127.0.0.1:0',
    ]);
    expect(cap.stderr.trim()).toBe('keyledger: --capacity must be between 1 and 1000000, got 0');
    const s = await serve(['--state', state, '--listen', '127.0.0.1:0', '--capacity', '5']);
    const port = Number(/tcp:127\.0\.0\.1:(\d+)/.exec(s.line)![1]);
    const c = await SlipClient.connect({ host: '127.0.0.1', port });
    expect((await c.call(RPC.GET_VERSION.encodeRequest({}))).readUInt32BE(12)).toBe(0x01010100);
    c.socket.destroy();
    const code = exited(s.child);
    s.child.kill('SIGINT');
    expect(await within(10_000, 'serve shutdown', code)).toBe(0);
  }, 120_000);

  it('zeroizes and takes a new master KEK "from the console"', async () => {
    await runCli(['soft-hsm', 'init', '--state', state, '--kek-hex', KEK_HEX]);
    const set = await runCli(['soft-hsm', 'kek', 'set', '--state', state, '--kek-hex', KEK_HEX]);
    expect(set.stderr.trim()).toBe(
      `keyledger: the master KEK of ${state} is already set; zeroize the HSM first to enter another`,
    );
    const z = await runCli(['soft-hsm', 'zeroize', '--state', state]);
    expect(z.stdout.trim()).toBe(`soft HSM ${state} zeroized: master KEK and all keys destroyed, PINs kept`);
    expect(fs.readFileSync(path.join(state, 'mkm.bin')).toString('hex')).toBe('ffffffff' + '00'.repeat(32));
    const short = await runCli(['soft-hsm', 'kek', 'set', '--state', state, '--kek-hex', KEK_HEX.slice(2)]);
    expect(short.stderr.trim()).toBe('keyledger: --kek-hex must be 64 hex digits (32 bytes), got 62');
    const ok = await runCli(['soft-hsm', 'kek', 'set', '--state', state, '--kek-hex', KEK_HEX]);
    expect({ code: ok.code, out: ok.stdout.trim() }).toEqual({ code: 0, out: `master KEK of ${state} set` });
    const missing = await runCli(['soft-hsm', 'zeroize', '--state', path.join(dir, 'nope')]);
    expect(missing.stderr).toContain('is not a soft HSM state directory');
  }, 120_000);
});
