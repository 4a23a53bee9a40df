/**
 * Account changes (docs/protocol.md 4.5): change the password, sign out everywhere, delete the account.
 * What they do to the stored user and its tokens; telling the user's connections (every node) is the
 * hub's part (src/server/hub/account.ts).
 *
 * Every change bumps the user's token generation in the same store write, so every token issued before
 * it is refused from then on (`token_revoked`, see tokens.ts). A password given to confirm a change is
 * checked like a login: counted by the login throttle per (name, address), so these frames cannot be
 * used to guess the password faster than `login` can.
 */
import type { ErrorCode } from '../../protocol/codes.js';
import type { ChatStore } from '../store/store.js';
import { hashPassword, isValidPassword, verifyPassword } from './passwords.js';
import type { LoginThrottle } from './throttle.js';
import type { TokenSigner } from './tokens.js';
import { inTime } from '../limits/limits.js';

export type AccountResult<T> = { ok: true; value: T } | { ok: false; code: ErrorCode; message: string; retryAfterMs?: number };

/** The signed-in user as a connection knows it. */
export interface AccountUser {
  id: string;
  nameKey: string;
  account: boolean;
}

const fail = <T>(code: ErrorCode, message: string, retryAfterMs?: number): AccountResult<T> => ({ ok: false, code, message, retryAfterMs });

export class Accounts {
  constructor(
    private readonly store: Pick<ChatStore, 'getUser' | 'setPassword' | 'bumpTokenGen' | 'deleteAccount'>,
    private readonly tokens: TokenSigner,
    private readonly throttle: LoginThrottle,
  ) {}

  /** Sets a new password; returns a token of the new generation for the caller's connection. */
  async changePassword(user: AccountUser, current: string, next: string, ip: string): Promise<AccountResult<{ token: string; expiresAt: number }>> {
    if (!user.account) return fail('forbidden', 'a guest has no password: register an account to have one');
    if (!isValidPassword(next)) return fail('password_invalid', 'passwords are 8-256 characters');
    const wrong = await this.confirm(user, current, ip);
    if (wrong) return wrong;
    const gen = await this.store.setPassword(user.id, await hashPassword(next));
    if (gen === null) return fail('token_revoked', 'this account was deleted');
    return { ok: true, value: this.tokens.issue(user.id, gen) };
  }

  /** Revokes every token of the user (guests too: a guest who signs out everywhere loses the identity). */
  async signOutEverywhere(user: AccountUser): Promise<AccountResult<void>> {
    const gen = await this.store.bumpTokenGen(user.id);
    if (gen === null) return fail('token_invalid', 'this user no longer exists');
    return { ok: true, value: undefined };
  }

  /** Deletes the account after checking its password; returns the rooms it left. */
  async deleteAccount(user: AccountUser, password: string, ip: string): Promise<AccountResult<{ rooms: string[] }>> {
    if (!user.account) return fail('forbidden', 'a guest has no account to delete: sign out everywhere instead');
    const wrong = await this.confirm(user, password, ip);
    if (wrong) return wrong;
    const r = await this.store.deleteAccount(user.id, Date.now());
    if (!r) return fail('token_revoked', 'this account was deleted');
    return { ok: true, value: r };
  }

  /** Checks the account's current password like a login (throttled); null when right. */
  private async confirm(user: AccountUser, password: string, ip: string): Promise<AccountResult<never> | null> {
    const gate = await this.throttle.begin(user.nameKey, ip);
    if (!gate.ok) return fail('login_throttled', `too many wrong passwords: try again ${inTime(gate.retryAfterMs)}`, gate.retryAfterMs);
    const stored = await this.store.getUser(user.id);
    const hash = stored?.passwordHash;
    // An account with no password that is not deleted signs in with the application's tokens (JWT,
    // jwt-accounts.ts): no password to confirm; not a failed guess either (the attempt is taken back).
    if (stored && stored.deletedAt === undefined && !hash) {
      await this.throttle.succeeded(gate.ticket);
      return fail('forbidden', 'this account signs in through your application (JWT): it has no password here, and only an administrator can remove it');
    }
    if (!stored || stored.deletedAt !== undefined || !hash) return fail('token_revoked', 'this account was deleted');
    if (!(await verifyPassword(hash, password))) return fail('auth_failed', 'wrong password');
    await this.throttle.succeeded(gate.ticket);
    return null;
  }
}
