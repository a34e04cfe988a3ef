import {
  CanActivate,
  ExecutionContext,
  Inject,
  Injectable,
  Logger,
  UnauthorizedException,
  createParamDecorator,
} from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import type { FastifyRequest } from 'fastify';
import type { Actor } from '../app/actor';
import { AuthenticateQuery } from '../app/operators/operators.commands';
import type { OperatorView } from '../app/operators/views';
import { operator, type ErrorCategory } from '../domain';
import { ROUTE_ROLES, routeKey } from './roles';

/** The request, with the operator the guard authenticated. */
type AuthenticatedRequest = FastifyRequest & { keyledgerOperator?: OperatorView };

/** A role that may not use the route: 403, naming the role it needs. */
export class RoleRequired extends Error {
  static readonly category: ErrorCategory = 'forbidden';
  readonly type = 'role-required';
  readonly problemExtensions: Readonly<Record<string, unknown>>;
  constructor(
    readonly required: operator.Role,
    who: OperatorView,
    route: string,
  ) {
    super(
      `${route} needs the ${required} role (or one above it); ${who.name} (${who.operatorId}) is an ${who.role}`,
    );
    this.problemExtensions = { requiredRole: required, role: who.role };
  }
}

/** A route the role table does not list: refused until it gets a rule (fail closed). */
export class RouteWithoutRule extends Error {
  static readonly category: ErrorCategory = 'forbidden';
  readonly type = 'route-without-rule';
}

/**
 * Bearer-token authentication and role authorisation on every route (docs/architecture.md §5):
 * the token names an active operator (401 otherwise), the operator's role must reach the route's
 * rule in `ROUTE_ROLES` (403 otherwise). Tokens are never logged.
 */
@Injectable()
export class BearerAuthGuard implements CanActivate {
  private readonly logger = new Logger('auth');

  constructor(@Inject(QueryBus) private readonly queries: QueryBus) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const route = routeKey(request.method, request.routeOptions.url ?? request.url.split('?')[0]!);
    const rule = Object.hasOwn(ROUTE_ROLES, route) ? ROUTE_ROLES[route] : undefined;
    if (rule === 'public') return true;
    if (rule === undefined) {
      this.logger.error(`${route} has no rule in src/api/roles.ts: refused`);
      throw new RouteWithoutRule(`${route} has no access rule yet; it is refused until it gets one`);
    }
    const header = request.headers.authorization;
    if (header === undefined) {
      throw new UnauthorizedException(
        'this endpoint needs "Authorization: Bearer <token>" (an operator token; the first officer\'s is KEYLEDGER_TOKEN, or the api-token file in the data directory)',
      );
    }
    const match = /^Bearer ([^\s]+)$/i.exec(header.trim());
    const who = match === null ? undefined : await this.queries.execute(new AuthenticateQuery(match[1]!));
    if (who === undefined)
      throw new UnauthorizedException(
        'the bearer token is not valid for this service (unknown, rotated or revoked)',
      );
    if (!operator.roleAtLeast(who.role, rule)) throw new RoleRequired(rule, who, route);
    request.keyledgerOperator = who;
    return true;
  }
}

/** The authenticated operator as the actor of the commands a route dispatches. */
export const CurrentActor = createParamDecorator((_data: unknown, context: ExecutionContext): Actor => {
  const who = context.switchToHttp().getRequest<AuthenticatedRequest>().keyledgerOperator;
  // The guard runs before any parameter is resolved: a route reaching here without one is a bug.
  if (who === undefined) throw new Error('CurrentActor on a route the guard did not authenticate');
  return { operatorId: who.operatorId, role: who.role };
});
