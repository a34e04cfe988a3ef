import {
  CanActivate,
  ExecutionContext,
  Inject,
  Injectable,
  SetMetadata,
  UnauthorizedException,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { IncomingMessage } from 'node:http';
import { tokensEqual } from './api-token';

/** DI token of the API bearer token (a string). */
export const API_TOKEN = Symbol('API_TOKEN');
const IS_PUBLIC = 'keyledger:public';

/** Marks a controller or route as reachable without a token (`/health`). */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(IS_PUBLIC, true);

/**
 * Bearer-token authentication for every route not marked `@Public()` (the operator model with
 * roles comes later, docs/architecture.md §5). The token is compared in constant time and never logged.
 */
@Injectable()
export class BearerAuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    @Inject(API_TOKEN) private readonly token: string,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const isPublic = this.reflector.getAllAndOverride<boolean | undefined>(IS_PUBLIC, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (isPublic) return true;
    const header = context.switchToHttp().getRequest<IncomingMessage>().headers.authorization;
    if (header === undefined) {
      throw new UnauthorizedException(
        'this endpoint needs "Authorization: Bearer <token>" (the token is KEYLEDGER_TOKEN, or the api-token file in the data directory)',
      );
    }
    const match = /^Bearer ([^\s]+)$/i.exec(header.trim());
    if (match === null || !tokensEqual(match[1], this.token)) {
      throw new UnauthorizedException('the bearer token is not valid for this service');
    }
    return true;
  }
}
