/**
 * The Store: everything that must survive a restart (users, rooms, memberships, messages, read markers).
 * One interface, two implementations (SQLite embedded default; PostgreSQL for clusters), one contract suite
 * (test/store.contract.ts).
 */
import { createHash } from 'node:crypto';
import type { MsgEvent, RoomKind, UserRef } from '../../protocol/types.js';

export interface UserRecord {
  id: string;
  /** Display name (NFC). */
  name: string;
  /** Lowercased name, the uniqueness key. Unique among accounts only; guests' names are reserved while online. */
  nameKey: string;
  account: boolean;
  /** argon2 hash for accounts, null for guests. */
  passwordHash: string | null;
  createdAt: number;
}

export interface RoomRecord {
  id: string;
  kind: RoomKind;
  createdBy: string | null;
  createdAt: number;
  /** Seq of the newest message, 0 when empty. */
  lastSeq: number;
  /** Sends refused (set by an administrator). */
  readOnly?: boolean;
}

export interface UserRoom extends RoomRecord {
  lastRead: number;
  /** Stored member count (for `general`, which has implicit membership, 0). */
  members: number;
  /** For DM rooms: the other member. */
  peer?: UserRef;
}

export interface NewMessage {
  room: string;
  /** Client-chosen id, unique per author (uid). */
  id: string;
  uid: string;
  user: string;
  text: string;
  ts: number;
}

export interface StoredMessage extends NewMessage {
  seq: number;
  /** Deleted by an administrator: a tombstone (text ''), keeping its seq. Absent when not deleted. */
  deleted?: boolean;
}

/** A banned name (bans are by name key: they block login, register, guest name and tokens of that name). */
export interface BanRecord {
  nameKey: string;
  /** The name as the administrator typed it. */
  name: string;
  reason: string;
  /** Id of the administrator who banned. */
  by: string;
  at: number;
}

/** One row of the audit log: an authorized administrator action, written before it is carried out. */
export interface AuditEntry {
  /** Assigned by the store, increasing. */
  id: number;
  at: number;
  actorId: string;
  actor: string;
  /** e.g. `kick`, `ban`, `unban`, `delete_message`, `reset_room`, `delete_room`, `read_only`, `log_level`. */
  action: string;
  /** What it acted on: a user name, a room id, `room#seq`, ... */
  target: string;
  /** JSON text with the action's parameters (reason, level, ...). */
  detail: string;
}

/**
 * The fingerprint idempotency records keep of a message's text: SHA-256 of its UTF-8 bytes (PostgreSQL
 * computes the same with `sha256(convert_to(text, 'UTF8'))`).
 */
