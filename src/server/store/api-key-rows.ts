/**
 * API key rows as both backends read them (table `api_keys`, SQLite migration 8, PostgreSQL migration 9)
 * and their mapping to ApiKeyRecord. The secret is never stored: `secret_hash` is its SHA-256
 * (src/server/auth/api-keys.ts).
 */
import { API_SCOPES, type ApiScope } from '../../protocol/admin.js';
import type { ApiKeyRecord } from './store.js';

export interface ApiKeyRow {
  id: string;
  name: string;
  uid: string;
  secret_hash: Buffer;
  /** Comma-separated scopes. */
  scopes: string;
  created_at: number | string;
  created_by: string;
  created_by_name: string;
  last_used_at: number | string | null;
  revoked_at: number | string | null;
}

export const API_KEY_COLS = 'id, name, uid, secret_hash, scopes, created_at, created_by, created_by_name, last_used_at, revoked_at';

/** Scopes as stored (a known set, in API_SCOPES order); an unknown word in the column is dropped. */
export function scopesColumn(scopes: readonly ApiScope[]): string {
  return API_SCOPES.filter((s) => scopes.includes(s)).join(',');
}

export function toApiKey(r: ApiKeyRow): ApiKeyRecord {
  const scopes = r.scopes.split(',').filter((s): s is ApiScope => (API_SCOPES as readonly string[]).includes(s));
  const k: ApiKeyRecord = {
    id: r.id,
    name: r.name,
    uid: r.uid,
    secretHash: Buffer.from(r.secret_hash),
    scopes,
    createdAt: Number(r.created_at),
    createdBy: r.created_by,
    createdByName: r.created_by_name,
  };
  if (r.last_used_at !== null) k.lastUsedAt = Number(r.last_used_at);
  if (r.revoked_at !== null) k.revokedAt = Number(r.revoked_at);
  return k;
}
