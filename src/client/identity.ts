/**
 * Telling apart users who share a name. A guest's name is freed when its last connection closes, and
 * the next guest who picks it is another user (another id) with the same name: in old history both
 * look alike unless the UI tells them apart. UIs colour authors by user id (not by name) and mark
 * the messages of a user who does not hold the name now (`namesakes`).
 */
import { nameKey } from '../protocol/rules.js';

/** A message's author, as in MsgEvent. */
export interface Author {
  uid: string;
  user: string;
}

/**
 * The ids to mark among users sharing a name (case-insensitive): for every name held by two or more
 * ids among `authors` (oldest first: a timeline's messages), `known` (member lists) and `current`
 * (users online now, who hold their names), every id but the current holder's is marked. When no
 * one online holds the name, the newest author with it is taken as the holder. Names used by one
 * id only are never marked.
 */
export function namesakes(
  authors: Iterable<Author>,
  current: Iterable<{ id: string; name: string }> = [],
  known: Iterable<{ id: string; name: string }> = [],
): Set<string> {
  // Each id with its name and when it was last seen (a user's name never changes), then grouped by
  // name key: one nameKey() per distinct user, so a 10,000-message timeline is one cheap pass.
  const seen = new Map<string, { name: string; at: number }>();
  let at = 0;
  const see = (uid: string, name: string) => {
    const s = seen.get(uid);
    if (s) s.at = at++;
    else seen.set(uid, { name, at: at++ });
  };
  for (const u of known) see(u.id, u.name);
  for (const a of authors) see(a.uid, a.user);
  const holder = new Map<string, string>();
  for (const u of current) {
    see(u.id, u.name);
    holder.set(nameKey(u.name), u.id);
  }
  const last = [...seen].sort((a, b) => a[1].at - b[1].at).map(([uid, s]) => [uid, s.name] as const);
  const byName = new Map<string, string[]>();
  for (const [uid, name] of last) {
    const key = nameKey(name);
    const ids = byName.get(key);
    if (ids) ids.push(uid);
    else byName.set(key, [uid]);
  }
  const marked = new Set<string>();
  for (const [key, ids] of byName) {
    if (ids.length < 2) continue;
    const keep = holder.get(key) ?? ids[ids.length - 1];
    for (const uid of ids) if (uid !== keep) marked.add(uid);
  }
  return marked;
}

/** A short form of a user id to show beside a name ("ann ~3f9a"). */
export function shortId(uid: string): string {
  return uid.length <= 4 ? uid : uid.slice(-4);
}
