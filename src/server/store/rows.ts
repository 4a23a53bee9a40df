/**
 * Rows as both backends read them (the same tables and columns in ./sqlite/migrations.ts and
 * ./postgres/migrations.ts) and their mapping to the Store's records. Flags are 0/1 in SQLite and
 * booleans in PostgreSQL; BIGINT columns arrive as numbers (./postgres/chat.ts parses them).
 */
import { MAX_REACTION_UIDS } from '../../protocol/changes.js';
import { DM_PREFIX } from '../../protocol/rules.js';
import { MAX_MENTIONS, type MessageChange, type Reaction, type RoomKind, type UserRef } from '../../protocol/types.js';
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
  /** Absent in rows read without them (e.g. mention look-ups). */
  token_gen?: number | null;
  deleted_at?: number | string | null;
  bot?: Flag | null;
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
  /** JSON of the mentioned users ([{id, name}]), null when none. */
  mentions?: string | null;
  mention_all?: Flag | null;
  bot?: Flag | null;
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
export const USER_COLS = 'id, name, name_key, account, password_hash, created_at, token_gen, deleted_at, bot';
/** The columns a new user row is inserted with (the others have their defaults). */
export const USER_INSERT_COLS = 'id, name, name_key, account, password_hash, created_at';
export const ROOM_COLS = 'id, kind, created_by, created_at, last_seq, read_only';
export const MSG_COLS = 'room, seq, id, uid, "user", text, ts, deleted, reply_to, edited_at, v, change, mentions, mention_all, bot';

export function toUser(r: UserRow): UserRecord {
  const u: UserRecord = { id: r.id, name: r.name, nameKey: r.name_key, account: Boolean(r.account), passwordHash: r.password_hash, createdAt: r.created_at };
  if (r.token_gen) u.tokenGen = Number(r.token_gen);
  if (r.deleted_at !== null && r.deleted_at !== undefined) u.deletedAt = Number(r.deleted_at);
  if (r.bot) u.bot = true;
  return u;
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
  if (r.mentions) m.mentions = JSON.parse(r.mentions) as UserRef[];
  if (r.mention_all) m.mentionAll = true;
  if (r.bot) m.bot = true;
  return m;
}

/** The `mentions` column of a message: JSON of the users, null when none. */
export function mentionsColumn(users: readonly UserRef[] | undefined): string | null {
  return users?.length ? JSON.stringify(users) : null;
}

/** A user as the mention look-up finds them (users matching some of the keys). */
export interface MentionCandidate {
  id: string;
  name: string;
  name_key: string;
  account: Flag;
  created_at: number;
}

/**
 * The users `tokens` mention (NewMessage.mentionTokens), from the candidates the store found for their
 * keys: per token its first key that names someone (per key an account first, else the newest guest), in
 * the order of the text, each user once, at most MAX_MENTIONS.
 */
export function pickMentions(tokens: readonly string[][], found: readonly MentionCandidate[]): UserRef[] {
  const byKey = new Map<string, MentionCandidate>();
  for (const c of found) {
    const had = byKey.get(c.name_key);
    if (!had || rank(c) > rank(had)) byKey.set(c.name_key, c);
  }
  const out: UserRef[] = [];
  const ids = new Set<string>();
  for (const candidates of tokens) {
    for (const key of candidates) {
      const u = byKey.get(key);
      if (!u) continue;
      if (!ids.has(u.id) && out.length < MAX_MENTIONS) {
        ids.add(u.id);
        out.push({ id: u.id, name: u.name });
      }
      break;
    }
  }
  return out;
}

function rank(c: MentionCandidate): number {
  return (c.account ? 1e15 : 0) + Number(c.created_at);
}

/** The distinct keys of `tokens` (what the look-up asks for). */
export function mentionKeys(tokens: readonly string[][]): string[] {
  return [...new Set(tokens.flat())];
}

/** In the `mentions` table, a row with this uid stands for `@room` (no user id has this form). */
export const MENTION_ALL_UID = '*';

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
