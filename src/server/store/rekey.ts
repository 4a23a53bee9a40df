/**
 * Re-keying of stored names: `users.name_key` and `bans.name_key` hold `nameKey(name)`
 * (src/server/common/name-key.ts). When that function changes (look-alike folding was added; a new confusables
 * table or Unicode version), every row is recomputed once from its `name`, at store init, and the
 * setting `name_key_version` records the version the rows now have. Both stores re-key from `init`
 * (./sqlite/rekey.ts, ./postgres/rekey.ts: in PostgreSQL an advisory lock makes concurrent boots take turns,
 * the first one does the work); the plan is computed here, once for both.
 *
 * Accounts are unique by key. When two existing accounts now have the same key (they were distinct
 * names that look alike), the older account gets the key and the newer one keeps a key of its own (its
 * old key, or old key + `#` + id when even that is taken), so no row is lost and the unique index holds;
 * a warning names both (the newer one can no longer sign in by that name: only its session token works).
 * Guests are not unique in the store: each simply gets its new key. Bans are re-keyed too; two bans
 * that now share a key become one (the newest is kept).
 */
import { nameKey } from '../common/name-key.js';

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

export const defaultWarn: RekeyWarn = (fields, message) => process.emitWarning(`${message} ${JSON.stringify(fields)}`, { code: 'SCALE_CHAT_NAME_KEY' });

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

/** Warns about every account that did not get its new key (both backends, after their re-keying). */
export function reportRekey(plan: RekeyPlan, warn: RekeyWarn): void {
  for (const c of plan.conflicts) {
    warn(
      { account: c.id, name: c.name, keptKey: c.keptKey, olderAccount: c.winnerId, olderName: c.winnerName },
      `names: account "${c.name}" (${c.id}) now has the same name key as the older account "${c.winnerName}" (${c.winnerId}), ` +
        'which keeps the name; the newer one keeps a distinct key and can sign in only with its session token',
    );
  }
}
