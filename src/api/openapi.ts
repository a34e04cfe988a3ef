import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { ROUTE_ROLES } from './roles';

const DESCRIPTION = `Custody ledger and external keystore for Cryptech-style HSMs. Binary fields are base64. Errors are RFC 9457 application/problem+json.

**Operators and roles.** Every /v1 route needs "Authorization: Bearer <token>", the token of an active operator, and the least role its operation names (\`x-keyledger-role\`, also in its description). Roles nest: auditor (reads everything; changes nothing but reports observed hashsig signatures) < operator (day-to-day custody; may ask for gated actions) < officer (approves, enrols operators, changes the policy). No or a bad token: 401; a role too low: 403 \`role-required\` with \`requiredRole\`. On a new ledger the bootstrap token (KEYLEDGER_TOKEN, or the api-token file) is the first officer's.

**Dual control.** The approval policy (GET /v1/policy) names the actions that need M distinct officer approvals: destroy-key, transfer-key-cross-domain, register-hsm, record-zeroization, enrol-officer, change-policy (default: 2 each, requests expire after 24h). A gated request answers 202 with the approval request and runs nothing. Officers other than the requester approve it (POST /v1/approvals/{id}/approve, each once); the approval that reaches the quorum runs the action once and answers with status executed (outcome.result) or failed (outcome.reason). A rejection (POST /v1/approvals/{id}/reject) is final; an expired request cannot be approved (409).

Worked example: an operator sends DELETE /v1/keys/{keyId} → 202 {approvalId, status: "pending", required: 2, approvals: []}; officer B posts /v1/approvals/{approvalId}/approve → 200, still pending; officer C does the same → 200 {status: "executed"}; GET /v1/keys/{keyId}/events shows ApprovalRequested (the operator), two ApprovalGranted (B, C), the key's deletion and destruction and ApprovalExecuted (C).

A policy file (KEYLEDGER_POLICY, YAML or JSON; PUT /v1/policy takes the same document as JSON): \`{"version": 1, "expiresAfter": "24h", "approvals": {"destroy-key": 2, "register-hsm": 2}}\` — an action left out needs no approval.`;

/** Serves Swagger UI at `/docs` and the OpenAPI document at `/docs-json` (both public). */
export function setupOpenApi(app: INestApplication, version: string): void {
  const config = new DocumentBuilder()
    .setTitle('keyledger')
    .setDescription(DESCRIPTION)
    .setVersion(version)
    // An opaque random token (not a JWT): no bearerFormat.
    .addBearerAuth({
      type: 'http',
      scheme: 'bearer',
      bearerFormat: undefined,
      description:
        "an operator's token; on a new ledger KEYLEDGER_TOKEN (or the api-token file) is the first officer's",
    })
    .build();
  const document = SwaggerModule.createDocument(app, config);
  // Each operation says the role it needs, from the one table the guard reads.
  for (const [p, operations] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(operations as Record<string, Record<string, unknown>>)) {
      const role = ROUTE_ROLES[`${method.toUpperCase()} ${p}`];
      if (role === undefined || typeof operation !== 'object' || operation === null) continue;
      operation['x-keyledger-role'] = role;
      const needs = role === 'public' ? 'Public: no token needed.' : `Needs the ${role} role (or above).`;
      operation.description = operation.description ? `${String(operation.description)}\n\n${needs}` : needs;
    }
  }
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });
}
