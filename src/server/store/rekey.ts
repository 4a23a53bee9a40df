/**
 * Re-keying of stored names: `users.name_key` and `bans.name_key` hold `nameKey(name)`
 * (src/server/auth/names.ts). When that function changes (look-alike folding was added; a new confusables
 * table or Unicode version), every row is recomputed once from its `name`, at store init, and the
 * setting `name_key_version` records the version the rows now have. Both stores call this from `init`;
 * in PostgreSQL an advisory lock makes concurrent boots take turns (the first one does the work).
 *
 * Accounts are unique by key. When two existing accounts now have the same key (they were distinct
 * names that look alike), the older account gets the key and the newer one keeps a key of its own (its
 * old key, or old key + `#` + id when even that is taken), so no row is lost and the unique index holds;
 * a warning names both (the newer one can no longer sign in by that name: only its session token works).
 * Guests are not unique in the store: each simply gets its new key. Bans are re-keyed too; two bans
 * that now share a key become one (the newest is kept).
 */
import type Database from 'better-sqlite3';
import type pg from 'pg';
import { NAME_KEY_VERSION, nameKey } from '../auth/names.js';

export const NAME_KEY_SETTING = 'name_key_version';

/** Rows in creation order (oldest first). */
export interface RekeyUserRow {
  id: string;
  name: string;
  name_key: string;
  account: boolean | number;
}

export interface RekeyBanRow {
  name_key: string;
  name: string;
  reason: string;
  banned_by: string;
  created_at: number | string;
}

export interface RekeyConflict {
  /** The newer account, which did not get the key. */
  id: string;
  name: string;
  /** The key it keeps instead. */
  keptKey: string;
  /** The older account that has the key now. */
  winnerId: string;
  winnerName: string;
}

export interface RekeyPlan {
  /** Rows whose key changes. */
  accounts: { id: string; key: string }[];
  guests: { id: string; key: string }[];
  /** The bans as they must be after re-keying (null: unchanged, nothing to rewrite). */
  bans: RekeyBanRow[] | null;
  conflicts: RekeyConflict[];
}

export interface RekeyResult extends RekeyPlan {
  version: string;
}

export type RekeyWarn = (fields: Record<string, unknown>, message: string) => void;

const defaultWarn: RekeyWarn = (fields, message) => process.emitWarning(`${message} ${JSON.stringify(fields)}`, { code: 'SCALE_CHAT_NAME_KEY' });

/** Computes the new keys. `users` oldest first; `bans` in any order. Pure: exported for tests. */
export function planRekey(users: readonly RekeyUserRow[], bans: readonly RekeyBanRow[], key: (name: string) => string = nameKey): RekeyPlan {
  const plan: RekeyPlan = { accounts: [], guests: [], bans: null, conflicts: [] };
  // Accounts: the oldest one with a key gets it (first pass), the others keep a distinct key (second pass).
  const owner = new Map<string, RekeyUserRow>();
  const losers: RekeyUserRow[] = [];
  const final = new Map<string, string>(); // account id -> key
  for (const u of users) {
    if (!u.account) continue;
    const k = key(u.name);
    if (owner.has(k)) losers.push(u);
    else {
      owner.set(k, u);
      final.set(u.id, k);
    }
  }
  const taken = new Set(owner.keys());
  for (const u of losers) {
    let k = u.name_key;
    if (taken.has(k)) k = `${u.name_key}#${u.id}`;
    taken.add(k);
    final.set(u.id, k);
    const w = owner.get(key(u.name))!;
    plan.conflicts.push({ id: u.id, name: u.name, keptKey: k, winnerId: w.id, winnerName: w.name });
  }
  for (const u of users) {
    if (u.account) {
      const k = final.get(u.id)!;
      if (k !== u.name_key) plan.accounts.push({ id: u.id, key: k });
    } else {
      const k = key(u.name);
      if (k !== u.name_key) plan.guests.push({ id: u.id, key: k });
    }
  }
  // Bans: newest first, one per key.
  const byKey = new Map<string, RekeyBanRow>();
  let changed = false;
  for (const b of [...bans].sort((a, b) => Number(b.created_at) - Number(a.created_at))) {
    const k = key(b.name);
    if (k !== b.name_key) changed = true;
    if (byKey.has(k)) {
      changed = true;
      continue;
    }
    byKey.set(k, { ...b, name_key: k });
  }
  if (changed) plan.bans = [...byKey.values()];
  return plan;
}

function report(plan: RekeyPlan, warn: RekeyWarn): void {
  for (const c of plan.conflicts) {
    warn(
      { account: c.id, name: c.name, keptKey: c.keptKey, olderAccount: c.winnerId, olderName: c.winnerName },
      `names: account "${c.name}" (${c.id}) now has the same name key as the older account "${c.winnerName}" (${c.winnerId}), ` +
        'which keeps the name; the newer one keeps a distinct key and can sign in only with its session token',
    );
  }
}

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
  if (result) report(result, warn);
  return result;
}

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
  if (result) report(result, warn);
  return result;
}
