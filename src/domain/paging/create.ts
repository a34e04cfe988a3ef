import { aOneOf } from '../assert';
import { LruPolicy } from './lru';
import type { ReplacementPolicy } from './policy';
import { WTinyLfuPolicy } from './w-tinylfu';

/** The policies `KEYLEDGER_PAGING_POLICY` may name (docs/architecture.md §4 "Key paging"). */
export const POLICY_KINDS = ['w-tinylfu', 'lru'] as const;
export type PolicyKind = (typeof POLICY_KINDS)[number];
export const DEFAULT_POLICY_KIND: PolicyKind = 'w-tinylfu';

const CONSTRUCTORS: Readonly<Record<PolicyKind, new (capacity: number) => ReplacementPolicy>> = {
  'w-tinylfu': WTinyLfuPolicy,
  lru: LruPolicy,
};

export function createPolicy(kind: PolicyKind, capacity: number): ReplacementPolicy {
  aOneOf('kind', kind, POLICY_KINDS);
  return new CONSTRUCTORS[kind](capacity);
}
