/**
 * `keyledger keys sign-batch --file F.jsonl`: every line of F signed through `POST /v1/sign`,
 * up to MAX_SIGN_BATCH lines a request (and within the body limit), so a file of any length works.
 * stdout gets one JSON line per item, in the file's order: `{line, keyId, signature, hsm, q?}` or
 * `{line, keyId, error}` with the service's problem, naming the line rather than the item's index in
 * its request; stderr the summary. Exit code 0 when every item was signed, 1 when one was not (or a
 * whole request failed: the summary says why and which lines were not signed), 2 for usage: the file
 * cannot be read, or a line is not a JSON object or has a `text` that is not a string (checked for
 * the whole file before anything is sent).
 */
import type { Command } from 'commander';
import * as fs from 'node:fs';
import { BODY_LIMIT_BYTES, MAX_SIGN_BATCH } from '../api/dto/limits';
import { ApiClient, ApiError, clientSettings, shownUrl } from './api-client';

/** One line of the file, as it goes to the service (`text` already turned into base64 `data`). */
interface Line {
  readonly line: number;
  readonly item: Record<string, unknown>;
}

type ItemAnswer = { keyId: string | null; signature?: string; hsm?: string; q?: number } & Record<
  string,
  unknown
>;

/** Room for `{"items":[`, `],"hsm":"…"}` around the items: an HSM reference is at most 128 characters. */
const ENVELOPE_BYTES = 256;

