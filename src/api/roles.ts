/**
 * Who may use which route (docs/architecture.md §5): the one route → role table, read by the
 * auth guard and by the test that walks the OpenAPI document (a route without a rule fails it,
 * and the guard refuses it). Roles nest (officer ⊇ operator ⊇ auditor), so a route open to several
 * roles names the least of them. Auditors read everything and change nothing but report observed
 * hashsig signatures (whose alarm freezes the key); operators do day-to-day custody and may request
 * the sensitive actions the policy gates (destroy, HSM registration, zeroization, transfers out of
 * a KEK domain); officers approve, enrol operators and change the policy.
 */
import type { operator } from '../domain';

export type RouteRule = operator.Role | 'public';

/** `METHOD /path/{param}` as the OpenAPI document spells it → the least role it needs. */
export const ROUTE_ROLES: Readonly<Record<string, RouteRule>> = {
  'GET /health': 'public',

  'GET /v1/hsms': 'auditor',
  'GET /v1/hsms/{hsm}': 'auditor',
  'GET /v1/hsms/{hsm}/keys': 'auditor',
  'POST /v1/hsms': 'operator',
  'POST /v1/hsms/{hsm}/zeroized': 'operator',
  'POST /v1/hsms/{hsm}/reconcile': 'operator',
  'POST /v1/hsms/{hsm}/prefetch': 'operator',

  'GET /v1/kek-domains': 'auditor',
  'GET /v1/kek-domains/{id}': 'auditor',
  'POST /v1/kek-domains': 'operator',
  'POST /v1/kek-domains/{id}/members': 'operator',

  'GET /v1/keys': 'auditor',
  'GET /v1/keys/{keyId}': 'auditor',
  'GET /v1/keys/{keyId}/events': 'auditor',
  'POST /v1/keys': 'operator',
  'POST /v1/keys/{keyId}/raw-export': 'operator',
  'POST /v1/keys/{keyId}/raw-import': 'operator',
  'POST /v1/keys/{keyId}/transfer': 'operator',
  'POST /v1/keys/{keyId}/sign': 'operator',
  // Reporting a hashsig signature seen in the wild is a monitor's act: auditors (and so operators
  // and officers) may. It changes custody state only by raising an alarm, which freezes the key.
  'POST /v1/keys/{keyId}/observed-signatures': 'auditor',
  // A batch of the sign above, item by item: the same role.
  'POST /v1/sign': 'operator',
  'PATCH /v1/keys/{keyId}': 'operator',
  'DELETE /v1/keys/{keyId}/residency/{hsm}': 'operator',
  'DELETE /v1/keys/{keyId}': 'operator',

  // cryptech_backup files: a KEKEK and keys coming in are day-to-day custody; keys going out to a
  // file anyone with the KEKEK can read are an officer's call.
  'POST /v1/backups/setup': 'operator',
  'POST /v1/backups/import': 'operator',
  'POST /v1/backups/export': 'officer',

  'GET /v1/blobs/{sha256}': 'auditor',
  'POST /v1/blobs': 'operator',

  'GET /v1/operators': 'auditor',
  'GET /v1/operators/me': 'auditor',
  'GET /v1/operators/{id}': 'auditor',
  'POST /v1/operators/me/token': 'auditor',
  'POST /v1/operators': 'officer',
  'PATCH /v1/operators/{id}': 'officer',
  'POST /v1/operators/{id}/token': 'officer',
  'DELETE /v1/operators/{id}': 'officer',

  'GET /v1/approvals': 'auditor',
  'GET /v1/approvals/{id}': 'auditor',
  'POST /v1/approvals/{id}/approve': 'officer',
  'POST /v1/approvals/{id}/reject': 'officer',

  'GET /v1/audit/checkpoint': 'auditor',
  'GET /v1/audit/key': 'auditor',
  'GET /v1/audit/proof/inclusion': 'auditor',
  'GET /v1/audit/proof/consistency': 'auditor',
  'GET /v1/audit/verify': 'auditor',
  // Recording a verification changes no custody state: an auditor's own act.
  'POST /v1/audit/verify': 'auditor',

  'GET /v1/policy': 'auditor',
  'PUT /v1/policy': 'officer',

  'GET /v1/reports/{name}': 'auditor',
};

/** `/v1/keys/:keyId` (the router's form) → `/v1/keys/{keyId}` (the table's and OpenAPI's). */
export function routeKey(method: string, routePath: string): string {
  const p = routePath.replace(/:([A-Za-z0-9_]+)/g, '{$1}').replace(/(.)\/+$/, '$1');
  return `${method.toUpperCase()} ${p}`;
}