export function textHash(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/** The original of a client id already used, as a store compares a repeat with it (both stores). */
export interface Original {
  message: StoredMessage;
  /**
   * `undefined`: `message.text` is the original text. A Buffer: `textHash` of the original text (the message
   * was tombstoned or reset away). `null`: unknown (a tombstone from before the records existed): any text matches.
   */
  hash: Buffer | null | undefined;
}

/** True when a repeat of a client id is not the same message (another room or another text): `id_conflict`. */
export function isConflict(o: Original, sent: NewMessage): boolean {
  if (o.message.room !== sent.room) return true;
  if (o.hash === undefined) return o.message.text !== sent.text;
  return o.hash !== null && !o.hash.equals(textHash(sent.text));
}

/** The message as a client sees it (`deleted: true` only on tombstones). */
export function msgEvent(m: StoredMessage): MsgEvent {
  const ev: MsgEvent = { type: 'msg', room: m.room, seq: m.seq, id: m.id, uid: m.uid, user: m.user, text: m.text, ts: m.ts };
  if (m.deleted) ev.deleted = true;
  return ev;
}

export interface AppendResult {
  /**
   * The stored message. For a duplicate: the original as history has it now (a tombstone after an admin
   * delete); when it is no longer in history (its room was reset), a tombstone rebuilt from the
   * idempotency record (room, seq, id, uid, ts; text '', `deleted`).
   */
  message: StoredMessage;
  /**
   * True when (uid, id) was already used: `message` is the original (its room, seq and ts are the
   * original ack), nothing was written. Client ids are remembered across admin deletes and room resets;
   * deleting a room forgets the ids of its messages.
   */
  duplicate: boolean;
  /**
   * True for a duplicate whose original had another room or another text (compared by a SHA-256 of the
   * original text, which outlives deletes and resets): the sender reused an id (`id_conflict`). Always
   * false for new messages and true repeats. Messages deleted before the idempotency records existed have no
   * text fingerprint: only their room is compared.
   */
  conflict: boolean;
}

/** A guest that may be forgotten (see Store.listStaleGuests). */
export interface StaleGuest {
  id: string;
  createdAt: number;
}

export interface HistoryQuery {
  /** Only messages with seq < before (the newest `limit` of them). */
  before?: number;
  /** Only messages with seq > after (the oldest `limit` of them). */
  after?: number;
  limit: number;
}

export interface Store {
  readonly kind: 'sqlite' | 'postgres';
  /** Runs pending migrations and makes sure the `general` room exists. */
  init(): Promise<void>;
  /** Flushes and closes. */
  close(): Promise<void>;

  /** Throws StoreConflictError when an account with the same nameKey exists (accounts only). */
  createUser(user: UserRecord): Promise<void>;
  getUser(id: string): Promise<UserRecord | null>;
  findAccount(nameKey: string): Promise<UserRecord | null>;
  /** Most recently created user (guest or account) with this nameKey: used to find DM peers by name. */
  findUserByName(nameKey: string): Promise<UserRecord | null>;

  /** Creates a room; false when the id exists. `members` are added in the same transaction. */
  createRoom(room: { id: string; kind: RoomKind; createdBy: string | null; createdAt: number }, members: string[]): Promise<boolean>;
  getRoom(id: string): Promise<RoomRecord | null>;
  /** Public rooms with their member counts, most recently active first. */
  listPublicRooms(limit: number): Promise<(RoomRecord & { members: number })[]>;

  /** True when newly added. */
  addMember(room: string, uid: string): Promise<boolean>;
  /** True when removed. */
  removeMember(room: string, uid: string): Promise<boolean>;
  /** Membership as stored (`general` is implicit: always true). */
  isMember(room: string, uid: string): Promise<boolean>;
  listMembers(room: string, limit: number): Promise<{ members: UserRef[]; total: number }>;
  /** Rooms the user is a member of, `general` always included. */
  listUserRooms(uid: string): Promise<UserRoom[]>;

  /**
   * Appends messages atomically (one transaction: group commit). Seqs are assigned per room in array
   * order, strictly increasing without gaps. Idempotent by (uid, id): a repeat returns the original.
   * Results are in the order of `batch`.
   */
  append(batch: NewMessage[]): Promise<AppendResult[]>;
  /** Ascending by seq. */
  history(room: string, query: HistoryQuery): Promise<StoredMessage[]>;

  /**
   * Guests created before `createdBefore` that never wrote a message (none in history, none tombstoned or
   * reset away; a deleted room's messages no longer count), oldest first, at most `limit`, after `after` (the last one of the previous page). The caller
   * removes those online and passes the rest to `deleteGuests`.
   */
  listStaleGuests(createdBefore: number, limit: number, after?: StaleGuest): Promise<StaleGuest[]>;
  /**
   * Deletes these users when they still are guests that never wrote a message (re-checked in the same
   * transaction), with their memberships and read markers. Returns how many were deleted.
   */
  deleteGuests(uids: string[]): Promise<number>;

  /** Moves the user's read marker forward (never back); returns the marker now stored. */
  setReadMarker(uid: string, room: string, seq: number): Promise<number>;

  getSetting(key: string): Promise<string | null>;
  setSetting(key: string, value: string): Promise<void>;
  /** Stores `value` unless the key has one; returns the value now stored (first writer wins, cluster-wide). */
  setSettingIfAbsent(key: string, value: string): Promise<string>;

  // ---- administration ----

  /** The first account ever created (oldest created_at, then insertion order), or null. */
  firstAccount(): Promise<UserRecord | null>;
  /** Rooms other than DMs, with member counts, most recently active first. */
  listRooms(limit: number): Promise<(RoomRecord & { members: number })[]>;
  /** Counts of rooms (DMs included) and of messages ever sent (sum of last_seq: resets do not lower it). */
  counts(): Promise<{ rooms: number; messages: number }>;
  /** Turns a message into a tombstone (text '', deleted), keeping its seq. False when no such message. */
  deleteMessage(room: string, seq: number): Promise<boolean>;
  /** Deletes every message of the room; last_seq is kept (seqs never go back). Null when no such room. */
  resetRoom(room: string): Promise<{ deleted: number; lastSeq: number } | null>;
  /** Deletes the room, its members, messages, read markers and the client ids of its messages; its id is free again. Null when no such room, else the former members. */
  deleteRoom(room: string): Promise<string[] | null>;
  /** False when no such room. */
  setRoomReadOnly(room: string, readOnly: boolean): Promise<boolean>;
  listReadOnlyRooms(): Promise<string[]>;

  /** Bans a name (a repeat updates the reason). */
  addBan(ban: BanRecord): Promise<void>;
  /** True when a ban was lifted. */
  removeBan(nameKey: string): Promise<boolean>;
  getBan(nameKey: string): Promise<BanRecord | null>;
  /** Newest first. */
  listBans(limit: number): Promise<BanRecord[]>;

  /** Appends to the audit log; returns the entry's id. */
  addAudit(entry: Omit<AuditEntry, 'id'>): Promise<number>;
  /** Newest first; `before` = only entries with id < before (paging). */
  listAudit(limit: number, before?: number): Promise<AuditEntry[]>;
}

export class StoreConflictError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StoreConflictError';
  }
}
