/**
 * External identities on PostgreSQL (IdentityStore in ../store.ts, migration 10): (issuer, subject) -> user id.
 */
import type pg from 'pg';
import { toUser, USER_COLS, USER_INSERT_COLS, type UserRow } from '../rows.js';
import { StoreConflictError, type IdentityStore, type UserRecord } from '../store.js';

const FIND = `SELECT ${USER_COLS.split(', ').map((c) => 'u.' + c).join(', ')} FROM external_identities x JOIN users u ON u.id = x.uid WHERE x.issuer = $1 AND x.subject = $2`;

/** `tx` runs a function in one transaction (the store's own). */
export function postgresIdentities(
  q: <R extends pg.QueryResultRow>(sql: string, params: unknown[]) => Promise<R[]>,
  tx: <T>(fn: (c: pg.PoolClient) => Promise<T>) => Promise<T>,
): IdentityStore {
  return {
    async findExternalUser(issuer, subject) {
      const [r] = await q<UserRow>(FIND, [issuer, subject]);
      return r ? toUser(r) : null;
    },
    async createExternalUser(user: UserRecord, issuer: string, subject: string): Promise<UserRecord> {
      try {
        return await tx(async (c) => {
          // The mapping row first: of two first sign-ins at once, the second waits on it, then finds it taken.
          const linked = await c.query(
            'INSERT INTO external_identities (issuer, subject, uid, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (issuer, subject) DO NOTHING RETURNING uid',
            [issuer, subject, user.id, user.createdAt],
          );
          if (linked.rowCount === 0) {
            const { rows } = await c.query<UserRow>(FIND, [issuer, subject]);
            if (!rows[0]) throw new Error('external identity mapped to no user');
            return toUser(rows[0]);
          }
          // The foreign key is checked at commit (migration 10): the user row now, in the same transaction.
          await c.query(`INSERT INTO users (${USER_INSERT_COLS}) VALUES ($1, $2, $3, $4, $5, $6)`, [user.id, user.name, user.nameKey, user.account, user.passwordHash, user.createdAt]);
          return { ...user };
        });
      } catch (err) {
        const e = err as { code?: string; constraint?: string };
        if (e.code === '23505' && e.constraint === 'users_account_name_key') throw new StoreConflictError(`an account named "${user.nameKey}" exists`);
        throw err;
      }
    },
  };
}
