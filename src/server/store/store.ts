/**
 * The Store: everything that must survive a restart (users, rooms, memberships, messages, read markers,
 * settings; bans and the audit log). Two small interfaces, by who uses them:
 * - `ChatStore`: what the chat needs (handshake, hub, handlers, message pipeline, the bus's gap filler,
 *   guest expiry);
 * - `AdminStore`: administration (src/server/admin): bans, audit log, moderation of rooms and messages.
 * A `Store` is both, plus its lifecycle: what the composition root opens and closes. Two implementations,
 * one folder each (./sqlite/: embedded default; ./postgres/: for clusters), sharing their row mapping
 * (./rows.ts) and idempotency rules (./idempotency.ts); one contract suite runs against both
 * (test/store.contract.ts).
 */
import type { MessageChange, Reaction, RoomKind, UserRef } from '../../protocol/types.js';
import type { AdminAuditEntry, AdminBan, ApiScope } from '../../protocol/admin.js';
import type { SearchCursor } from './search.js';
import type { WebhookStore } from './webhooks.js';

export interface UserRecord {
  id: string;
  /** Display name (NFC). */
  name: string;
  /** Lowercased name, the uniqueness key. Unique among accounts only; guests' names are reserved while online. */
  nameKey: string;
  account: boolean;
  /** argon2 hash for accounts, null for guests (and for deleted accounts). */
  passwordHash: string | null;
  createdAt: number;
  /** Session token generation (docs/protocol.md 4.5): tokens of another generation are revoked. Absent: 0. */
  tokenGen?: number;
  /** When the account was deleted (its row stays: the name reserved, its messages kept). Absent: not deleted. */
  deletedAt?: number;
  /** A bot user: made with an API key (an account row without a password: its name unique like accounts'). Absent: a person. */
  bot?: boolean;
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
  /** Only when asked (`listUserRooms(uid, { counts: true })`): messages after lastRead by others, not tombstones nor change events, capped at UNREAD_CAP. */
  unread?: number;
  /** Of those, the ones that mention the user or the room; capped likewise. */
  mentions?: number;
}

export interface NewMessage {
  room: string;
  /** Client-chosen id, unique per author (uid). */
  id: string;
  uid: string;
  user: string;
  /** '' for a change. */
  text: string;
  ts: number;
  /** A reply: the seq of a message of the same room (./changes.ts checks it). */
  replyTo?: number;
  /** A change of an earlier message (docs/protocol.md 6.15): stored as a tombstone with this `change`, and applied to its target. */
  change?: MessageChange;
  /** The author is an administrator (may remove anyone's message). */
  admin?: boolean;
  /**
   * `@name` tokens of a send (src/server/hub/mentions.ts): per token its candidate name keys, preferred
   * first. The store resolves them in the append (users who can read the room: members, every user for
   * `general`; per key an account first, else the newest guest) and stores the users found (at most MAX_MENTIONS).
   */
  mentionTokens?: string[][];
  /** `@room` (already allowed by the server's roomMentions). */
  mentionAll?: boolean;
  /** Sent by a bot user (stored with the message: history, replay and search show it). */
  bot?: boolean;
}

export interface StoredMessage {
  room: string;
  seq: number;
  id: string;
  uid: string;
  user: string;
  text: string;
  ts: number;
  /** A tombstone (text ''), keeping its seq: deleted by its author or an administrator, or a change event. Absent when not deleted. */
  deleted?: boolean;
  replyTo?: number;
  /** When the text was last edited. */
  edited?: number;
  /** The seq of the last change applied to it. */
  v?: number;
  reactions?: Reaction[];
  change?: MessageChange;
  /** The users mentioned, resolved when it was sent (absent: none). */
  mentions?: UserRef[];
  /** `@room` mentioned everyone. */
  mentionAll?: boolean;
  /** Sent by a bot user. */
  bot?: boolean;
}

/** Why a change or a reply was refused (nothing written for it, no seq used). */
export interface Refusal {
  code: 'no_such_message' | 'not_author' | 'edit_window_passed' | 'too_many_reactions';
  message: string;
}

