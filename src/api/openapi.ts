import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';

/** Serves Swagger UI at `/docs` and the OpenAPI document at `/docs-json` (both public). */
export function setupOpenApi(app: INestApplication, version: string): void {
  const config = new DocumentBuilder()
    .setTitle('keyledger')
    .setDescription(
      'Custody ledger and external keystore for Cryptech-style HSMs. Binary fields are base64. ' +
        'Errors are RFC 9457 application/problem+json. Every /v1 route needs "Authorization: Bearer <token>".',
    )
    .setVersion(version)
    // An opaque random token (not a JWT): no bearerFormat.
    .addBearerAuth({
      type: 'http',
      scheme: 'bearer',
      bearerFormat: undefined,
      description: 'KEYLEDGER_TOKEN, or the api-token file in the data directory',
    })
    .build();
  const document = SwaggerModule.createDocument(app, config);
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });
}
