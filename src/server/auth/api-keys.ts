/**
 * API keys (docs/api.md, docs/security.md): `sck_<id>_<secret>`, where `id` (16 hex digits) is the public
 * part the store looks the key up by, and `secret` is 32 random bytes (base64url, 43 characters). Only a
 * SHA-256 of the secret is stored: a secret of 256 random bits needs no slow hash (nothing to guess), and
 * the comparison is constant-time. The key is shown once, when it is made; each key acts as its own bot
 * user. A revoked key fails at once on every node (the row is read on every use).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { API_SCOPES, type ApiScope } from '../../protocol/admin.js';
import { isValidName, normalizeName } from '../../protocol/rules.js';
import { nameKey } from '../common/name-key.js';
import type { AdminStore, ApiKeyRecord, UserRecord } from '../store/store.js';

const KEY_RE = /^sck_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

export function hashSecret(secret: string): Buffer {
  return createHash('sha256').update(secret, 'utf8').digest();
}

/** The id and secret of a key as presented, or null when it does not have the form of one. */
export function parseApiKey(raw: string): { id: string; secret: string } | null {
  const m = KEY_RE.exec(raw);
  return m ? { id: m[1], secret: m[2] } : null;
}

export type ApiKeyCheck =
  | { ok: true; key: ApiKeyRecord }
  | { ok: false; code: 'auth_failed' | 'key_revoked'; message: string };

/** Who presents `raw`: the key's record when it exists, is not revoked and the secret matches. */
export async function verifyApiKey(store: Pick<AdminStore, 'getApiKey'>, raw: string): Promise<ApiKeyCheck> {
  const bad: ApiKeyCheck = { ok: false, code: 'auth_failed', message: 'unknown API key' };
  const p = parseApiKey(raw);
  if (!p) return bad;
  const key = await store.getApiKey(p.id);
  // An unknown id still costs a hash and a compare: timing does not tell which ids exist.
  const given = hashSecret(p.secret);
  const stored = key?.secretHash.length === given.length ? key.secretHash : Buffer.alloc(given.length);
  const same = timingSafeEqual(given, stored);
  if (!key || !same) return bad;
  if (key.revokedAt !== undefined) return { ok: false, code: 'key_revoked', message: 'this API key was revoked' };
  return { ok: true, key };
}

export class ApiKeyInputError extends Error {
  constructor(
    readonly code: 'name_invalid' | 'scopes_invalid',
    message: string,
  ) {
    super(message);
  }
}

/** Validates scopes from input (a non-empty list of known scopes, each once). */
export function parseScopes(raw: unknown): ApiScope[] {
  if (!Array.isArray(raw) || raw.length === 0 || raw.length > API_SCOPES.length) {
    throw new ApiKeyInputError('scopes_invalid', `"scopes" must be a non-empty list of ${API_SCOPES.join(', ')}`);
  }
  const out: ApiScope[] = [];
  for (const s of raw) {
    if (typeof s !== 'string' || !(API_SCOPES as readonly string[]).includes(s) || out.includes(s as ApiScope)) {
      throw new ApiKeyInputError('scopes_invalid', `"scopes" must be a non-empty list of ${API_SCOPES.join(', ')}, each once`);
    }
    out.push(s as ApiScope);
  }
  return out;
}

/**
 * Makes a new key and its bot user (not stored: `store.createApiKey(record, bot)` does that, and throws
 * StoreConflictError when the name is an account's). Returns the key text, shown once.
 */
export function makeApiKey(name: string, scopes: ApiScope[], creator: { id: string; name: string }, now = Date.now()): { key: string; record: ApiKeyRecord; bot: UserRecord } {
  if (typeof name !== 'string' || !isValidName(name)) {
    throw new ApiKeyInputError('name_invalid', '"name" is the bot\'s user name: 2-24 letters, digits, "_", "-" or ".", starting with a letter or digit');
  }
  const id = randomBytes(8).toString('hex');
  const secret = randomBytes(32).toString('base64url');
  const display = normalizeName(name);
  // A user id of the same form as handshake.ts newUserId (the handshake imports this file: no cycle).
  const bot: UserRecord = { id: 'u' + randomBytes(8).toString('hex'), name: display, nameKey: nameKey(display), account: true, passwordHash: null, createdAt: now, bot: true };
  const record: ApiKeyRecord = { id, name: display, uid: bot.id, secretHash: hashSecret(secret), scopes, createdAt: now, createdBy: creator.id, createdByName: creator.name };
  return { key: `sck_${id}_${secret}`, record, bot };
}
