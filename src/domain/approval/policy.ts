/**
 * The approval policy as data (docs/architecture.md §5): which actions need how many distinct
 * officer approvals, and how long a request waits for them. Pure: the file format, its schema and
 * line numbers live in src/app/approvals; the ledger's `policy` stream holds the policy in force.
 */

/**
 * The actions a policy can gate. Routine custody (generate, sign, raw export/import, transfer
 * inside a KEK domain, reconcile, paging) is deliberately not among them.
 */
export const GATED_ACTIONS = [
  /** DELETE /v1/keys/{keyId}: every copy deleted, the key destroyed. */
  'destroy-key',
  /** A transfer to an HSM outside the source HSM's KEK domain. */
  'transfer-key-cross-domain',
  /** POST /v1/hsms. */
  'register-hsm',
  /** POST /v1/hsms/{hsm}/zeroized: the HSM leaves its KEK domain. */
  'record-zeroization',
  /** Enrolling an officer, or changing an operator's role to officer. */
  'enrol-officer',
  /** Replacing the policy in force. */
  'change-policy',
] as const;

export type GatedAction = (typeof GATED_ACTIONS)[number];

/** Most approvals any action may ask for (a quorum larger than this is a typo, not a policy). */
export const MAX_APPROVALS = 9;
/** Bounds of `expiresAfterSeconds`: a second to thirty days. */
export const MIN_EXPIRY_SECONDS = 1;
export const MAX_EXPIRY_SECONDS = 30 * 24 * 3600;

export type ApprovalPolicy = {
  readonly version: 1;
  /** How long a request waits for its approvals before it expires. */
  readonly expiresAfterSeconds: number;
  /** Distinct officer approvals each action needs; 0 = none (the action runs at once). */
  readonly approvals: { readonly [A in GatedAction]: number };
};

/** The policy when `KEYLEDGER_POLICY` is unset: two officers for every sensitive action, 24 hours. */
export const DEFAULT_POLICY: ApprovalPolicy = {
  version: 1,
  expiresAfterSeconds: 24 * 3600,
  approvals: {
    'destroy-key': 2,
    'transfer-key-cross-domain': 2,
    'register-hsm': 2,
    'record-zeroization': 2,
    'enrol-officer': 2,
    'change-policy': 2,
  },
};

export function isGatedAction(value: unknown): value is GatedAction {
  return typeof value === 'string' && (GATED_ACTIONS as readonly string[]).includes(value);
}
