/**
 * API keys in SQLite (table `api_keys`, migration 8): a key and its bot user are written in one
 * transaction; the bot's name is unique among accounts by the same index as accounts' names.
 */
import Database from 'better-sqlite3';
import { API_KEY_COLS, scopesColumn, toApiKey, type ApiKeyRow } from '../api-key-rows.js';
import { lim } from '../rows.js';
import { StoreConflictError, type ApiKeyRecord, type UserRecord } from '../store.js';

export function sqliteApiKeys(db: Database.Database) {
  const st = {
    insertBot: db.prepare(
      `INSERT INTO users (id, name, name_key, account, password_hash, created_at, bot) VALUES (@id, @name, @name_key, 1, NULL, @created_at, 1)`,
    ),
    insertKey: db.prepare(
      `INSERT INTO api_keys (${API_KEY_COLS}) VALUES (@id, @name, @uid, @secret_hash, @scopes, @created_at, @created_by, @created_by_name, NULL, NULL)`,
    ),
    get: db.prepare<[string], ApiKeyRow>(`SELECT ${API_KEY_COLS} FROM api_keys WHERE id = ?`),
    list: db.prepare<[number], ApiKeyRow>(`SELECT ${API_KEY_COLS} FROM api_keys ORDER BY created_at DESC, id ASC LIMIT ?`),
    revoke: db.prepare('UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?'),
    touch: db.prepare('UPDATE api_keys SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)'),
  };
  const createTx = db.transaction((key: ApiKeyRecord, bot: UserRecord) => {
    st.insertBot.run({ id: bot.id, name: bot.name, name_key: bot.nameKey, created_at: bot.createdAt });
    st.insertKey.run({
      id: key.id,
      name: key.name,
      uid: bot.id,
      secret_hash: key.secretHash,
      scopes: scopesColumn(key.scopes),
      created_at: key.createdAt,
      created_by: key.createdBy,
      created_by_name: key.createdByName,
    });
  });
  return {
    create(key: ApiKeyRecord, bot: UserRecord): void {
      try {
        createTx.immediate(key, bot);
      } catch (err) {
        if (err instanceof Database.SqliteError && err.code.startsWith('SQLITE_CONSTRAINT')) {
          throw new StoreConflictError(/name_key/.test(err.message) ? `an account named "${bot.name}" exists` : `an API key or user with this id exists`);
        }
        throw err;
      }
    },
    get(id: string): ApiKeyRecord | null {
      const r = st.get.get(id);
      return r ? toApiKey(r) : null;
    },
    list(limit: number): ApiKeyRecord[] {
      return st.list.all(lim(limit)).map(toApiKey);
    },
    revoke(id: string, at: number): ApiKeyRecord | null {
      st.revoke.run(at, id);
      const r = st.get.get(id);
      return r ? toApiKey(r) : null;
    },
    touch(id: string, at: number): void {
      st.touch.run(at, id, at);
    },
  };
}
