/** Helpers for driving the CLI against the real service of test/api/support/service.ts. */
import type { CliResult } from '../../support/cli';
import type { Service } from '../../api/support/service';

/**
 * The problem `detail` the service answers `method path` with (the request is refused, so asking
 * again changes nothing): what the CLI must print after `keyledger: `.
 */
export async function problemDetail(
  svc: Service,
  method: string,
  p: string,
  body?: unknown,
): Promise<string> {
  const response = await svc.call(method, p, body);
  const text = await response.text();
  if (response.ok)
    throw new Error(`${method} ${p} was expected to be refused, got ${response.status}: ${text}`);
  return (JSON.parse(text) as { detail: string }).detail;
}

/** Exit code and output in one value, so a failed expectation shows all of it. */
export const outcome = (r: CliResult) => ({ code: r.code, stdout: r.stdout, stderr: r.stderr });

/** The rows of a table the CLI printed (cells are separated by two or more spaces). */
export function rows(text: string): string[][] {
  return text
    .trimEnd()
    .split('\n')
    .map((line) => line.trim().split(/ {2,}/));
}

/** The row of `table` whose first cell is `first`. */
export function row(text: string, first: string): string[] | undefined {
  return rows(text).find((r) => r[0] === first);
}
