/**
 * Rows as both backends read them (the same tables and columns in ./sqlite/migrations.ts and
 * ./postgres/migrations.ts) and their mapping to the Store's records. Flags are 0/1 in SQLite and
 * booleans in PostgreSQL; BIGINT columns arrive as numbers (./postgres/chat.ts parses them).
 */
import { MAX_REACTION_UIDS } from '../../protocol/changes.js';
import { DM_PREFIX } from '../../protocol/rules.js';
import type { MessageChange, Reaction, RoomKind } from '../../protocol/types.js';
import type { AuditEntry, BanRecord, RoomRecord, StoredMessage, UserRecord } from './store.js';

/** A boolean column: 0/1 in SQLite, a boolean in PostgreSQL. */
export type Flag = number | boolean;

export interface UserRow {
  id: string;
  name: string;
  name_key: string;
  account: Flag;
  password_hash: string | null;
  created_at: number;
}

export interface RoomRow {
  id: string;
  kind: RoomKind;
  created_by: string | null;
  created_at: number;
  last_seq: number;
  read_only: Flag;
}

export interface MessageRow {
  room: string;
  seq: number;
  id: string;
  uid: string;
  user: string;
  text: string;
  ts: number;
  deleted: Flag;
  reply_to: number | null;
  edited_at: number | null;
  v: number | null;
  /** JSON of the MessageChange on a change event. */
  change: string | null;
}

export interface BanRow {
  name_key: string;
  name: string;
  reason: string;
  banned_by: string;
  created_at: number;
}

export interface AuditRow {
  id: number;
  at: number;
  actor_id: string;
  actor: string;
  action: string;
  target: string;
  detail: string;
}

/** The columns `toUser`, `toRoom` and `toMessage` read. */
export const USER_COLS = 'id, name, name_key, account, password_hash, created_at';
export const ROOM_COLS = 'id, kind, created_by, created_at, last_seq, read_only';
export const MSG_COLS = 'room, seq, id, uid, "user", text, ts, deleted, reply_to, edited_at, v, change';

export function toUser(r: UserRow): UserRecord {
  return { id: r.id, name: r.name, nameKey: r.name_key, account: Boolean(r.account), passwordHash: r.password_hash, createdAt: r.created_at };
}

/** `readOnly` only when set. */
export function toRoom(r: RoomRow): RoomRecord {
  const room: RoomRecord = { id: r.id, kind: r.kind, createdBy: r.created_by, createdAt: r.created_at, lastSeq: r.last_seq };
  if (r.read_only) room.readOnly = true;
  return room;
}

/** A room as administration lists it: `readOnly` always present, and the member count. */
export function toListedRoom(r: RoomRow & { members: number }): RoomRecord & { members: number } {
  return { ...toRoom(r), readOnly: Boolean(r.read_only), members: r.members };
}

/** `deleted` only on tombstones; the fields of changes only when set (reactions are read apart: withReactions). */
export function toMessage(r: MessageRow): StoredMessage {
  const m: StoredMessage = { room: r.room, seq: r.seq, id: r.id, uid: r.uid, user: r.user, text: r.text, ts: r.ts };
  if (r.deleted) m.deleted = true;
  if (r.reply_to !== null && r.reply_to !== undefined) m.replyTo = Number(r.reply_to);
  if (r.edited_at !== null && r.edited_at !== undefined) m.edited = Number(r.edited_at);
  if (r.v !== null && r.v !== undefined) m.v = Number(r.v);
  if (r.change) m.change = JSON.parse(r.change) as MessageChange;
  return m;
}

/** One reactions row, in the order they came (per message). */
export interface ReactionRow {
  seq: number;
  emoji: string;
  uid: string;
}

/** Attaches the reaction summaries of `rows` (any order of messages, reactions in arrival order) to `messages`. */
export function withReactions(messages: StoredMessage[], rows: readonly ReactionRow[]): StoredMessage[] {
  if (!rows.length) return messages;
  const bySeq = new Map<number, Reaction[]>();
  for (const r of rows) {
    const seq = Number(r.seq);
    let list = bySeq.get(seq);
    if (!list) bySeq.set(seq, (list = []));
    let x = list.find((e) => e.emoji === r.emoji);
    if (!x) list.push((x = { emoji: r.emoji, count: 0, uids: [] }));
    x.count++;
    if (x.uids.length < MAX_REACTION_UIDS) x.uids.push(r.uid);
  }
  for (const m of messages) {
    const list = bySeq.get(m.seq);
    if (list && !m.deleted) m.reactions = list;
  }
  return messages;
}

export function toBan(r: BanRow): BanRecord {
  return { nameKey: r.name_key, name: r.name, reason: r.reason, by: r.banned_by, at: r.created_at };
}

export function toAudit(r: AuditRow): AuditEntry {
  return { id: r.id, at: r.at, actorId: r.actor_id, actor: r.actor, action: r.action, target: r.target, detail: r.detail };
}

/** Clamps a limit to a non-negative integer (SQLite treats a negative LIMIT as "no limit"). */
export function lim(n: number): number {
  return Number.isFinite(n) ? Math.max(0, Math.floor(n)) : 0;
}

/**
 * The other member of a DM as the room id names it (`dm:<a>:<b>`), for when they left the room (or it is
 * a DM with oneself); null when `uid` is not in the id.
 */
export function dmPeerId(room: string, uid: string): string | null {
  let other: string | null = null;
  if (room.startsWith(`${DM_PREFIX}${uid}:`)) other = room.slice(DM_PREFIX.length + uid.length + 1);
  else if (room.startsWith(DM_PREFIX) && room.endsWith(`:${uid}`)) other = room.slice(DM_PREFIX.length, -uid.length - 1);
  return other || null;
}
