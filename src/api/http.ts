import type { NestExpressApplication } from '@nestjs/platform-express';
import { setupOpenApi } from './openapi';
import { BODY_LIMIT } from './problem';

/**
 * HTTP settings of the API on a Nest app created with `bodyParser: false`: a JSON body parser with
 * a size limit (errors become problem+json through the filter) and the OpenAPI document.
 */
export function configureHttp(app: NestExpressApplication, version: string): void {
  app.useBodyParser('json', { limit: BODY_LIMIT });
  app.disable('x-powered-by');
  setupOpenApi(app, version);
}
