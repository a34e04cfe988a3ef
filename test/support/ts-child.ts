import {
  spawn,
  type ChildProcessWithoutNullStreams,
  type SpawnOptionsWithoutStdio,
} from 'node:child_process';
import { REPO_ROOT, tsChildArgs } from './children-build';

/**
 * Runs a TypeScript file of the repository in a real child Node process: its twin in the jest
 * run's build (children-build.ts), else the source compiled on the fly by @swc-node/register.
 */
export function spawnTs(
  script: string,
  args: string[],
  options: SpawnOptionsWithoutStdio = {},
): ChildProcessWithoutNullStreams {
  return spawn(process.execPath, [...tsChildArgs(script), ...args], {
    cwd: REPO_ROOT,
    ...options,
    stdio: 'pipe',
  });
}

/** Runs a TypeScript file to completion and returns its exit code and output. */
export function runTs(
  script: string,
  args: string[],
  options: SpawnOptionsWithoutStdio = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawnTs(script, args, options);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((done, fail) => {
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}
