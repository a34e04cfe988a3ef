import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** The file under the data directory that holds the generated API token (mode 0600). */
export const TOKEN_FILE_NAME = 'api-token';
const MIN_TOKEN_LENGTH = 16;

export class ApiTokenError extends Error {}

export interface ApiToken {
  readonly value: string;
  /** Where it came from: the environment, or the token file (created now or earlier). */
  readonly source: 'env' | 'file' | 'generated';
  readonly file?: string;
}

/**
 * `KEYLEDGER_TOKEN` when set; otherwise the token kept in `<dataDir>/api-token`, generated (32
 * random bytes, base64url) and written 0600 on first start. A token file readable by others is
 * refused rather than used.
 */
export function resolveApiToken(dataDir: string, fromEnv: string | undefined): ApiToken {
  if (fromEnv !== undefined && fromEnv.trim() !== '') {
    const value = fromEnv.trim();
    if (value.length < MIN_TOKEN_LENGTH || /\s/.test(value)) {
      throw new ApiTokenError(
        `KEYLEDGER_TOKEN must be at least ${MIN_TOKEN_LENGTH} characters without spaces`,
      );
    }
    return { value, source: 'env' };
  }
  const file = path.join(dataDir, TOKEN_FILE_NAME);
  const existing = readTokenFile(file);
  if (existing !== undefined) return { value: existing, source: 'file', file };
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const value = randomBytes(32).toString('base64url');
  try {
    fs.writeFileSync(file, `${value}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    // Another process created it first: use theirs.
    if ((error as NodeJS.ErrnoException).code === 'EEXIST')
      return { value: readTokenFile(file)!, source: 'file', file };
    throw error;
  }
  return { value, source: 'generated', file };
}

/** The token in `file`, or undefined if there is none. */
export function readTokenFile(file: string): string | undefined {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  if ((stat.mode & 0o077) !== 0) {
    throw new ApiTokenError(
      `${file} is readable by other users (mode ${(stat.mode & 0o777).toString(8)}); run "chmod 600 ${file}"`,
    );
  }
  const value = fs.readFileSync(file, 'utf8').trim();
  if (value.length < MIN_TOKEN_LENGTH)
    throw new ApiTokenError(`${file} does not hold a token; delete it to have a new one generated`);
  return value;
}

/** Constant-time comparison: both sides are hashed first, so lengths leak nothing either. */
export function tokensEqual(presented: string, expected: string): boolean {
  const a = createHash('sha256').update(presented, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b);
}
