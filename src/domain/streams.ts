/**
 * Stream names (docs/architecture.md §2): the one place they are built and parsed, so a typo cannot split a
 * key's history across two streams. Categories contain no `-`, so the first `-` ends the category.
 */
import { InvalidCommand } from './errors';

export type StreamCategory = 'hsm' | 'kekdomain' | 'key' | 'blob' | 'operator' | 'approval';

export const AUDIT_STREAM = 'audit';
/** The approval policy in force (src/domain/approval/policy-stream.ts). */
export const POLICY_STREAM = 'policy';

const CATEGORIES: readonly StreamCategory[] = ['hsm', 'kekdomain', 'key', 'blob', 'operator', 'approval'];
const ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
const SHA256 = /^[0-9a-f]{64}$/;

/** `streamName('key', keyId)` → `key-<keyId>`; `streamName('audit')` → `audit`. */
export function streamName(category: 'audit' | 'policy'): string;
export function streamName(category: StreamCategory, id: string): string;
export function streamName(category: StreamCategory | 'audit' | 'policy', id?: string): string {
  if (category === 'audit') return AUDIT_STREAM;
  if (category === 'policy') return POLICY_STREAM;
  if (!CATEGORIES.includes(category))
    throw new InvalidCommand(`unknown stream category ${JSON.stringify(category)}`);
  if (typeof id !== 'string' || !(category === 'blob' ? SHA256 : ID).test(id)) {
    throw new InvalidCommand(
      `a ${category} stream id expected ${category === 'blob' ? '64 lowercase hex characters (SHA-256)' : 'letters, digits, . _ : - (at most 128)'}, got ${JSON.stringify(id)}`,
    );
  }
  return `${category}-${id}`;
}

export type ParsedStreamName =
  | { readonly category: StreamCategory; readonly id: string }
  | { readonly category: 'audit' }
  | { readonly category: 'policy' };

/** The inverse of `streamName`; `null` for a name it would never build. */
export function parseStreamName(name: string): ParsedStreamName | null {
  if (name === AUDIT_STREAM) return { category: 'audit' };
  if (name === POLICY_STREAM) return { category: 'policy' };
  const dash = name.indexOf('-');
  if (dash < 0) return null;
  const category = name.slice(0, dash) as StreamCategory;
  const id = name.slice(dash + 1);
  if (!CATEGORIES.includes(category)) return null;
  return (category === 'blob' ? SHA256 : ID).test(id) ? { category, id } : null;
}
