/**
 * The `keyledger` bin as npm installs it: `dist/cli/main.js` keeps its shebang and is executable
 * (the build sets the mode; tsc writes 0644, and npx then answered "Permission denied" where its
 * cache had linked the bin), and `npx --no-install keyledger --help` from the repo root exits 0.
 * The build is made first if there is none (npm install and npm ci make it through `prepare`).
 */
import * as fs from 'node:fs';
import { DIST_MAIN, ensureBuilt, run, siblingOfNode } from './support/run';

describe('the keyledger bin', () => {
  beforeAll(() => ensureBuilt(), 300_000);

  it('dist/cli/main.js keeps its shebang and is executable', () => {
    // Each octal digit odd: user, group and others may execute it (0755 from the build).
    expect((fs.statSync(DIST_MAIN).mode & 0o777).toString(8)).toMatch(/^[1357]{3}$/);
    expect(fs.readFileSync(DIST_MAIN, 'utf8').split('\n')[0]).toBe('#!/usr/bin/env node');
  });

  it('runs as a program of its own (shebang and mode), printing usage', async () => {
    const result = await run(DIST_MAIN, ['--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Usage: keyledger \[options\] \[command\]$/m);
  });

  it('`npx --no-install keyledger --help` from the repo root exits 0 with the usage', async () => {
    const result = await run(siblingOfNode('npx'), ['--no-install', 'keyledger', '--help'], {}, 120_000);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Usage: keyledger \[options\] \[command\]$/m);
  }, 150_000);
});
