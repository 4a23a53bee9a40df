/**
 * Who is an administrator: an account (never a guest: a guest name can be taken by anyone) that the
 * operator made one, either
 * - with `scale-chat admin grant NAME` on the server host (src/cli/admin.ts): the account's id goes into
 *   the store setting `admins` (a JSON array of user ids), shared by every node, effective at once; or
 * - by id in the config key `admins` (`--admins u0123456789abcdef`): ids are random and exist only once
 *   the account does, so no one can register their way into the role.
 * Nothing else makes an admin: not being the first account, not a name (a name not yet registered would
 * go to whoever registers it first). With no admin at all the server says at start how to grant one.
 *
 * Requests authenticate with `Authorization: Bearer <session token>`: the same HMAC token the WebSocket
 * `welcome` issues; or, when JWT sign-in is configured, with a token of the application's backend (the
 * same verifier and account as a `jwt` hello, src/server/auth/jwt-accounts.ts). With `jwtAdminRole` set,
 * a JWT whose roles hold it makes its account an admin too (the setting `jwt_admins`).
 */
import type { IncomingMessage } from 'node:http';
import { isCurrent, type TokenSigner } from '../auth/tokens.js';
import { jwtAdmins, type JwtAccounts } from '../auth/jwt-accounts.js';
import type { ClientIp } from '../common/client-ip.js';
import type { AdminStore, ChatStore, UserRecord } from '../store/store.js';
import type { ErrorCode } from '../../protocol/codes.js';

/** Store setting: JSON array of the user ids granted the admin role. */
export const ADMINS_SETTING = 'admins';
/** Former setting (the first account was an admin): read only to tell the operator at start. */
export const FIRST_ACCOUNT_SETTING = 'first_account';
/** A user id as `newUserId` makes them (src/server/auth/handshake.ts). */
export const USER_ID_RE = /^u[0-9a-f]{16}$/;

/** The granted ids in a setting's value; anything malformed counts as none. */
export function parseAdmins(raw: string | null): string[] {
  if (!raw) return [];
  try {
    const v: unknown = JSON.parse(raw);
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string' && USER_ID_RE.test(x)) : [];
  } catch {
    return [];
  }
}

export async function grantedAdmins(store: Pick<ChatStore, 'getSetting'>): Promise<string[]> {
  return parseAdmins(await store.getSetting(ADMINS_SETTING));
}

/**
 * Adds (`grant`) or removes a user id in the setting; returns false when it was already so. Re-reads after
 * writing and tries again if another writer's update replaced this one (two grants at the same moment).
 */
export async function setAdmin(store: Pick<ChatStore, 'getSetting' | 'setSetting'>, uid: string, grant: boolean): Promise<boolean> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const ids = await grantedAdmins(store);
    if (ids.includes(uid) === grant) return attempt > 0;
    const next = grant ? [...ids, uid] : ids.filter((x) => x !== uid);
    await store.setSetting(ADMINS_SETTING, JSON.stringify(next));
    if ((await grantedAdmins(store)).includes(uid) === grant) return true;
  }
  throw new Error('the admins setting keeps changing under this update: try again');
}

export type Authn =
  | { ok: true; user: UserRecord; admin: boolean }
  | { ok: false; status: 401 | 403; code: 'unauthorized' | 'token_invalid' | 'token_expired' | 'token_revoked' | 'banned'; message: string }
  | { ok: false; status: 401 | 403 | 429 | 503; code: ErrorCode; message: string };

/** JWT bearers for the admin API (src/server/auth/jwt-accounts.ts). */
export interface AdminJwt {
  accounts: JwtAccounts;
  /** Do JWT roles grant the admin role (jwtAdminRole set)? */
  roles: boolean;
  /** The client's address (behind trusted proxies: the forwarded one), for the throttle of bad tokens. */
  clientIp: ClientIp;
}

export class AdminAuthz {
  private readonly configured: Set<string>;

  constructor(
    private readonly store: Pick<AdminStore, 'getBan'> & Pick<ChatStore, 'getUser' | 'getSetting'>,
    private readonly tokens: TokenSigner,
    /** Account ids from the config key `admins`. */
    admins: readonly string[],
    /** JWT bearer tokens (absent: session tokens only). */
    private readonly jwt?: AdminJwt,
  ) {
    this.configured = new Set(admins);
  }

  /** Read on every request (one small row): a grant or revoke by the CLI applies at once, on every node. */
  async isAdmin(user: UserRecord): Promise<boolean> {
    if (!user.account) return false;
    if (this.configured.has(user.id)) return true;
    if ((await grantedAdmins(this.store)).includes(user.id)) return true;
    return Boolean(this.jwt?.roles) && (await jwtAdmins(this.store)).includes(user.id);
  }

  /**
   * What the operator must be told at start, or null: no administrator exists (none granted, none
   * configured), or an entry of `--admins` is no account. Also names the former first-account admin,
   * who is no longer one by default.
   */
  async startupNotice(): Promise<{ message: string; fields: Record<string, unknown> } | null> {
    const unknown: string[] = [];
    let configuredAccounts = 0;
    for (const id of this.configured) {
      const u = await this.store.getUser(id);
      if (u?.account) configuredAccounts++;
      else unknown.push(id);
    }
    if (unknown.length) {
      return { message: 'admins: these --admins ids are no account (ignored); `scale-chat admin list` shows the admins, `scale-chat admin grant NAME` makes one', fields: { unknown } };
    }
    if (configuredAccounts > 0 || (await grantedAdmins(this.store)).length > 0) return null;
    if (this.jwt?.roles && (await jwtAdmins(this.store)).length > 0) return null; // made admins by their JWT roles
    const former = await this.store.getSetting(FIRST_ACCOUNT_SETTING);
    const formerUser = former ? await this.store.getUser(former) : null;
    const hint = 'no administrator: run `scale-chat admin grant NAME` on the server host (with the same --data-dir or --postgres-url) to make an existing account one';
    return formerUser
      ? { message: `${hint}; the first account ("${formerUser.name}") is no longer an admin by default`, fields: { formerAdmin: formerUser.name } }
      : { message: hint, fields: {} };
  }

  /** Reads the bearer token of a request: 401 without a valid one; a banned user is refused (403). */
  async authenticate(req: IncomingMessage): Promise<Authn> {
    const h = req.headers.authorization ?? '';
    const m = /^Bearer\s+(\S+)\s*$/i.exec(h);
    if (!m) return { ok: false, status: 401, code: 'unauthorized', message: 'send "Authorization: Bearer <session token>"' };
    // Session tokens are `v1.…`; anything else is a JWT when JWT sign-in is configured.
    if (this.jwt?.accounts.enabled && !m[1].startsWith('v1.')) {
      const r = await this.jwt.accounts.verifyBearer(m[1], this.jwt.clientIp(req));
      if (!r.ok) return r;
      return { ok: true, user: r.user, admin: await this.isAdmin(r.user) };
    }
    const check = this.tokens.verify(m[1]);
    if (!check.ok) return { ok: false, status: 401, code: check.reason, message: check.reason === 'token_expired' ? 'session expired: sign in again' : 'invalid session token' };
    const user = await this.store.getUser(check.uid);
    if (!user) return { ok: false, status: 401, code: 'token_invalid', message: 'invalid session token' };
    if (!isCurrent(check, user)) return { ok: false, status: 401, code: 'token_revoked', message: 'this session was ended: sign in again' };
    if (await this.store.getBan(user.nameKey)) return { ok: false, status: 403, code: 'banned', message: 'this name is banned' };
    return { ok: true, user, admin: await this.isAdmin(user) };
  }
}
