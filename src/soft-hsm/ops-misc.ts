/**
 * Misc and login RPCs (libhal rpc_misc.c and the API layer of hal_rpc.c; docs/libhal-rpc.md §3.3,
 * §4.5): GET_VERSION, GET_RANDOM, SET_PIN, LOGIN, LOGOUT, LOGOUT_ALL, IS_LOGGED_IN.
 */
import { HAL_PIN_MAX_LENGTH, HAL_PIN_MIN_LENGTH, RPC_VERSION, User } from '../hsm-adapter/constants';
import { random, type EngineContext } from './engine-context';
import { isUser, type LoggedInUser } from './login-table';
import { fail } from './status';

export function getVersion(): number {
  return RPC_VERSION;
}

/** Length 0 answers empty bytes (hal_rpc_get_random); the packet-size bound is the dispatcher's. */
export function getRandom(ctx: EngineContext, length: number): Buffer {
  return length === 0 ? Buffer.alloc(0) : random(ctx, length);
}

function checkUserAndPin(user: number, pin: Uint8Array, rpc: string): asserts user is LoggedInUser {
  if (!isUser(user) || pin.length < HAL_PIN_MIN_LENGTH || pin.length > HAL_PIN_MAX_LENGTH)
    throw fail('BAD_ARGUMENTS', rpc);
}

/** Allowed for WHEEL (any user) and for SO setting the NORMAL user's PIN; else FORBIDDEN. */
export function setPin(ctx: EngineContext, client: number, user: number, pin: Uint8Array): void {
  const rpc = 'SET_PIN';
  checkUserAndPin(user, pin, rpc);
  const wheel = ctx.logins.is(client, User.WHEEL);
  const soForUser = user === User.NORMAL && ctx.logins.is(client, User.SO);
  if (!wheel && !soForUser) throw fail('FORBIDDEN', rpc);
  ctx.pins.set(user, pin, ctx.options.rng);
}

/**
 * A wrong (or unset) PIN answers PIN_INCORRECT after the configured delay (5 s in libhal); a
 * right one logs the client in as exactly that user, replacing any earlier login.
 */
export async function login(
  ctx: EngineContext,
  client: number,
  user: number,
  pin: Uint8Array,
): Promise<void> {
  const rpc = 'LOGIN';
  checkUserAndPin(user, pin, rpc);
  if (!ctx.pins.check(user, pin)) {
    if (ctx.options.pinDelayMs > 0)
      await new Promise((resolve) => setTimeout(resolve, ctx.options.pinDelayMs));
    throw fail('PIN_INCORRECT', rpc);
  }
  ctx.logins.login(client, user, rpc);
}

/**
 * Logs the client out and deletes its volatile keys (§3.3; handle 0 purges nothing). Handles stay
 * allocated, as in libhal, so they answer KEY_NOT_FOUND afterwards (§11).
 */
export function logout(ctx: EngineContext, client: number): void {
  ctx.logins.logout(client);
  ctx.keystore.purgeOwner(client);
}

/** Logs every client out, each as LOGOUT would. */
export function logoutAll(ctx: EngineContext): void {
  for (const client of ctx.logins.loggedIn()) logout(ctx, client);
}

/** OK if the handle is logged in as exactly that user, else FORBIDDEN; user ∉ {1,2,3} is BAD_ARGUMENTS. */
export function isLoggedIn(ctx: EngineContext, client: number, user: number): void {
  const rpc = 'IS_LOGGED_IN';
  if (!isUser(user)) throw fail('BAD_ARGUMENTS', rpc);
  if (!ctx.logins.is(client, user)) throw fail('FORBIDDEN', rpc);
}
