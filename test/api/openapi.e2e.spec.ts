/**
 * The OpenAPI document as a client reads it: every operation documents its problem+json answers
 * with one shared schema, the bearer scheme is an opaque token, and Swagger UI loads from /docs and
 * /docs/ alike. The e2e suites check every status they see against it (support/service.ts).
 */
import { documentedStatuses, startService, type Service } from './support/service';

type Operation = {
  description?: string;
  responses: Record<string, { content?: Record<string, { schema?: { $ref?: string } }> }>;
};

describe('the OpenAPI document', () => {
  let svc: Service;
  let document: {
    paths: Record<string, Record<string, Operation>>;
    components: {
      securitySchemes: Record<string, Record<string, unknown>>;
      schemas: Record<string, { properties: Record<string, Record<string, unknown>> }>;
    };
  };

  beforeAll(async () => {
    svc = await startService({ demo: false });
    document = (await (await fetch(`${svc.url}/docs-json`)).json()) as typeof document;
  });
  afterAll(() => svc.close());

  const operations = () =>
    Object.entries(document.paths).flatMap(([p, ops]) =>
      Object.entries(ops).map(([m, op]) => ({ route: `${m.toUpperCase()} ${p}`, op })),
    );

  it('documents problem+json answers with the shared schema on every operation', () => {
    expect(operations().length).toBeGreaterThanOrEqual(23);
    for (const { route, op } of operations()) {
      const errors = Object.keys(op.responses).filter((s) => Number(s) >= 400);
      expect({ route, documented: errors.includes('500') }).toEqual({ route, documented: true });
      // POST /v1/sign has nothing to be unknown as a whole (next test).
      if (route.includes(' /v1/') && route !== 'POST /v1/sign')
        expect({ route, errors }).toEqual({
          route,
          errors: expect.arrayContaining(['400', '401', '404', '503']),
        });
      for (const status of errors) {
        expect({
          route,
          status,
          schema: op.responses[status]!.content?.['application/problem+json']?.schema?.$ref,
        }).toEqual({
          route,
          status,
          schema: '#/components/schemas/ProblemResponse',
        });
      }
    }
  });

  it('documents what a state change can be refused with, and a body route its size and media type', () => {
    const sign = document.paths['/v1/keys/{keyId}/sign']!.post!;
    expect(Object.keys(sign.responses)).toEqual(expect.arrayContaining(['409', '413', '415', '422', '502']));
    const destroy = document.paths['/v1/keys/{keyId}']!.delete!;
    expect(Object.keys(destroy.responses)).toEqual(expect.arrayContaining(['409', '502']));
    expect(Object.keys(destroy.responses)).not.toContain('415');
  });

  it('lists only what POST /v1/sign can answer as a whole, and says an unregistered hsm fails each slot', () => {
    const batch = document.paths['/v1/sign']!.post!;
    expect(Object.keys(batch.responses).sort()).toEqual([
      '200',
      '400',
      '401',
      '403',
      '413',
      '415',
      '500',
      '503',
    ]);
    expect(batch.description).toMatch(
      /`hsm` that is well formed but not registered is no 400 and no 404 for the whole request: every item is answered in its slot with the 404 problem a single sign on it gets/,
    );
  });

  it('declares the item bounds the server checks on each array of a body', () => {
    const { schemas } = document.components;
    expect([
      schemas.PrefetchDto!.properties.keyIds,
      schemas.SignBatchDto!.properties.items,
      schemas.BackupExportDto!.properties.keyIds,
    ]).toEqual([
      expect.objectContaining({ minItems: 1, maxItems: 256 }),
      expect.objectContaining({ minItems: 1, maxItems: 256 }),
      expect.objectContaining({ minItems: 1, maxItems: 4096 }),
    ]);
  });

  it('describes the bearer token as opaque, not a JWT', () => {
    const schemes = Object.values(document.components.securitySchemes);
    expect(schemes).toEqual([expect.objectContaining({ type: 'http', scheme: 'bearer' })]);
    expect(schemes[0]).not.toHaveProperty('bearerFormat');
  });

  it.each(['/docs', '/docs/'])('serves Swagger UI at %s with every asset it links', async (page) => {
    const response = await fetch(`${svc.url}${page}`);
    expect(response.status).toBe(200);
    const html = await response.text();
    const assets = [...html.matchAll(/(?:href|src)="([^"]+)"/g)].map(
      (m) => new URL(m[1]!, `${svc.url}${page}`).href,
    );
    expect(assets.length).toBeGreaterThanOrEqual(4);
    for (const asset of assets) {
      const got = await fetch(asset);
      // Read the body: an unread one keeps the connection busy, and the service's close waits for it.
      await got.arrayBuffer();
      expect({ asset, status: got.status }).toEqual({ asset, status: 200 });
    }
  });

  it('fails an e2e call whose status the document does not list for its route', async () => {
    const check = await documentedStatuses(svc.url);
    expect(() => check.check('GET', '/v1/keys/abc', 404)).not.toThrow();
    expect(() => check.check('GET', '/v1/keys/abc', 418)).toThrow(
      /answered 418, which the OpenAPI document does not list for GET \/v1\/keys\/\{keyId\}/,
    );
    expect(() => check.check('GET', '/v1/nothing-here', 404)).not.toThrow();
  });
});
