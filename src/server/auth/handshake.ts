/**
 * The handshake: turns a validated `hello` into a user, or a documented error.
 * Guests claim a free name (held while online); accounts register/log in with argon2 passwords
 * (login throttled per (name, address) with growing waits, see throttle.ts); a session token makes a
 * reconnecting client the same user. New guests and registrations are limited per address
 * (src/server/limits: `limit_exceeded`, close 4014).
 */
import { randomBytes } from 'node:crypto';
import type { ErrorCode } from '../../protocol/codes.js';
import { isValidName, normalizeName } from '../../protocol/rules.js';
import { nameKey } from '../common/name-key.js';
import type { Auth } from '../../protocol/schema.js';
import type { AdminStore, ChatStore, UserRecord } from '../store/store.js';
import { verifyApiKey } from './api-keys.js';
import { StoreConflictError } from '../store/store.js';
import type { ClusterNames } from '../cluster/state.js';
import { hashPassword, isValidPassword, verifyPassword } from './passwords.js';
import type { LoginThrottle } from './throttle.js';
import { isCurrent, type TokenSigner } from './tokens.js';
import { inTime, type Limits } from '../limits/limits.js';

export type HandshakeResult =
  | { ok: true; user: UserRecord }
  | { ok: false; code: ErrorCode; message: string; retryAfterMs?: number };

export function newUserId(): string {
  return 'u' + randomBytes(8).toString('hex');
}

const fail = (code: ErrorCode, message: string, retryAfterMs?: number): HandshakeResult => ({ ok: false, code, message, retryAfterMs });

export class Authenticator {
  constructor(
    private readonly store: ChatStore,
    private readonly names: ClusterNames,
    private readonly tokens: TokenSigner,
    /** Failed logins per (name, address), per address and per name. */
    private readonly throttle: LoginThrottle,
    /** New guests and registrations per address. */
    private readonly limits: Limits,
    /** Is this name key banned by an administrator (src/server/admin)? Absent: no bans. */
    private readonly isBanned: (nameKey: string) => Promise<boolean> = async () => false,
    /** JWT sign-in (jwt-accounts.ts); absent: `jwt` hellos are refused with `jwt_disabled`. */
    private readonly jwt?: { signIn(token: string, ip: string): Promise<HandshakeResult> },
    /** API keys (bots: `auth: {kind: "apikey"}`); absent: that kind is refused with `auth_failed`. */
    private readonly apiKeys?: Pick<AdminStore, 'getApiKey'>,
  ) {
    // A hash of a random password, made once: a login for a name without an account verifies against
    // it, so the answer takes as long as for a real account and does not tell whether the account exists.
    this.dummyHash = hashPassword(randomBytes(18).toString('base64'));
    this.dummyHash.catch(() => {});
  }

  private readonly dummyHash: Promise<string>;

  /**
   * Authenticates and, on success, takes the user's name in the online registry: the caller must
   * `names.release(user.nameKey, user.id)` when the connection closes.
   */
  async authenticate(auth: Auth, ip: string): Promise<HandshakeResult> {
    if (auth.kind === 'token') return this.token(auth.token);
    if (auth.kind === 'jwt') return this.jwtSignIn(auth.token, ip);
    if (auth.kind === 'apikey') return this.apiKey(auth.key);
    // A banned name is refused before anything else (no user row, no password check, no name taken).
    // The key is computed once here (the confusable skeleton is not free) and handed down.
    const key = nameKey(auth.name);
    if (await this.isBanned(key)) return fail('banned', 'this name is banned');
    switch (auth.kind) {
      case 'guest':
        return this.guest(auth.name, key, ip);
      case 'register':
        return this.register(auth.name, key, auth.password, ip);
      case 'login':
        return this.login(key, auth.password, ip);
    }
  }

  /** `key` is nameKey(raw). */
  private checkName(raw: string, key: string): { name: string; key: string } | HandshakeResult {
    if (!isValidName(raw)) {
      return fail('name_invalid', 'names are 2-24 letters, digits, "_", "-" or ".", starting with a letter or digit');
    }
    return { name: normalizeName(raw), key };
  }

  private async guest(raw: string, key: string, ip: string): Promise<HandshakeResult> {
    const n = this.checkName(raw, key);
    if ('ok' in n) return n;
    // Every guest hello makes a new user (a stored row): new identities per address are limited.
    const wait = await this.limits.take('guest', ip);
    if (wait > 0) return fail('limit_exceeded', `too many new guests from your address: try again ${inTime(wait)}, or sign in with your session`, wait);
    // Reserve first (atomically, cluster-wide): two guests racing for one name cannot both win.
    const user: UserRecord = { id: newUserId(), name: n.name, nameKey: n.key, account: false, passwordHash: null, createdAt: Date.now() };
    if (!(await this.names.acquire(n.key, user.id))) return fail('name_taken', `the name "${n.name}" is in use`);
    try {
      if (await this.store.findAccount(n.key)) {
        this.names.release(n.key, user.id);
        return fail('name_taken', `"${n.name}" belongs to an account: log in, or pick another name`);
      }
      await this.store.createUser(user);
      return { ok: true, user };
    } catch (err) {
      this.names.release(n.key, user.id);
      throw err;
    }
  }

