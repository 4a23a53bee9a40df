/**
 * Who is an administrator: an account (never a guest: a guest name can be taken by anyone) that is either
 * the first account ever created (remembered in the store setting `first_account`, first writer wins
 * cluster-wide) or named in the config key `admins`. Requests authenticate with
 * `Authorization: Bearer <session token>`: the same HMAC token the WebSocket `welcome` issues.
 */
import type { IncomingMessage } from 'node:http';
import { nameKey } from '../../protocol/rules.js';
import type { TokenSigner } from '../auth/tokens.js';
import type { Store, UserRecord } from '../store/store.js';

export const FIRST_ACCOUNT_SETTING = 'first_account';

export type Authn =
  | { ok: true; user: UserRecord; admin: boolean }
  | { ok: false; status: 401 | 403; code: 'unauthorized' | 'token_invalid' | 'token_expired' | 'banned'; message: string };

export class AdminAuthz {
  private readonly configured: Set<string>;
  /** Cached once known: the first account never changes (accounts are never deleted). */
  private firstAccount: string | null = null;

  constructor(
    private readonly store: Store,
    private readonly tokens: TokenSigner,
    admins: readonly string[],
  ) {
    this.configured = new Set(admins.map((n) => nameKey(n)));
  }

  /** The id of the first account ever created, recorded in the store the first time it is asked for. */
  async firstAccountId(): Promise<string | null> {
    if (this.firstAccount) return this.firstAccount;
    let id = await this.store.getSetting(FIRST_ACCOUNT_SETTING);
    if (!id) {
      const first = await this.store.firstAccount();
      if (!first) return null;
      id = await this.store.setSettingIfAbsent(FIRST_ACCOUNT_SETTING, first.id);
    }
    this.firstAccount = id;
    return id;
  }

  async isAdmin(user: UserRecord): Promise<boolean> {
    if (!user.account) return false;
    if (this.configured.has(user.nameKey)) return true;
    return (await this.firstAccountId()) === user.id;
  }

  /** Reads the bearer token of a request: 401 without a valid one; a banned user is refused (403). */
  async authenticate(req: IncomingMessage): Promise<Authn> {
    const h = req.headers.authorization ?? '';
    const m = /^Bearer\s+(\S+)\s*$/i.exec(h);
    if (!m) return { ok: false, status: 401, code: 'unauthorized', message: 'send "Authorization: Bearer <session token>"' };
    const check = this.tokens.verify(m[1]);
    if (!check.ok) return { ok: false, status: 401, code: check.reason, message: check.reason === 'token_expired' ? 'session expired: sign in again' : 'invalid session token' };
    const user = await this.store.getUser(check.uid);
    if (!user) return { ok: false, status: 401, code: 'token_invalid', message: 'invalid session token' };
    if (await this.store.getBan(user.nameKey)) return { ok: false, status: 403, code: 'banned', message: 'this name is banned' };
    return { ok: true, user, admin: await this.isAdmin(user) };
  }
}
