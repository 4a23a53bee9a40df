/**
 * JWT sign-in: what a verified token (jwt.ts) becomes. Used by the WebSocket handshake (`hello {auth:
 * {kind: "jwt"}}`), the admin API and any HTTP API (`verifyBearer`).
 *
 * - The account: (issuer, `sub`) maps to one user id, for good (IdentityStore). The first sign-in
 *   provisions an account named by the name claim (`jwtNameClaim`, else `preferred_username`), checked by
 *   the naming rules of registration; a name another account holds refuses that first sign-in
 *   (`name_taken`). Later sign-ins keep the account's name (a changed claim is not applied). The account
 *   has no password: password login, `password` and `delete_account` answer `forbidden` (auth/account.ts).
 * - `rooms`: each existing room of the claim (public or private, not a DM, not `general`) gets the user as
 *   a member at sign-in; the claim adds memberships, it never removes one. Unknown ids are skipped.
 * - `roles`: only when the operator set `jwtAdminRole`: a token whose roles hold it grants the admin role,
 *   one without it takes back what a token granted (the store setting `jwt_admins`; roles granted with
 *   `scale-chat admin grant` or `--admins` are not touched). Without `jwtAdminRole` roles are ignored.
 * - Cost bound: every verification counts as a failure for the client's address until it succeeds, at
 *   most `maxFailures` per window (then `login_throttled`): a stream of bad tokens cannot burn CPU on
 *   signature checks or make the server refetch the key set without bound (jose's cooldown bounds that too).
 */
import type { ErrorCode } from '../../protocol/codes.js';
import type { UserRef } from '../../protocol/types.js';
import { GLOBAL_ROOM, isDmRoom, isValidName, normalizeName } from '../../protocol/rules.js';
import { addressKey } from '../common/client-ip.js';
import { nameKey } from '../common/name-key.js';
import type { LimiterStore } from '../limits/store.js';
import { inTime } from '../limits/limits.js';
import type { ChatStore, IdentityStore, UserRecord } from '../store/store.js';
import { StoreConflictError } from '../store/store.js';
import { newUserId } from './handshake.js';
import type { JwtVerifier } from './jwt.js';

/** Store setting: JSON array of the user ids whose last token granted the admin role (jwtAdminRole). */
export const JWT_ADMINS_SETTING = 'jwt_admins';

export type JwtSignIn = { ok: true; user: UserRecord } | { ok: false; code: ErrorCode; message: string; retryAfterMs?: number };

export interface JwtAccountsDeps {
  store: Pick<ChatStore, 'getRoom' | 'addMember' | 'getSetting' | 'setSetting'> & IdentityStore;
  verifier: JwtVerifier;
  /** Counters of failed verifications per address (the login throttle's store). */
  limiter: LimiterStore;
  /** Failed verifications per address per window before `login_throttled`. */
  maxFailures: number;
  windowMs: number;
  /** The `roles` value that grants the admin role; '' = roles ignored. */
  adminRole: string;
  /** Is this name key banned (src/server/admin)? */
  isBanned: (nameKey: string) => Promise<boolean>;
  /** Told of each room the `rooms` claim made the user a member of (the member event). */
  onJoined?: (room: string, user: UserRef) => void;
}

const fail = (code: ErrorCode, message: string, retryAfterMs?: number): JwtSignIn => ({ ok: false, code, message, retryAfterMs });

/** The ids in a setting's value; anything malformed counts as none. */
function idList(raw: string | null): string[] {
  if (!raw) return [];
  try {
    const v: unknown = JSON.parse(raw);
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
  } catch {
    return [];
  }
}

/** The users a token's roles made admins (read by the admin module when jwtAdminRole is set). */
export async function jwtAdmins(store: Pick<ChatStore, 'getSetting'>): Promise<string[]> {
  return idList(await store.getSetting(JWT_ADMINS_SETTING));
}

export class JwtAccounts {
  constructor(private readonly d: JwtAccountsDeps) {}

  get enabled(): boolean {
    return this.d.verifier.enabled;
  }