  private async register(raw: string, key: string, password: string, ip: string): Promise<HandshakeResult> {
    const n = this.checkName(raw, key);
    if ('ok' in n) return n;
    if (!isValidPassword(password)) return fail('password_invalid', 'passwords are 8-256 characters');
    const wait = await this.limits.take('register', ip);
    if (wait > 0) return fail('limit_exceeded', `too many registrations from your address: try again ${inTime(wait)}`, wait);
    const user: UserRecord = { id: newUserId(), name: n.name, nameKey: n.key, account: true, passwordHash: null, createdAt: Date.now() };
    if (!(await this.names.acquire(n.key, user.id))) return fail('name_taken', `the name "${n.name}" is in use`);
    try {
      user.passwordHash = await hashPassword(password);
      await this.store.createUser(user);
      return { ok: true, user };
    } catch (err) {
      this.names.release(n.key, user.id);
      if (err instanceof StoreConflictError) return fail('name_taken', `an account named "${n.name}" exists`);
      throw err;
    }
  }

  /** `key`: the name key of the name given. */
  private async login(key: string, password: string, ip: string): Promise<HandshakeResult> {
    // Counted as a failure from here until the password proves right (concurrent attempts cannot all
    // slip past the check before the first failure is counted).
    const gate = await this.throttle.begin(key, ip);
    if (!gate.ok) return fail('login_throttled', `too many failed logins: try again ${inTime(gate.retryAfterMs)}`, gate.retryAfterMs);
    const user = await this.store.findAccount(key);
    // No account (or no password): verify against the dummy hash anyway, so the time taken is the same.
    const hash = user?.passwordHash ?? (await this.dummyHash);
    const ok = (await verifyPassword(hash, password)) && Boolean(user?.passwordHash);
    if (!user || !ok) return fail('auth_failed', 'wrong name or password');
    await this.throttle.succeeded(gate.ticket);
    if (!(await this.names.acquire(user.nameKey, user.id))) return fail('name_taken', `the name "${user.name}" is in use`);
    return { ok: true, user };
  }

  /** A token of the application's backend (jwt-accounts.ts: verified, account provisioned, rooms and role applied). */
  private async jwtSignIn(token: string, ip: string): Promise<HandshakeResult> {
    if (!this.jwt) return fail('jwt_disabled', 'this server does not accept JWT sign-in');
    const r = await this.jwt.signIn(token, ip);
    if (!r.ok) return r;
    if (!(await this.names.acquire(r.user.nameKey, r.user.id))) return fail('name_taken', `the name "${r.user.name}" is in use`);
    return { ok: true, user: r.user };
  }

  /** A bot: its API key (./api-keys.ts), then the same checks as a session token (ban, name). */
  private async apiKey(raw: string): Promise<HandshakeResult> {
    if (!this.apiKeys) return fail('auth_failed', 'API keys are not accepted here');
    const check = await verifyApiKey(this.apiKeys, raw);
    if (!check.ok) return fail(check.code, check.message);
    const user = await this.store.getUser(check.key.uid);
    if (!user) return fail('auth_failed', 'unknown API key');
    if (await this.isBanned(user.nameKey)) return fail('banned', 'this name is banned');
    if (!(await this.names.acquire(user.nameKey, user.id))) return fail('name_taken', `the name "${user.name}" is in use`);
    return { ok: true, user };
  }

  private async token(token: string): Promise<HandshakeResult> {
    const check = this.tokens.verify(token);
    if (!check.ok) {
      return check.reason === 'token_expired' ? fail('token_expired', 'session expired: sign in again') : fail('token_invalid', 'invalid session token');
    }
    const user = await this.store.getUser(check.uid);
    if (!user) return fail('token_invalid', 'invalid session token');
    // Revoked by an account change (docs/protocol.md 4.5): a newer generation, or the account deleted.
    if (!isCurrent(check, user)) {
      return fail('token_revoked', user.deletedAt !== undefined ? 'this account was deleted' : 'this session was ended (password changed or signed out everywhere): sign in again');
    }
    if (await this.isBanned(user.nameKey)) return fail('banned', 'this name is banned');
    if (!(await this.names.acquire(user.nameKey, user.id))) return fail('name_taken', `the name "${user.name}" was taken while you were away`);
    if (!user.account) {
      const account = await this.store.findAccount(user.nameKey).catch((e) => {
        this.names.release(user.nameKey, user.id);
        throw e;
      });
      if (account) {
        this.names.release(user.nameKey, user.id);
        return fail('name_taken', `"${user.name}" now belongs to an account`);
      }
    }
    return { ok: true, user };
  }
}
