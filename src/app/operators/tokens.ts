/**
 * Operator bearer tokens (docs/architecture.md §5): 256 random bits, shown once, kept in the ledger
 * only as their SHA-256. A prefix lets secret scanners recognise a leaked token; a plain hash is
 * enough for a random secret of this size (nothing to brute-force, unlike a password).
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { sha256Hex } from '../../lib/sha256';

export const TOKEN_PREFIX = 'klt_';
/** The shortest bearer token accepted at all (the bootstrap token of `KEYLEDGER_TOKEN` included). */
export const MIN_TOKEN_LENGTH = 16;
/** Longer tokens are refused unread: nothing legitimate is this long. */
export const MAX_TOKEN_LENGTH = 512;

export function newToken(): string {
  return `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
}

export function tokenHash(token: string): string {
  return sha256Hex(Buffer.from(token, 'utf8'));
}

/** Constant-time comparison of two SHA-256 hex digests. */
export function hashesEqual(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === 32 && y.length === 32 && timingSafeEqual(x, y);
}
