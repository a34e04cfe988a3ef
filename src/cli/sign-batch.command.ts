/**
 * `keyledger keys sign-batch --file F.jsonl`: every line of F signed through `POST /v1/sign`,
 * up to MAX_SIGN_BATCH lines a request (and within the body limit), so a file of any length works.
 * stdout gets one JSON line per item, in the file's order: `{line, keyId, signature, hsm, q?}` or
 * `{line, keyId, error}` with the service's problem; stderr the summary. Exit code 0 when every item
 * was signed, 1 when one was not (or the service refused a whole request), 2 for usage: the file
 * cannot be read, or a line is not a JSON object (checked for the whole file before anything is sent).
 */
import type { Command } from 'commander';
import * as fs from 'node:fs';
import { BODY_LIMIT_BYTES, MAX_SIGN_BATCH } from '../api/dto/limits';
import { ApiClient, ApiError, clientSettings } from './api-client';

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
      if (typeof utf8 !== 'string' || 'data' in item)
        command.error(`error: ${file} line ${line}: give "data" (base64) or "text" (a string), not both`, {
          exitCode: 2,
        });
      item.data = Buffer.from(utf8, 'utf8').toString('base64');
    }
    // Anything else about the item (a missing keyId, bad base64, another field) is the service's to judge.
    lines.push({ line, item });
  });
  return lines;
}

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

/** What stdout gets for one item: the line number and the line's keyId first. */
function outputLine(line: Line, answer: ItemAnswer): Record<string, unknown> {
  const keyId = line.item.keyId ?? null;
  if (typeof answer.signature === 'string') {
    const { signature, hsm, q } = answer;
    return { line: line.line, keyId, signature, hsm, ...(q === undefined ? {} : { q }) };
  }
  const { keyId: _echoed, ...problem } = answer;
  return { line: line.line, keyId, error: problem };
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
      const api = new ApiClient(clientSettings());
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
            process.stderr.write(
              `${summary()}; stopped at line ${batch[0]!.line}: the service refused the request for lines ${batch[0]!.line}-${batch[batch.length - 1]!.line}\n`,
            );
            throw error;
          }
          answers = [{ keyId: null, ...error.problem }];
        }
        for (const [i, line] of batch.entries()) {
          const out = outputLine(line, answers[i]!);
          if ('error' in out) failed++;
          else signed++;
          process.stdout.write(`${JSON.stringify(out)}\n`);
        }
      }
      process.stderr.write(`${summary()}\n`);
      if (failed > 0) process.exitCode = 1;
    });
}
