import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { makeTempDir, removeTempDir } from '../../test/support/temp-dir';
import { takePidLock } from './pid-lock';

const inUse = (pid: number | undefined): Error =>
  new Error(pid === undefined ? 'held here' : `held by ${pid}`);

describe('takePidLock', () => {
  let dir: string;
  let file: string;
  beforeEach(async () => {
    dir = await makeTempDir('keyledger-pid-lock-');
    file = path.join(dir, 'lock');
  });
  afterEach(() => removeTempDir(dir));

  it('writes this pid into a 0600 file and removes it on release, once', () => {
    const lock = takePidLock(file, inUse);
    expect(fs.readFileSync(file, 'utf8')).toBe(`${process.pid}\n`);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    lock.release();
    expect(fs.existsSync(file)).toBe(false);
    fs.writeFileSync(file, 'someone else');
    lock.release();
    expect(fs.readFileSync(file, 'utf8')).toBe('someone else');
  });

  it('refuses a second holder in this process until the first releases', () => {
    const lock = takePidLock(file, inUse);
    expect(() => takePidLock(file, inUse)).toThrow('held here');
    lock.release();
    takePidLock(file, inUse).release();
  });

  it('refuses a lock whose owner still runs, naming it', () => {
    fs.writeFileSync(file, `${process.ppid}\n`);
    expect(() => takePidLock(file, inUse)).toThrow(`held by ${process.ppid}`);
    expect(fs.readFileSync(file, 'utf8')).toBe(`${process.ppid}\n`);
  });

  it.each([
    ['a process that has exited', () => `${spawnSync(process.execPath, ['-e', '']).pid}\n`],
    ['no number', () => 'not a pid'],
    ['nothing', () => ''],
  ])('takes over a lock left by %s', (_case, content) => {
    fs.writeFileSync(file, content());
    const lock = takePidLock(file, inUse);
    expect(fs.readFileSync(file, 'utf8')).toBe(`${process.pid}\n`);
    lock.release();
  });
});