  /**
   * Verifies `token` and returns its account (provisioned on first use, rooms and role applied). Does not
   * take the user's name in the online registry (the handshake does).
   */
  async signIn(token: string, ip: string): Promise<JwtSignIn> {
    const d = this.d;
    if (!d.verifier.enabled) return fail('jwt_disabled', 'this server does not accept JWT sign-in');
    const key = `jwt:fail:${addressKey(ip)}`;
    const failures = await d.limiter.hit(key, d.windowMs);
    if (failures.count > d.maxFailures) return fail('login_throttled', `too many invalid tokens from your address: try again ${inTime(failures.ttlMs)}`, failures.ttlMs);
    const check = await d.verifier.verify(token);
    // A key set that could not be fetched is not the client's failure.
    if (check.ok || check.code === 'unavailable') await d.limiter.undo(key);
    if (!check.ok) return fail(check.code, check.message);
    const id = check.identity;
    let user = await d.store.findExternalUser(id.issuer, id.subject);
    if (!user) {
      if (id.name === null) return fail('jwt_claim_invalid', 'a first sign-in needs a name claim (the display name of the new account)');
      if (!isValidName(id.name)) return fail('jwt_claim_invalid', 'the name claim breaks the naming rules: 2-24 letters, digits, "_", "-" or ".", starting with a letter or digit');
      const name = normalizeName(id.name);
      const k = nameKey(name);
      if (await d.isBanned(k)) return fail('banned', 'this name is banned');
      const fresh: UserRecord = { id: newUserId(), name, nameKey: k, account: true, passwordHash: null, createdAt: Date.now() };
      try {
        user = await d.store.createExternalUser(fresh, id.issuer, id.subject);
      } catch (err) {
        if (err instanceof StoreConflictError) return fail('name_taken', `the name "${name}" belongs to another account: the application must give this user another name`);
        throw err;
      }
    } else if (await d.isBanned(user.nameKey)) {
      return fail('banned', 'this name is banned');
    }
    if (user.deletedAt !== undefined) return fail('token_revoked', 'this account was deleted');
    await this.joinRooms(user, id.rooms);
    if (d.adminRole) await this.setAdmin(user.id, id.roles.includes(d.adminRole));
    return { ok: true, user };
  }

  /**
   * For HTTP APIs (the admin API, /api/v1): `Authorization: Bearer <jwt>` -> the account, or a refusal with
   * its HTTP status (401; 403 for a banned name; 429 when throttled; 503 when the key set is unreachable).
   */
  async verifyBearer(token: string, ip: string): Promise<{ ok: true; user: UserRecord } | { ok: false; status: 401 | 403 | 429 | 503; code: ErrorCode; message: string }> {
    const r = await this.signIn(token, ip);
    if (r.ok) return r;
    const status = r.code === 'banned' ? 403 : r.code === 'login_throttled' ? 429 : r.code === 'unavailable' ? 503 : 401;
    return { ok: false, status, code: r.code, message: r.message };
  }

  private async joinRooms(user: UserRecord, rooms: string[]): Promise<void> {
    for (const id of rooms) {
      if (id === GLOBAL_ROOM || isDmRoom(id)) continue;
      const room = await this.d.store.getRoom(id);
      if (!room || room.kind === 'dm' || room.kind === 'global') continue;
      if (await this.d.store.addMember(id, user.id)) this.d.onJoined?.(id, { id: user.id, name: user.name });
    }
  }

  /** Grants or takes back the role a token gave; writes only on a change (re-checked, as admin grants are). */
  private async setAdmin(uid: string, grant: boolean): Promise<void> {
    const s = this.d.store;
    for (let attempt = 0; attempt < 5; attempt++) {
      const ids = await jwtAdmins(s);
      if (ids.includes(uid) === grant) return;
      await s.setSetting(JWT_ADMINS_SETTING, JSON.stringify(grant ? [...ids, uid] : ids.filter((x) => x !== uid)));
    }
    throw new Error('the jwt_admins setting keeps changing under this update: try again');
  }
}
