/**
 * External identities on SQLite (IdentityStore in ../store.ts, migration 9): (issuer, subject) -> user id.
 */
import Database from 'better-sqlite3';
import { toUser, USER_COLS, USER_INSERT_COLS, type UserRow } from '../rows.js';
import { StoreConflictError, type IdentityStore, type UserRecord } from '../store.js';

export function prepareIdentities(db: Database.Database): IdentityStore {
  const find = db.prepare<[string, string], UserRow>(
    `SELECT ${USER_COLS.split(', ').map((c) => 'u.' + c).join(', ')} FROM external_identities x JOIN users u ON u.id = x.uid WHERE x.issuer = ? AND x.subject = ?`,
  );
  const insertUser = db.prepare(`INSERT INTO users (${USER_INSERT_COLS}) VALUES (@id, @name, @name_key, @account, @password_hash, @created_at)`);
  const link = db.prepare('INSERT INTO external_identities (issuer, subject, uid, created_at) VALUES (?, ?, ?, ?)');
  const create = db.transaction((user: UserRecord, issuer: string, subject: string): UserRecord => {
    const mapped = find.get(issuer, subject);
    if (mapped) return toUser(mapped);
    try {
      insertUser.run({ id: user.id, name: user.name, name_key: user.nameKey, account: user.account ? 1 : 0, password_hash: user.passwordHash, created_at: user.createdAt });
    } catch (err) {
      if (err instanceof Database.SqliteError && err.code.startsWith('SQLITE_CONSTRAINT') && /name_key/.test(err.message)) {
        throw new StoreConflictError(`an account named "${user.nameKey}" exists`);
      }
      throw err;
    }
    link.run(issuer, subject, user.id, user.createdAt);
    return { ...user };
  });
  return {
    async findExternalUser(issuer, subject) {
      const r = find.get(issuer, subject);
      return r ? toUser(r) : null;
    },
    async createExternalUser(user, issuer, subject) {
      return create.immediate(user, issuer, subject);
    },
  };
}