/** The server's rules for changes, passed to every append. */
export interface AppendPolicy {
  /** An edit later than this after the message is refused (`edit_window_passed`); 0 = any time. */
  editWindowMs: number;
}

/** A banned name (bans are by name key: they block login, register, guest name and tokens of that name): as the admin API shows it. */
export type BanRecord = AdminBan;

/** One row of the audit log (an authorized administrator action, written before it is carried out; `id` assigned by the store, increasing). */
export type AuditEntry = AdminAuditEntry;

/** The message as a client sees it: built by the one encoder of server events (import it from there). */
export { msgEvent } from '../../protocol/encode.js';

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
  /** Set when a change or a reply was refused: nothing was written for it (`message` is then the sent one, without a seq: seq 0). */
  refused?: Refusal;
}

/** A guest that may be forgotten (see Store.listStaleGuests). */
export interface StaleGuest {
  id: string;
  createdAt: number;
}

/** A full-text search as the store runs it (./search.ts made `words` and the cursor). */
export interface SearchQuery {
  /** Folded words, each a required prefix. */
  words: string[];
  /** Only this room (still only when the user is a member). */
  room?: string;
  /** Only messages whose author name (as stored on them) is this one, case-insensitively. */
  fromName?: string;
  before?: number;
  after?: number;
  order: 'newest' | 'best';
  limit: number;
  cursor?: SearchCursor;
}

export interface HistoryQuery {
  /** Only messages with seq < before (the newest `limit` of them). */
  before?: number;
  /** Only messages with seq > after (the oldest `limit` of them). */
  after?: number;
  limit: number;
}

/** What the chat needs of the store. */
export interface ChatStore {
  // ---- users ----

  /** Throws StoreConflictError when an account with the same nameKey exists (accounts only). */
  createUser(user: UserRecord): Promise<void>;
  getUser(id: string): Promise<UserRecord | null>;
  findAccount(nameKey: string): Promise<UserRecord | null>;
  /** Most recently created user (guest or account) with this nameKey: used to find DM peers by name. */
  findUserByName(nameKey: string): Promise<UserRecord | null>;
  // Account changes (docs/protocol.md 4.5): each bumps the user's token generation in the same write and
  // returns the new one; null when there is no such user (or, for the first and last, no live account).
  /** Sets an account's password hash. */
  setPassword(uid: string, passwordHash: string): Promise<number | null>;
  /** Revokes every session token of the user (guest or account). */
  bumpTokenGen(uid: string): Promise<number | null>;
  /**
   * Deletes an account: marks it deleted (`deletedAt`), clears its password, bumps its generation and
   * removes its memberships of public and private rooms (DMs stay, readable by the peer), in one
   * transaction. The row, its name (reserved) and its messages stay. Returns the rooms it left, or null
   * when `uid` is not an account or is deleted already. `findUserByName` no longer finds it.
   */
  deleteAccount(uid: string, at: number): Promise<{ rooms: string[] } | null>;

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

  // ---- rooms and members ----

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
  /**
   * Rooms the user is a member of, `general` always included. With `counts`: each with `unread` and
   * `mentions` (after the read marker; bounded work per room: counting stops at UNREAD_CAP).
   */
  listUserRooms(uid: string, opts?: { counts?: boolean }): Promise<UserRoom[]>;
  /** The ids of `listUserRooms` (in no particular order), without reading the rooms: for a sign-in's first, cheap look. */
  listUserRoomIds(uid: string): Promise<string[]>;

  // ---- messages and read markers ----

