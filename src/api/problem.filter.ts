import { ArgumentsHost, Catch, ExceptionFilter, Logger } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { AwaitingApproval } from '../app/approvals/gate';
import { PROBLEM_CONTENT_TYPE, toProblem } from './problem';

/** The parts of the HTTP request the filter reads (the same on every Nest platform). */
interface RequestLike {
  readonly method: string;
  readonly originalUrl?: string;
  readonly url?: string;
}

/**
 * Every error leaves the API as `application/problem+json` (RFC 9457). Only 500s are logged. One
 * thrown value is not an error: `AwaitingApproval` (the command waits for officers) is a 202 with
 * the approval request.
 */
@Catch()
export class ProblemFilter implements ExceptionFilter {
  private readonly logger = new Logger('api');

  constructor(private readonly adapterHost: HttpAdapterHost) {}

  catch(error: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<RequestLike>();
    const response: unknown = http.getResponse();
    const instance = (request.originalUrl ?? request.url ?? '/').split('?')[0];
    const adapter = this.adapterHost.httpAdapter;
    if (error instanceof AwaitingApproval) {
      if (adapter.isHeadersSent(response)) return;
      adapter.setHeader(response, 'Content-Type', 'application/json; charset=utf-8');
      adapter.reply(response, JSON.stringify(error.approval), 202);
      return;
    }
    const body = toProblem(error, instance);
    if (body.status >= 500 && body.status !== 502) {
      // The message and stack stay in the log; the client gets no internals.
      this.logger.error(
        `${request.method} ${instance}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
      );
    }
    if (adapter.isHeadersSent(response)) return;
    if (body.status === 401) adapter.setHeader(response, 'WWW-Authenticate', 'Bearer realm="keyledger"');
    adapter.setHeader(response, 'Content-Type', PROBLEM_CONTENT_TYPE);
    adapter.reply(response, JSON.stringify(body), body.status);
  }
}
