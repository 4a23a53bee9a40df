/** Re-keying of stored names in PostgreSQL: the plan is ../rekey.ts. */
import type pg from 'pg';
import { NAME_KEY_VERSION } from '../../common/name-key.js';
import { defaultWarn, NAME_KEY_SETTING, planRekey, reportRekey, type RekeyBanRow, type RekeyResult, type RekeyUserRow, type RekeyWarn } from '../rekey.js';

/** Arbitrary constant: the advisory lock that serializes re-keying across nodes. */
const REKEY_LOCK = 0x5ca1e_4e7;
const CHUNK = 1000;

/** PostgreSQL: the same, in one transaction under an advisory lock, on a client outside any transaction. */
export async function rekeyPostgres(client: pg.ClientBase, warn: RekeyWarn = defaultWarn): Promise<RekeyResult | null> {
  const current = async () =>
    (await client.query<{ value: string }>('SELECT value FROM settings WHERE key = $1', [NAME_KEY_SETTING])).rows[0]?.value;
  if ((await current()) === NAME_KEY_VERSION) return null;
  await client.query('BEGIN');
  let result: RekeyResult | null = null;
  try {
    await client.query('SELECT pg_advisory_xact_lock($1)', [REKEY_LOCK]);
    if ((await current()) !== NAME_KEY_VERSION) {
      const users = (await client.query<RekeyUserRow>('SELECT id, name, name_key, account FROM users ORDER BY created_at ASC, n ASC')).rows;
      const bans = (await client.query<RekeyBanRow>('SELECT name_key, name, reason, banned_by, created_at FROM bans')).rows;
      const plan = planRekey(users, bans);
      const setKeys = async (rows: { id: string; key: string }[]) => {
        for (let i = 0; i < rows.length; i += CHUNK) {
          const part = rows.slice(i, i + CHUNK);
          await client.query(
            'UPDATE users SET name_key = v.k FROM unnest($1::text[], $2::text[]) AS v(id, k) WHERE users.id = v.id',
            [part.map((r) => r.id), part.map((r) => r.key)],
          );
        }
      };
      // Two phases for accounts (the unique index is checked per statement).
      await setKeys(plan.accounts.map((a) => ({ id: a.id, key: `\u0001rekey:${a.id}` })));
      await setKeys(plan.accounts);
      await setKeys(plan.guests);
      if (plan.bans) {
        await client.query('DELETE FROM bans');
        for (const b of plan.bans) {
          await client.query('INSERT INTO bans (name_key, name, reason, banned_by, created_at) VALUES ($1, $2, $3, $4, $5)', [
            b.name_key,
            b.name,
            b.reason,
            b.banned_by,
            b.created_at,
          ]);
        }
      }
      await client.query('INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value', [
        NAME_KEY_SETTING,
        NAME_KEY_VERSION,
      ]);
      result = { ...plan, version: NAME_KEY_VERSION };
    }
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  }
  if (result) reportRekey(result, warn);
  return result;
}
