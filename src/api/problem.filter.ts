import { ArgumentsHost, Catch, ExceptionFilter, Logger } from '@nestjs/common';
import { PROBLEM_CONTENT_TYPE, toProblem } from './problem';

/** The parts of express's request and response the filter uses (express ships no types here). */
interface RequestLike {
  readonly method: string;
  readonly originalUrl?: string;
  readonly url?: string;
}
interface ResponseLike {
  readonly headersSent: boolean;
  setHeader(name: string, value: string): void;
  status(code: number): ResponseLike;
  type(contentType: string): ResponseLike;
  send(body: string): void;
}

/** Every error leaves the API as `application/problem+json` (RFC 9457). Only 500s are logged. */
@Catch()
export class ProblemFilter implements ExceptionFilter {
  private readonly logger = new Logger('api');

  catch(error: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<RequestLike>();
    const response = http.getResponse<ResponseLike>();
    const instance = (request.originalUrl ?? request.url ?? '/').split('?')[0];
    const body = toProblem(error, instance);
    if (body.status >= 500 && body.status !== 502) {
      // The message and stack stay in the log; the client gets no internals.
      this.logger.error(
        `${request.method} ${instance}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
      );
    }
    if (response.headersSent) return;
    if (body.status === 401) response.setHeader('WWW-Authenticate', 'Bearer realm="keyledger"');
    response.status(body.status).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(body));
  }
}
