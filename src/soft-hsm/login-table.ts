/**
 * Who is logged in as whom (libhal rpc_misc.c, docs/libhal-rpc.md §3.3, §4.3): at most 10 client
 * handles, each logged in as exactly one user (a new login replaces the old one), plus the access
 * rules every key operation applies.
 */
import { KeyFlag, User } from '../hsm-adapter/constants';
import { fail } from './status';

/** HAL_STATIC_CLIENT_STATE_BLOCKS (§3.3 LOGIN). */
export const MAX_CLIENTS = 10;

export type LoggedInUser = typeof User.NORMAL | typeof User.SO | typeof User.WHEEL;

export function isUser(user: number): user is LoggedInUser {
  return user === User.NORMAL || user === User.SO || user === User.WHEEL;
}

export class LoginTable {
  private readonly clients = new Map<number, LoggedInUser>();

  /** Records a successful login; NO_CLIENT_SLOTS_AVAILABLE when 10 other clients are logged in. */
  login(client: number, user: LoggedInUser, rpc: string): void {
    if (!this.clients.has(client) && this.clients.size >= MAX_CLIENTS)
      throw fail('NO_CLIENT_SLOTS_AVAILABLE', rpc);
    this.clients.set(client, user);
  }

  /** Returns whether the client was logged in. */
  logout(client: number): boolean {
    return this.clients.delete(client);
  }

  /** Every logged-in client handle (LOGOUT_ALL walks them). */
  loggedIn(): number[] {
    return [...this.clients.keys()];
  }

  is(client: number, user: LoggedInUser): boolean {
    return this.clients.get(client) === user;
  }

  /** libhal check_normal_or_wheel: the user that may use keys. The SO cannot (§4.3). */
  canUseKeys(client: number): boolean {
    return this.is(client, User.NORMAL) || this.is(client, User.WHEEL);
  }

  /** check_writable (§4.3): creating, changing or deleting a key; public session objects are open to all. */
  requireWritable(client: number, flags: number, rpc: string): void {
    if ((flags & (KeyFlag.TOKEN | KeyFlag.PUBLIC)) === KeyFlag.PUBLIC) return;
    if (!this.canUseKeys(client)) throw fail('FORBIDDEN', rpc);
  }

  /** check_readable (§4.3): PUBLIC objects are readable by all. */
  isReadable(client: number, flags: number): boolean {
    return (flags & KeyFlag.PUBLIC) !== 0 || this.canUseKeys(client);
  }
}
