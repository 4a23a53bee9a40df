/** Re-keying of stored names in SQLite: the plan is ../rekey.ts. */
import type Database from 'better-sqlite3';
import { NAME_KEY_VERSION } from '../../common/name-key.js';
import { defaultWarn, NAME_KEY_SETTING, planRekey, reportRekey, type RekeyBanRow, type RekeyResult, type RekeyUserRow, type RekeyWarn } from '../rekey.js';

/** SQLite: re-keys in one immediate transaction unless the rows already have the current version. */
export function rekeySqlite(db: Database.Database, warn: RekeyWarn = defaultWarn): RekeyResult | null {
  const getSetting = db.prepare<[string], { value: string }>('SELECT value FROM settings WHERE key = ?');
  if (getSetting.get(NAME_KEY_SETTING)?.value === NAME_KEY_VERSION) return null;
  const run = db.transaction((): RekeyResult | null => {
    if (getSetting.get(NAME_KEY_SETTING)?.value === NAME_KEY_VERSION) return null;
    const users = db.prepare<[], RekeyUserRow>('SELECT id, name, name_key, account FROM users ORDER BY created_at ASC, rowid ASC').all();
    const bans = db.prepare<[], RekeyBanRow>('SELECT name_key, name, reason, banned_by, created_at FROM bans').all();
    const plan = planRekey(users, bans);
    const setKey = db.prepare<[string, string]>('UPDATE users SET name_key = ? WHERE id = ?');
    // Two phases for accounts: a key may move from one account to another within this transaction.
    for (const a of plan.accounts) setKey.run(`\u0001rekey:${a.id}`, a.id);
    for (const a of plan.accounts) setKey.run(a.key, a.id);
    for (const g of plan.guests) setKey.run(g.key, g.id);
    if (plan.bans) {
      db.prepare('DELETE FROM bans').run();
      const ins = db.prepare('INSERT INTO bans (name_key, name, reason, banned_by, created_at) VALUES (@name_key, @name, @reason, @banned_by, @created_at)');
      for (const b of plan.bans) ins.run(b);
    }
    db.prepare('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(NAME_KEY_SETTING, NAME_KEY_VERSION);
    return { ...plan, version: NAME_KEY_VERSION };
  });
  const result = run.immediate();
  if (result) reportRekey(result, warn);
  return result;
}
