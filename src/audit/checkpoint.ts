/**
 * The note text of a c2sp.org/tlog-checkpoint: the origin, the tree size in decimal without leading
 * zeros, the base64 RFC 6962 root hash, then optional extension lines, each line non-empty and
 * ending in a newline. It is what ./note.ts signs.
 *
 * Building is stricter than parsing: the origin we write is also our key name (the spec's SHOULD),
 * so it holds no space and no "+"; a parsed origin may be any non-empty line, as clients MUST NOT
 * assume its form. Sizes stop at 2^53 − 1, the largest integer a number holds exactly; a larger
 * one is refused rather than rounded.
 */
import { abytes, aint } from '../lib/bytes';
import { ArgumentError } from '../lib/errors';
import { MalformedCheckpoint } from './errors';
import { HASH_BYTES } from './merkle';
import { MAX_NOTE_BYTES } from './note';
import { isKeyName, strictBase64, textProblem } from './text';

export interface Checkpoint {
  readonly origin: string;
  readonly size: number;
  readonly rootHash: Uint8Array;
  readonly extensions: readonly string[];
}

export function buildCheckpoint(checkpoint: Checkpoint): string {
  const { origin, size, rootHash, extensions } = checkpoint;
  if (typeof origin !== 'string' || !isKeyName(origin))
    throw new ArgumentError('origin', '"origin" expected a non-empty line with no spaces and no "+"');
  aint(size, 'size', 0, Number.MAX_SAFE_INTEGER);
  abytes(rootHash, 'rootHash', HASH_BYTES);
  if (!Array.isArray(extensions))
    throw new ArgumentError('extensions', '"extensions" expected an array of lines');
  extensions.forEach((line: unknown, i) => {
    if (typeof line !== 'string' || line === '' || line.includes('\n') || textProblem(line))
      throw new ArgumentError(`extensions[${i}]`, `"extensions[${i}]" expected a non-empty line of text`);
  });
  return [origin, String(size), Buffer.from(rootHash).toString('base64'), ...extensions].join('\n') + '\n';
}

export function parseCheckpoint(text: string): Checkpoint {
  if (typeof text !== 'string') throw new MalformedCheckpoint('expected a string');
  if (text.length > MAX_NOTE_BYTES) throw new MalformedCheckpoint(`longer than ${MAX_NOTE_BYTES} characters`);
  const problem = textProblem(text);
  if (problem) throw new MalformedCheckpoint(problem);
  if (!text.endsWith('\n')) throw new MalformedCheckpoint('the text must end in a newline');
  const lines = text.slice(0, -1).split('\n');
  if (lines.length < 3) throw new MalformedCheckpoint(`expected at least 3 lines, got ${lines.length}`);
  const empty = lines.indexOf('');
  if (empty >= 0) throw new MalformedCheckpoint(`line ${empty + 1} is empty`);
  const [origin, sizeLine, rootLine, ...extensions] = lines;
  if (!/^(?:0|[1-9][0-9]*)$/.test(sizeLine))
    throw new MalformedCheckpoint('the tree size (line 2) is not a decimal number without leading zeros');
  const size = Number(sizeLine);
  if (!Number.isSafeInteger(size))
    throw new MalformedCheckpoint(`tree size ${sizeLine} exceeds 2^53 − 1, the largest handled here`);
  const rootHash = strictBase64(rootLine);
  if (!rootHash || rootHash.length !== HASH_BYTES)
    throw new MalformedCheckpoint(`the root hash (line 3) is not canonical base64 of ${HASH_BYTES} bytes`);
  return { origin, size, rootHash, extensions };
}
