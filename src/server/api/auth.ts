/**
 * Who is calling the HTTP API: `Authorization: Bearer <credential>`, tried against a list of
 * authenticators in order. Each one either claims the credential (and says who it is, or why not) or
 * passes (null) to the next; none claiming it is 401 `unauthorized`. API keys are one authenticator
 * (below); another kind of credential (e.g. a JWT from src/server/auth/jwt.ts) is one more entry in the
 * list app.ts passes: nothing else here changes.
 */
import type { IncomingMessage } from 'node:http';
import type { ApiScope } from '../../protocol/admin.js';
import { ErrorCode } from '../../protocol/codes.js';
import { parseApiKey, verifyApiKey } from '../auth/api-keys.js';
import type { AdminStore, ChatStore, UserRecord } from '../store/store.js';

export interface ApiPrincipal {
  user: UserRecord;
  scopes: ReadonlySet<ApiScope>;
  /** What rate limits count per (e.g. `key:<id>`). */
  subject: string;
}

export type ApiAuthResult = { ok: true; principal: ApiPrincipal } | { ok: false; status: 401 | 403 | 429 | 503; code: string; message: string };

export interface BearerAuthenticator {
  readonly name: string;
  /** null: not a credential of this kind (the next authenticator is tried). */
  authenticate(credential: string, req: IncomingMessage): Promise<ApiAuthResult | null>;
}

const NO_CREDENTIAL: ApiAuthResult = { ok: false, status: 401, code: ErrorCode.unauthorized, message: 'send "Authorization: Bearer <API key or JWT>"' };

export async function authenticateRequest(req: IncomingMessage, authenticators: readonly BearerAuthenticator[]): Promise<ApiAuthResult> {
  const m = /^Bearer\s+(\S{1,4096})\s*$/i.exec(req.headers.authorization ?? '');
  if (!m) return NO_CREDENTIAL;
  for (const a of authenticators) {
    const r = await a.authenticate(m[1], req);
    if (r) return r;
  }
  return { ok: false, status: 401, code: ErrorCode.unauthorized, message: 'unknown credential' };
}

/**
 * API keys (src/server/auth/api-keys.ts): read from the store on every request, so a revocation holds at
 * once on every node. The last use is written at most once a minute per key and node.
 */
export function apiKeyAuthenticator(
  store: Pick<AdminStore, 'getApiKey' | 'touchApiKey' | 'getBan'> & Pick<ChatStore, 'getUser'>,
  onError: (err: unknown) => void,
): BearerAuthenticator {
  const touched = new Map<string, number>();
  return {
    name: 'apikey',
    async authenticate(credential) {
      if (!credential.startsWith('sck_')) return null;
      if (!parseApiKey(credential)) return { ok: false, status: 401, code: ErrorCode.unauthorized, message: 'unknown API key' };
      const check = await verifyApiKey(store, credential);
      if (!check.ok) return { ok: false, status: 401, code: check.code === 'key_revoked' ? ErrorCode.key_revoked : ErrorCode.unauthorized, message: check.message };
      const user = await store.getUser(check.key.uid);
      if (!user) return { ok: false, status: 401, code: ErrorCode.unauthorized, message: 'unknown API key' };
      if (await store.getBan(user.nameKey)) return { ok: false, status: 403, code: ErrorCode.banned, message: 'this bot\'s name is banned' };
      const now = Date.now();
      const last = touched.get(check.key.id) ?? check.key.lastUsedAt ?? 0;
      if (now - last >= 60_000) {
        if (touched.size >= 10_000) touched.clear(); // bounded: keys are few, this only saves writes
        touched.set(check.key.id, now);
        store.touchApiKey(check.key.id, now).catch(onError);
      }
      return { ok: true, principal: { user, scopes: new Set(check.key.scopes), subject: `key:${check.key.id}` } };
    },
  };
}

/** Every scope: a JWT acts as its own account, with that user's rights (the handlers check them as for a WebSocket client). */
const USER_SCOPES: ReadonlySet<ApiScope> = new Set<ApiScope>(['publish', 'rooms', 'history']);

/**
 * JWTs of the application's backend (src/server/auth/jwt-accounts.ts, docs/integration.md): the same
 * verification, account and throttle as a `jwt` hello, so an application's sign-in covers the HTTP API.
 * The call acts as that user (not a bot): it may publish where the user is a member, manage the rooms the
 * user may, read what the user may read. Anything starting `sck_` is an API key's and never reaches here;
 * with JWT sign-in off (`jwt.enabled` false) this authenticator passes.
 */
export function jwtAuthenticator(
  jwt: { readonly enabled: boolean; verifyBearer(token: string, ip: string): Promise<{ ok: true; user: UserRecord } | { ok: false; status: 401 | 403 | 429 | 503; code: string; message: string }> },
  clientIp: (req: IncomingMessage) => string,
): BearerAuthenticator {
  return {
    name: 'jwt',
    async authenticate(credential, req) {
      if (!jwt.enabled || credential.startsWith('sck_')) return null;
      const r = await jwt.verifyBearer(credential, clientIp(req));
      if (!r.ok) return r;
      return { ok: true, principal: { user: r.user, scopes: USER_SCOPES, subject: `user:${r.user.id}` } };
    },
  };
}
