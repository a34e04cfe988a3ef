/**
 * Operator roles (docs/architecture.md §5). They nest: an officer may do what an operator does, an
 * operator what an auditor does; separation of duties comes from approvals, not from locking
 * officers out of keys.
 */
export const ROLES = ['auditor', 'operator', 'officer'] as const;

export type Role = (typeof ROLES)[number];

const RANK: { readonly [R in Role]: number } = { auditor: 0, operator: 1, officer: 2 };

/** True when `role` may do what `needed` may. */
export function roleAtLeast(role: Role, needed: Role): boolean {
  return RANK[role] >= RANK[needed];
}

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}
