import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export function tempDir(prefix: string): { dir: string; remove(): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `keyledger-bench-${prefix}-`));
  return { dir, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** Operations per second, rounded to a whole number. */
export function perSecond(count: number, startNs: bigint): number {
  const seconds = Number(process.hrtime.bigint() - startNs) / 1e9;
  return Math.round(count / seconds);
}

export function round(value: number, digits = 3): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

export function progress(message: string): void {
  process.stderr.write(`  ${message}\n`);
}

/**
 * CPU placement for a client/server pair on Linux: the server process gets one CPU of its own, this
 * process the others. Without it the scheduler's wake-affine heuristic keeps pulling the two ends
 * of a request/response ping-pong onto one CPU (measured here: about a third fewer round trips on
 * a 2-CPU VM). Undefined when `taskset` is missing, fewer than two CPUs are allowed, or
 * KEYLEDGER_BENCH_PIN=0 asks for no pinning (to measure the difference).
 */
export interface CpuSplit {
  /** The CPU list for the server, for `taskset -c`. */
  readonly server: string;
  /** The CPU list this process is pinned to until `restore`. */
  readonly client: string;
  /** Command and arguments that start `command` on the server's CPU. */
  wrap(command: string, args: string[]): [string, string[]];
  /** Gives this process its original CPUs back. */
  restore(): void;
}

function cpuList(text: string): number[] {
  const cpus: number[] = [];
  for (const part of text.trim().split(',')) {
    const [from, to] = part.split('-').map(Number);
    for (let cpu = from; cpu <= (to ?? from); cpu++) cpus.push(cpu);
  }
  return cpus.filter((cpu) => Number.isInteger(cpu));
}

export function splitCpus(): CpuSplit | undefined {
  if (process.platform !== 'linux' || process.env.KEYLEDGER_BENCH_PIN === '0') return undefined;
  const query = spawnSync('taskset', ['-cp', String(process.pid)], { encoding: 'utf8' });
  if (query.status !== 0) return undefined;
  const original = /:\s*([\d,\-\s]+)$/.exec(query.stdout.trim())?.[1]?.trim();
  const cpus = original ? cpuList(original) : [];
  if (!original || cpus.length < 2) return undefined;
  const server = String(cpus[cpus.length - 1]);
  const client = cpus.slice(0, -1).join(',');
  if (spawnSync('taskset', ['-a', '-cp', client, String(process.pid)], { stdio: 'ignore' }).status !== 0)
    return undefined;
  return {
    server,
    client,
    wrap: (command, args) => ['taskset', ['-c', server, command, ...args]],
    restore: () =>
      void spawnSync('taskset', ['-a', '-cp', original, String(process.pid)], { stdio: 'ignore' }),
  };
}

/** A JSON caller of the service at `url` with a bearer token; a status outside 2xx throws with the body. */
export function restCaller(url: string, token: string) {
  return async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const response = await fetch(`${url}${path}`, {
      method,
      // No Content-Type without a body: an empty body declared as JSON is refused (400).
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}: ${text}`);
    return (text ? JSON.parse(text) : undefined) as T;
  };
}

/** The middle value (the upper of the two middles for an even count). */
export function median(values: readonly number[]): number {
  return [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
}