/** The file's lines as items; a usage error (exit 2) names the first line that is not one. */
function readLines(file: string, command: Command): Line[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    return command.error(
      `error: cannot read --file ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
      { exitCode: 2 },
    );
  }
  const lines: Line[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = i + 1;
    if (raw.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      // Never quote the line: it holds the data to sign.
      command.error(`error: ${file} line ${line} is not JSON`, { exitCode: 2 });
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      command.error(`error: ${file} line ${line} is not a JSON object {"keyId", "data"}`, { exitCode: 2 });
    const { text: utf8, ...item } = value as Record<string, unknown>;
    if (utf8 !== undefined) {
      if ('data' in item)
        command.error(`error: ${file} line ${line}: give "data" (base64) or "text" (a string), not both`, {
          exitCode: 2,
        });
      if (typeof utf8 !== 'string')
        command.error(`error: ${file} line ${line}: "text" must be a string, got ${jsonType(utf8)}`, {
          exitCode: 2,
        });
      item.data = Buffer.from(utf8, 'utf8').toString('base64');
    }
    // Anything else about the item (a missing keyId, bad base64, another field) is the service's to judge.
    lines.push({ line, item });
  });
  return lines;
}

const jsonType = (value: unknown): string =>
  value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`;

/** Consecutive runs of lines, each at most MAX_SIGN_BATCH items and BODY_LIMIT_BYTES of JSON. */
function* batches(lines: readonly Line[]): Generator<Line[]> {
  let batch: Line[] = [];
  let bytes = ENVELOPE_BYTES;
  for (const line of lines) {
    const size = Buffer.byteLength(JSON.stringify(line.item)) + 1;
    if (batch.length > 0 && (batch.length === MAX_SIGN_BATCH || bytes + size > BODY_LIMIT_BYTES)) {
      yield batch;
      batch = [];
      bytes = ENVELOPE_BYTES;
    }
    batch.push(line);
    bytes += size;
  }
  if (batch.length > 0) yield batch;
}

/**
 * The service names an item by its index in the request (`items.43 is invalid: keyId …`, errors
 * fields `items.43.keyId`), which means nothing to the reader of the file: here it is its line
 * (`line 300: keyId …`, field `keyId`).
 */
function byLine(problem: Record<string, unknown>, index: number, line: number): Record<string, unknown> {
  const item = `items\\.${index}(?!\\d)`;
  const named = (text: string) => text.replace(new RegExp(item, 'g'), `line ${line}`);
  const out = { ...problem };
  if (typeof out.detail === 'string')
    out.detail = named(out.detail.replace(new RegExp(`^${item} is invalid: `), `line ${line}: `));
  if (Array.isArray(out.errors))
    out.errors = out.errors.map((e: unknown) =>
      typeof e === 'object' && e !== null && typeof (e as { field?: unknown }).field === 'string'
        ? { ...e, field: named((e as { field: string }).field.replace(new RegExp(`^${item}\\.`), '')) }
        : e,
    );
  return out;
}

/** What stdout gets for one item (`index` in its request): the line number and the line's keyId first. */
function outputLine(line: Line, index: number, answer: ItemAnswer): Record<string, unknown> {
  const keyId = line.item.keyId ?? null;
  if (typeof answer.signature === 'string') {
    const { signature, hsm, q } = answer;
    return { line: line.line, keyId, signature, hsm, ...(q === undefined ? {} : { q }) };
  }
  const { keyId: _echoed, ...problem } = answer;
  return { line: line.line, keyId, error: byLine(problem, index, line.line) };
}

const span = (from: number, to: number) => (from === to ? `line ${from}` : `lines ${from}-${to}`);

/** Why a whole request failed, for the summary: what happened, not only that it was refused. */
function stopReason(error: unknown, url: string, batch: readonly Line[]): string {
  const status = error instanceof ApiError ? error.status : undefined;
  if (status === 0) return `cannot reach the keyledger service at ${shownUrl(url)}`;
  if (status === 401) return 'the token was refused (401)';
  const lines = span(batch[0]!.line, batch[batch.length - 1]!.line);
  return `the service refused the request for ${lines}${status === undefined ? '' : ` (${status})`}`;
}

export function registerSignBatchCommand(keys: Command): void {
  keys
    .command('sign-batch')
    .description(
      `sign every line of a JSONL file ({"keyId", "data": base64} or {"keyId", "text"}), ${MAX_SIGN_BATCH} lines a request; one JSON line per item on stdout, the summary on stderr`,
    )
    .requiredOption('--file <path>', 'the JSONL file')
    .option('--hsm <hsm>', 'HSM to sign every item on (default: for each key, one that holds it)')
    .option('--json', 'the summary on stderr as JSON {signed, failed} (the item lines are JSON either way)')
    .action(async (options: { file: string; hsm?: string; json?: boolean }, command: Command) => {
      const lines = readLines(options.file, command);
      const settings = clientSettings();
      const api = new ApiClient(settings);
      let signed = 0;
      let failed = 0;
      const summary = () =>
        options.json ? JSON.stringify({ signed, failed }) : `${signed} signed, ${failed} failed`;
      for (const batch of batches(lines)) {
        let answers: ItemAnswer[];
        try {
          answers = (
            await api.post<{ items: ItemAnswer[] }>('/v1/sign', {
              items: batch.map((l) => l.item),
              ...(options.hsm === undefined ? {} : { hsm: options.hsm }),
            })
          ).items;
        } catch (error) {
          // A lone item too large for any request is that item's failure, not the file's.
          if (!(error instanceof ApiError && error.status === 413 && batch.length === 1)) {
            const notDone = span(batch[0]!.line, lines[lines.length - 1]!.line);
            process.stderr.write(
              `${summary()}; stopped at line ${batch[0]!.line}: ${stopReason(error, settings.url, batch)}; ${notDone} not signed\n`,
            );
            throw error;
          }
          answers = [{ keyId: null, ...error.problem }];
        }
        for (const [i, line] of batch.entries()) {
          const out = outputLine(line, i, answers[i]!);
          if ('error' in out) failed++;
          else signed++;
          process.stdout.write(`${JSON.stringify(out)}\n`);
        }
      }
      process.stderr.write(`${summary()}\n`);
      if (failed > 0) process.exitCode = 1;
    });
}