  /**
   * Appends messages atomically (one transaction: group commit). Seqs are assigned per room in array
   * order, strictly increasing without gaps. Idempotent by (uid, id): a repeat returns the original.
   * Results are in the order of `batch`. A change (`change`) is stored as a tombstone carrying it and
   * applied to its target in the same transaction (edit: text, edited, v; remove: a tombstone; react:
   * the reactions table, v); a change or a reply that may not apply (./changes.ts) is refused alone
   * (`refused`), the rest of the batch goes on. The default policy: edits at any time.
   */
  append(batch: NewMessage[], policy?: AppendPolicy): Promise<AppendResult[]>;
  /** Ascending by seq. */
  history(room: string, query: HistoryQuery): Promise<StoredMessage[]>;
  /**
   * Messages matching every word, in rooms `uid` is a member of now (`general` always), in their current
   * state (removed messages and change events never match; an edit is searched by its new text), newest
   * first by (ts, room, seq) or best first (the index's rank), at most `limit`, after `cursor`.
   */
  search(uid: string, query: SearchQuery): Promise<StoredMessage[]>;

  /** Moves the user's read marker forward (never back); returns the marker now stored. */
  setReadMarker(uid: string, room: string, seq: number): Promise<number>;

  // ---- settings (shared by every node: the token secret, the granted admins) ----

  getSetting(key: string): Promise<string | null>;
  setSetting(key: string, value: string): Promise<void>;
}

/** Administration: moderation of rooms and messages, bans, the audit log. */
export interface AdminStore {
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

  // ---- API keys (docs/api.md; the key material: src/server/auth/api-keys.ts) ----

  /**
   * Stores a key and creates its bot user (`bot.bot` true, an account row without a password) in one
   * transaction. Throws StoreConflictError when an account (or another bot) has the bot's name key, or the id exists.
   */
  createApiKey(key: ApiKeyRecord, bot: UserRecord): Promise<void>;
  getApiKey(id: string): Promise<ApiKeyRecord | null>;
  /** Newest first, revoked ones included. */
  listApiKeys(limit: number): Promise<ApiKeyRecord[]>;
  /** Marks the key revoked; the key as it is now, or null when there is no such key. Revoking twice keeps the first time. */
  revokeApiKey(id: string, at: number): Promise<ApiKeyRecord | null>;
  /** Records a use of the key (last_used_at moves forward only). */
  touchApiKey(id: string, at: number): Promise<void>;
}

/** An API key as stored: only a SHA-256 of its secret (src/server/auth/api-keys.ts). */
export interface ApiKeyRecord {
  id: string;
  name: string;
  /** Its bot user. */
  uid: string;
  secretHash: Buffer;
  scopes: ApiScope[];
  createdAt: number;
  /** The administrator who created it (id, and name at the time). */
  createdBy: string;
  createdByName: string;
  lastUsedAt?: number;
  revokedAt?: number;
}

/** A whole store, as the composition root (and the admin CLI) opens, passes on and closes it. */
export interface Store extends ChatStore, AdminStore {
  readonly kind: 'sqlite' | 'postgres';
  /** Runs pending migrations and makes sure the `general` room exists. */
  init(): Promise<void>;
  /** Flushes and closes. */
  close(): Promise<void>;
}

/** Outgoing webhooks: endpoints and their outbox of deliveries (./webhooks.ts), written in the transactions of what they describe. */
export interface Store extends WebhookStore {}

export class StoreConflictError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StoreConflictError';
  }
}

/**
 * Accounts of an external identity (JWT sign-in, src/server/auth/jwt-accounts.ts): the pair (issuer,
 * subject) of a token maps to one user id, for good. The accounts have no password (`passwordHash`
 * null, not deleted): a password login, `password` and `delete_account` cannot apply to them.
 */
export interface IdentityStore {
  /** The user mapped to (issuer, subject), or null. `issuer` is '' for tokens without `iss`. */
  findExternalUser(issuer: string, subject: string): Promise<UserRecord | null>;
  /**
   * Creates the account `user` mapped to (issuer, subject), both in one transaction, and returns it. When
   * the pair is mapped already (two first sign-ins at once), nothing is written and the mapped user is
   * returned. Throws StoreConflictError when an account with `user.nameKey` exists (nothing written).
   */
  createExternalUser(user: UserRecord, issuer: string, subject: string): Promise<UserRecord>;
}

// Declaration merging: every Store also maps external identities (kept apart from the declaration above).
export interface Store extends IdentityStore {}
