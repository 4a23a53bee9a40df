/**
 * The SQLite database and the chat half of the embedded store (better-sqlite3); ./store.ts adds
 * administration. better-sqlite3 is synchronous: every method does its work synchronously and returns a
 * settled Promise, so one process is the only writer and a whole `append` batch is one short write
 * transaction (group commit); `createUser` alone waits for the end of the event-loop turn, to commit the
 * users of a burst of handshakes together. WAL mode lets readers run beside the writer.
 */
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Logger } from 'pino';
import { GLOBAL_ROOM } from '../../../protocol/rules.js';
import { UNREAD_CAP, type RoomKind, type UserRef } from '../../../protocol/types.js';
import { changeEvent, refusal } from '../changes.js';
import { ftsMatch } from '../search.js';
import { isConflict, textHash, type Original } from '../idempotency.js';
import { dmPeerId, lim, MENTION_ALL_UID, mentionKeys, mentionsColumn, pickMentions, type MentionCandidate, MSG_COLS, ROOM_COLS, toMessage, toRoom, toUser, USER_COLS, USER_INSERT_COLS, withReactions, type MessageRow, type ReactionRow, type RoomRow, type UserRow } from '../rows.js';
import type { AppendPolicy, AppendResult, SearchQuery, ChatStore, HistoryQuery, NewMessage, RoomRecord, StaleGuest, StoredMessage, UserRecord, UserRoom } from '../store.js';
import { StoreConflictError } from '../store.js';
import { Checkpointer, type CheckpointerOptions } from './checkpointer.js';
import { runSearch, Searcher, type SearcherOptions } from './searcher.js';
import { migrateSqlite } from './migrations.js';
import { preparePrivateFile } from './private-file.js';
import { rekeySqlite } from './rekey.js';
import { SqliteWebhooks } from './webhooks.js';
import { memberEvent, messageEvents, roomCreatedEvents } from '../webhook-events.js';

interface UserRoomRow extends RoomRow {
  last_read: number;
  members: number;
}

/** The idempotency record of a message no longer in history as written (removed_messages). */
interface RemovedRow {
  room: string;
  seq: number;
  ts: number;
  text_hash: Buffer | null;
}

const MSG_INSERT_COLS = 'room, seq, id, uid, user, text, ts, deleted, reply_to, change, mentions, mention_all, bot';

function prepareAll(db: Database.Database) {
  return {
    insertUser: db.prepare(
      `INSERT INTO users (${USER_INSERT_COLS}) VALUES (@id, @name, @name_key, @account, @password_hash, @created_at)`,
    ),
    getUser: db.prepare<[string], UserRow>(`SELECT ${USER_COLS} FROM users WHERE id = ?`),
    findAccount: db.prepare<[string], UserRow>(`SELECT ${USER_COLS} FROM users WHERE name_key = ? AND account = 1`),
    findNewestGuest: db.prepare<[string], UserRow>(
      `SELECT ${USER_COLS} FROM users WHERE name_key = ? AND account = 0 ORDER BY created_at DESC, rowid DESC LIMIT 1`,
    ),

    insertRoom: db.prepare(
      `INSERT OR IGNORE INTO rooms (id, kind, created_by, created_at, last_seq, last_active)
       VALUES (@id, @kind, @created_by, @created_at, 0, @created_at)`,
    ),
    getRoom: db.prepare<[string], RoomRow>(`SELECT ${ROOM_COLS} FROM rooms WHERE id = ?`),
    roomSeq: db.prepare<[string], { last_seq: number; last_active: number }>(
      'SELECT last_seq, last_active FROM rooms WHERE id = ?',
    ),
    updateRoomSeq: db.prepare('UPDATE rooms SET last_seq = ?, last_active = ? WHERE id = ?'),
    listPublic: db.prepare<[number], RoomRow & { members: number }>(
      `SELECT ${ROOM_COLS}, (SELECT COUNT(*) FROM members m WHERE m.room = rooms.id) AS members
         FROM rooms WHERE kind = 'public' ORDER BY last_active DESC, id ASC LIMIT ?`,
    ),

    addMember: db.prepare('INSERT OR IGNORE INTO members (room, uid, joined_at) VALUES (?, ?, ?)'),
    removeMember: db.prepare('DELETE FROM members WHERE room = ? AND uid = ?'),
    isMember: db.prepare<[string, string], { one: number }>('SELECT 1 AS one FROM members WHERE room = ? AND uid = ?'),
    listMembers: db.prepare<[string, number], { id: string; name: string }>(
      `SELECT m.uid AS id, COALESCE(u.name, m.uid) AS name
         FROM members m LEFT JOIN users u ON u.id = m.uid
        WHERE m.room = ? ORDER BY m.joined_at ASC, m.uid ASC LIMIT ?`,
    ),
    countMembers: db.prepare<[string], { n: number }>('SELECT COUNT(*) AS n FROM members WHERE room = ?'),
    userRooms: db.prepare<[string, string], UserRoomRow>(
      `SELECT r.id, r.kind, r.created_by, r.created_at, r.last_seq, r.read_only,
              COALESCE(rm.seq, 0) AS last_read,
              (SELECT COUNT(*) FROM members c WHERE c.room = r.id) AS members
         FROM members m
         JOIN rooms r ON r.id = m.room
         LEFT JOIN read_markers rm ON rm.uid = m.uid AND rm.room = m.room
        WHERE m.uid = ? AND r.id <> ?
        ORDER BY r.last_active DESC, r.id ASC`,
    ),
    dmPeer: db.prepare<[string, string], { id: string; name: string }>(
      `SELECT m.uid AS id, COALESCE(u.name, m.uid) AS name
         FROM members m LEFT JOIN users u ON u.id = m.uid
        WHERE m.room = ? AND m.uid <> ? ORDER BY m.joined_at ASC LIMIT 1`,
    ),
    userRoomIds: db.prepare<[string, string, string], { id: string }>(
      'SELECT id FROM rooms WHERE id = ? UNION ALL SELECT room AS id FROM members WHERE uid = ? AND room <> ?',
    ),
    userName: db.prepare<[string], { name: string }>('SELECT name FROM users WHERE id = ?'),
    readMarker: db.prepare<[string, string], { seq: number }>('SELECT seq FROM read_markers WHERE uid = ? AND room = ?'),

    findMessage: db.prepare<[string, string], MessageRow>(`SELECT ${MSG_COLS} FROM messages WHERE uid = ? AND id = ?`),
    // The idempotency record of a message tombstoned or reset away (./store.ts writes them).
    findRemoved: db.prepare<[string, string], RemovedRow>('SELECT room, seq, ts, text_hash FROM removed_messages WHERE uid = ? AND id = ?'),
    insertMessage: db.prepare<[{ room: string; seq: number; id: string; uid: string; user: string; text: string; ts: number; deleted: number; reply_to: number | null; change: string | null; mentions: string | null; mention_all: number; bot: number }]>(
      `INSERT INTO messages (${MSG_INSERT_COLS}) VALUES (@room, @seq, @id, @uid, @user, @text, @ts, @deleted, @reply_to, @change, @mentions, @mention_all, @bot)`,
    ),
    // Mentions (../rows.ts pickMentions): the users of some name keys (a JSON array) who can read a room.
    mentionUsersAll: db.prepare<[string], MentionCandidate>(
      'SELECT id, name, name_key, account, created_at FROM users WHERE name_key IN (SELECT value FROM json_each(?))',
    ),
    mentionUsersIn: db.prepare<[string, string], MentionCandidate>(
      `SELECT u.id, u.name, u.name_key, u.account, u.created_at
         FROM users u JOIN members m ON m.uid = u.id AND m.room = ?
        WHERE u.name_key IN (SELECT value FROM json_each(?))`,
    ),
    insertMention: db.prepare('INSERT OR IGNORE INTO mentions (uid, room, seq) VALUES (?, ?, ?)'),
    // Unread and mention counts after a read marker (bounded: they stop at UNREAD_CAP).
    unreadCount: db.prepare<[string, number, string, number], { n: number }>(
      'SELECT count(*) AS n FROM (SELECT 1 FROM messages WHERE room = ? AND seq > ? AND uid <> ? AND deleted = 0 LIMIT ?)',
    ),
    mentionCount: db.prepare<[string, string, number, string, number], { n: number }>(
      `SELECT count(*) AS n FROM (
         SELECT 1 FROM mentions x JOIN messages m ON m.room = x.room AND m.seq = x.seq
          WHERE x.uid IN (?, '${MENTION_ALL_UID}') AND x.room = ? AND x.seq > ? AND m.deleted = 0 AND m.uid <> ? LIMIT ?)`,
    ),
    // Message changes (../changes.ts): the target as the checks read it, and what each kind writes.
    target: db.prepare<[string, number], { uid: string; ts: number; text: string; id: string; deleted: number; is_change: number }>(
      'SELECT uid, ts, text, id, deleted, change IS NOT NULL AS is_change FROM messages WHERE room = ? AND seq = ?',
    ),
    recordOriginal: db.prepare('INSERT OR IGNORE INTO removed_messages (uid, id, room, seq, ts, text_hash) VALUES (?, ?, ?, ?, ?, ?)'),
    applyEdit: db.prepare('UPDATE messages SET text = ?, edited_at = ?, v = ? WHERE room = ? AND seq = ?'),
    applyRemove: db.prepare("UPDATE messages SET text = '', deleted = 1, edited_at = NULL, v = ? WHERE room = ? AND seq = ?"),
    applyVersion: db.prepare('UPDATE messages SET v = ? WHERE room = ? AND seq = ?'),
    reactionsOf: db.prepare<[string, string, number], { n: number; has: number | null }>(
      'SELECT COUNT(DISTINCT emoji) AS n, MAX(emoji = ?) AS has FROM reactions WHERE room = ? AND seq = ?',
    ),
    reactOn: db.prepare('INSERT OR IGNORE INTO reactions (room, seq, emoji, uid) VALUES (?, ?, ?, ?)'),
    reactOff: db.prepare('DELETE FROM reactions WHERE room = ? AND seq = ? AND emoji = ? AND uid = ?'),
    clearReactions: db.prepare('DELETE FROM reactions WHERE room = ? AND seq = ?'),
    reactionsBetween: db.prepare<[string, number, number], ReactionRow>(
      'SELECT seq, emoji, uid FROM reactions WHERE room = ? AND seq BETWEEN ? AND ? ORDER BY rowid',
    ),
    staleGuests: db.prepare<[number, number, number, string, number], { id: string; created_at: number }>(
      `SELECT id, created_at FROM users
        WHERE account = 0 AND created_at < ? AND (created_at > ? OR (created_at = ? AND id > ?))
          AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.uid = users.id)
          AND NOT EXISTS (SELECT 1 FROM removed_messages r WHERE r.uid = users.id)
        ORDER BY created_at ASC, id ASC LIMIT ?`,
    ),
    deleteGuest: db.prepare(
      `DELETE FROM users WHERE id = ? AND account = 0
          AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.uid = users.id)
          AND NOT EXISTS (SELECT 1 FROM removed_messages r WHERE r.uid = users.id)`,
    ),
    deleteUserMemberships: db.prepare('DELETE FROM members WHERE uid = ?'),
    deleteUserMarkers: db.prepare('DELETE FROM read_markers WHERE uid = ?'),
    historyLatest: db.prepare<[string, number], MessageRow>(
      `SELECT ${MSG_COLS} FROM messages WHERE room = ? ORDER BY seq DESC LIMIT ?`,
    ),
    historyBefore: db.prepare<[string, number, number], MessageRow>(
      `SELECT ${MSG_COLS} FROM messages WHERE room = ? AND seq < ? ORDER BY seq DESC LIMIT ?`,
    ),
    historyAfter: db.prepare<[string, number, number], MessageRow>(
      `SELECT ${MSG_COLS} FROM messages WHERE room = ? AND seq > ? ORDER BY seq ASC LIMIT ?`,
    ),
    historyBetween: db.prepare<[string, number, number, number], MessageRow>(
      `SELECT ${MSG_COLS} FROM messages WHERE room = ? AND seq > ? AND seq < ? ORDER BY seq ASC LIMIT ?`,
    ),

    setReadMarker: db.prepare<[string, string, number], { seq: number }>(
      `INSERT INTO read_markers (uid, room, seq) VALUES (?, ?, ?)
       ON CONFLICT (uid, room) DO UPDATE SET seq = MAX(seq, excluded.seq)
       RETURNING seq`,
    ),

    getSetting: db.prepare<[string], { value: string }>('SELECT value FROM settings WHERE key = ?'),
    setSetting: db.prepare(
      'INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
    ),
  };
}

type Statements = ReturnType<typeof prepareAll>;

export interface SqliteStoreOptions {
  /** Where warnings about the data's file permissions go. */
  log?: Pick<Logger, 'warn'>;
  /** WAL checkpoints in a worker thread (./checkpointer.ts) instead of inside commits; default true for a file (options: its timings). */
  checkpointer?: boolean | CheckpointerOptions;
  /** Searches in a child process (./searcher.ts) instead of on the event loop; default true for a file (options: its bounds). */
  searcher?: boolean | SearcherOptions;
}

/** The chat half; construct the whole store, SqliteStore (./store.ts). */
export abstract class SqliteChatStore implements ChatStore {
  readonly kind = 'sqlite' as const;
  protected readonly db: Database.Database;
  private readonly checkpointer: Checkpointer | null = null;
  private readonly searcher: Searcher | null = null;
  private st: Statements | null = null;
  private closed = false;
  private readonly appendTx: Database.Transaction<(batch: NewMessage[], policy: AppendPolicy) => AppendResult[]>;
  private readonly deleteGuestsTx: Database.Transaction<(uids: string[]) => number>;
  private readonly createRoomTx: Database.Transaction<(room: Omit<RoomRow, 'read_only'>, members: string[]) => boolean>;
  private readonly insertUsersTx: Database.Transaction<(users: UserRecord[]) => (StoreConflictError | null)[]>;
  /** Users waiting for this turn's group commit (createUser). */
  private userBatch: { user: UserRecord; resolve: () => void; reject: (err: unknown) => void }[] = [];
  /** Webhook endpoints and their outbox (./webhooks.ts): rows written in the transactions below while one is enabled. */
  protected readonly webhooks: SqliteWebhooks;
  private readonly memberTx: Database.Transaction<(room: string, uid: string, join: boolean) => boolean>;

  /**
   * `file`: a path or `:memory:`. The database holds password hashes and the token secret: a missing
   * directory is created 0700 and a missing database file 0600 (SQLite gives its -wal and -shm files the
   * database file's mode), whatever the umask; an existing directory or file that the group or others can
   * access is used as it is, with a warning on `opts.log`.
   */
  constructor(
    readonly file: string,
    opts: SqliteStoreOptions = {},
  ) {
    const memory = file === ':memory:' || file === '';
    if (!memory) preparePrivateFile(path.resolve(file), opts.log);
    this.db = new Database(file);
    if (!memory) this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('busy_timeout = 5000');
    this.db.pragma('foreign_keys = ON');
    this.db.pragma('temp_store = MEMORY');
    if (!memory && opts.checkpointer !== false) this.checkpointer = new Checkpointer(this.db, opts.checkpointer === true ? {} : opts.checkpointer);
    if (!memory && opts.searcher !== false) this.searcher = new Searcher(path.resolve(file), opts.searcher === true ? {} : opts.searcher);

    this.appendTx = this.db.transaction((batch: NewMessage[], policy: AppendPolicy) => this.appendInTx(batch, policy));
    this.insertUsersTx = this.db.transaction((users: UserRecord[]) => users.map((u) => this.insertUser(u)));
    this.deleteGuestsTx = this.db.transaction((uids: string[]) => {
      const s = this.s;
      let n = 0;
      for (const uid of new Set(uids)) {
        if (s.deleteGuest.run(uid).changes === 0) continue;
        s.deleteUserMemberships.run(uid);
        s.deleteUserMarkers.run(uid);
        n++;
      }
      return n;
    });
    this.createRoomTx = this.db.transaction((room: Omit<RoomRow, 'read_only'>, members: string[]) => {
      const s = this.s;
      if (s.insertRoom.run(room).changes === 0) return false;
      for (const uid of members) s.addMember.run(room.id, uid, room.created_at);
      if (this.webhooks.on) {
        const names = new Map(members.map((uid) => [uid, this.webhooks.userName(uid)]));
        this.webhooks.record(roomCreatedEvents({ id: room.id, kind: room.kind, createdBy: room.created_by, createdAt: room.created_at }, members, names));
      }
      return true;
    });
    this.webhooks = new SqliteWebhooks(this.db);
    // A membership change with its webhook event, while an endpoint is enabled.
    this.memberTx = this.db.transaction((room: string, uid: string, join: boolean) => {
      const s = this.s;
      const changed = (join ? s.addMember.run(room, uid, Date.now()) : s.removeMember.run(room, uid)).changes > 0;
      if (changed) this.webhooks.record([memberEvent(join ? 'member.joined' : 'member.left', room, uid, this.webhooks.userName(uid))]);
      return changed;
    });
  }

  private get s(): Statements {
    if (this.closed) throw new Error('SqliteStore is closed');
    if (!this.st) throw new Error('SqliteStore.init() has not been called');
    return this.st;
  }

  /** Throws when the store is closed or not initialized. */
  protected check(): void {
    void this.s;
  }

  async init(): Promise<void> {
    if (this.closed) throw new Error('SqliteStore is closed');
    migrateSqlite(this.db);
    if (!this.st) this.st = prepareAll(this.db);
    this.webhooks.init();
    rekeySqlite(this.db); // names keyed by an older nameKey: recomputed once (../rekey.ts)
    const now = Date.now();
    this.st.insertRoom.run({ id: GLOBAL_ROOM, kind: 'global', created_by: null, created_at: now });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.commitUsers();
    this.closed = true;
    this.st = null;
    this.webhooks.close();
    await this.searcher?.close();
    await this.checkpointer?.close();
    this.db.close();
  }

  // ---- users ----

  /**
   * Inserts a user. Users created in one event-loop turn (a burst of guest handshakes) are committed
   * together, one write transaction at the turn's end (setImmediate), instead of one commit each; each
   * promise settles once that transaction committed (so a welcome is never sent for a row not yet
   * stored), and a conflict refuses only its own row (a failed INSERT rolls back only itself).
   */
  createUser(user: UserRecord): Promise<void> {
    try {
      this.check();
    } catch (err) {
      return Promise.reject(err);
    }
    return new Promise<void>((resolve, reject) => {
      if (this.userBatch.push({ user, resolve, reject }) === 1) setImmediate(this.commitUsers);
    });
  }

  /** Commits the users queued by createUser (also run by close: queued users are stored, not dropped). */
  private readonly commitUsers = (): void => {
    const batch = this.userBatch;
    if (!batch.length) return;
    this.userBatch = [];
    let results: (StoreConflictError | null)[];
    try {
      results = this.insertUsersTx(batch.map((b) => b.user));
    } catch (err) {
      for (const b of batch) b.reject(err);
      return;
    }
    batch.forEach((b, i) => (results[i] ? b.reject(results[i]) : b.resolve()));
  };

  /** One INSERT inside the batch transaction: a constraint violation is that row's conflict, anything else aborts the batch. */
  private insertUser(user: UserRecord): StoreConflictError | null {
    try {
      this.s.insertUser.run({
        id: user.id,
        name: user.name,
        name_key: user.nameKey,
        account: user.account ? 1 : 0,
        password_hash: user.passwordHash,
        created_at: user.createdAt,
      });
      return null;
    } catch (err) {
      if (err instanceof Database.SqliteError && err.code.startsWith('SQLITE_CONSTRAINT')) {
        const byName = /name_key/.test(err.message);
        return new StoreConflictError(
          byName ? `an account named "${user.nameKey}" exists` : `a user with id "${user.id}" exists`,
        );
      }
      throw err;
    }
  }

  async getUser(id: string): Promise<UserRecord | null> {
    const r = this.s.getUser.get(id);
    return r ? toUser(r) : null;
  }

  async findAccount(nameKey: string): Promise<UserRecord | null> {
    const r = this.s.findAccount.get(nameKey);
    return r ? toUser(r) : null;
  }

  /** The account with this key when there is one, else the most recently created guest. */
  async findUserByName(nameKey: string): Promise<UserRecord | null> {
    const r = this.s.findAccount.get(nameKey) ?? this.s.findNewestGuest.get(nameKey);
    // A deleted account keeps its name (reserved) but is nobody to DM or invite.
    return r && (r.deleted_at === null || r.deleted_at === undefined) ? toUser(r) : null;
  }

  // Account changes (docs/protocol.md 4.5): rare, so their statements are prepared when used.

  async setPassword(uid: string, passwordHash: string): Promise<number | null> {
    this.check();
    const r = this.db
      .prepare<[string, string], { token_gen: number }>('UPDATE users SET password_hash = ?, token_gen = token_gen + 1 WHERE id = ? AND account = 1 AND deleted_at IS NULL RETURNING token_gen')
      .get(passwordHash, uid);
    return r ? Number(r.token_gen) : null;
  }

  async bumpTokenGen(uid: string): Promise<number | null> {
    this.check();
    const r = this.db.prepare<[string], { token_gen: number }>('UPDATE users SET token_gen = token_gen + 1 WHERE id = ? RETURNING token_gen').get(uid);
    return r ? Number(r.token_gen) : null;
  }

  async deleteAccount(uid: string, at: number): Promise<{ rooms: string[] } | null> {
    this.check();
    const tx = this.db.transaction((): { rooms: string[] } | null => {
      const marked = this.db
        .prepare('UPDATE users SET deleted_at = ?, password_hash = NULL, token_gen = token_gen + 1 WHERE id = ? AND account = 1 AND deleted_at IS NULL')
        .run(at, uid);
      if (marked.changes === 0) return null;
      const left = this.db
        .prepare<[string], { room: string }>(`DELETE FROM members WHERE uid = ? AND room IN (SELECT id FROM rooms WHERE kind IN ('public', 'private')) RETURNING room`)
        .all(uid);
      if (this.webhooks.on && left.length) {
        const name = this.webhooks.userName(uid);
        this.webhooks.record(left.map((r) => memberEvent('member.left', r.room, uid, name)));
      }
      return { rooms: left.map((r) => r.room).sort() };
    });
    return tx.immediate();
  }

  // ---- rooms ----

  async createRoom(
    room: { id: string; kind: RoomKind; createdBy: string | null; createdAt: number },
    members: string[],
  ): Promise<boolean> {
    void this.s; // throws when closed or not initialized
    // IMMEDIATE: take the write lock up front, so several processes sharing the file (serve --workers)
    // wait for each other (busy_timeout) instead of failing a read-to-write upgrade with SQLITE_BUSY.
    return this.createRoomTx.immediate(
      { id: room.id, kind: room.kind, created_by: room.createdBy, created_at: room.createdAt, last_seq: 0 },
      members,
    );
  }

  async getRoom(id: string): Promise<RoomRecord | null> {
    const r = this.s.getRoom.get(id);
    return r ? toRoom(r) : null;
  }

  async listPublicRooms(limit: number): Promise<(RoomRecord & { members: number })[]> {
    return this.s.listPublic.all(lim(limit)).map((r) => ({ ...toRoom(r), members: r.members }));
  }

  // ---- membership ----

  /** `general` is implicit: nothing is stored for it (returns false). */
  async addMember(room: string, uid: string): Promise<boolean> {
    if (room === GLOBAL_ROOM) return false;
    if (this.webhooks.on) return this.memberTx.immediate(room, uid, true);
    return this.s.addMember.run(room, uid, Date.now()).changes > 0;
  }

  async removeMember(room: string, uid: string): Promise<boolean> {
    if (room === GLOBAL_ROOM) return false;
    if (this.webhooks.on) return this.memberTx.immediate(room, uid, false);
    return this.s.removeMember.run(room, uid).changes > 0;
  }

  async isMember(room: string, uid: string): Promise<boolean> {
    if (room === GLOBAL_ROOM) return true;
    return this.s.isMember.get(room, uid) !== undefined;
  }

  async listMembers(room: string, limit: number): Promise<{ members: UserRef[]; total: number }> {
    const s = this.s;
    const members = s.listMembers.all(room, lim(limit)).map((r) => ({ id: r.id, name: r.name }));
    const total = s.countMembers.get(room)?.n ?? 0;
    return { members, total };
  }

  async listUserRooms(uid: string, opts?: { counts?: boolean }): Promise<UserRoom[]> {
    const s = this.s;
    const out: UserRoom[] = [];
    const general = s.getRoom.get(GLOBAL_ROOM);
    if (general) {
      out.push({ ...toRoom(general), lastRead: s.readMarker.get(uid, GLOBAL_ROOM)?.seq ?? 0, members: 0 });
    }
    for (const r of s.userRooms.all(uid, GLOBAL_ROOM)) {
      const room: UserRoom = { ...toRoom(r), lastRead: r.last_read, members: r.members };
      if (r.kind === 'dm') {
        const peer = this.dmPeer(r.id, uid);
        if (peer) room.peer = peer;
      }
      out.push(room);
    }
    if (opts?.counts) {
      for (const r of out) {
        if (r.lastSeq <= r.lastRead) {
          r.unread = 0;
          r.mentions = 0;
          continue;
        }
        r.unread = s.unreadCount.get(r.id, r.lastRead, uid, UNREAD_CAP)!.n;
        r.mentions = r.unread ? s.mentionCount.get(uid, r.id, r.lastRead, uid, UNREAD_CAP)!.n : 0;
      }
    }
    return out;
  }

  async listUserRoomIds(uid: string): Promise<string[]> {
    return this.s.userRoomIds.all(GLOBAL_ROOM, uid, GLOBAL_ROOM).map((r) => r.id);
  }

  /** The other member of a DM; when they left (or it is a DM with oneself), derived from the room id. */
  private dmPeer(room: string, uid: string): UserRef | null {
    const s = this.s;
    const row = s.dmPeer.get(room, uid);
    if (row) return { id: row.id, name: row.name };
    const other = dmPeerId(room, uid);
    if (!other) return null;
    return { id: other, name: s.userName.get(other)?.name ?? other };
  }

  // ---- messages ----

  async append(batch: NewMessage[], policy: AppendPolicy = { editWindowMs: 0 }): Promise<AppendResult[]> {
    void this.s;
    if (batch.length === 0) return [];
    return this.appendTx.immediate(batch, policy);
  }

  private appendInTx(batch: NewMessage[], policy: AppendPolicy): AppendResult[] {
    const s = this.s;
    const results: AppendResult[] = [];
    const inBatch = new Map<string, Original>();
    const rooms = new Map<string, { lastSeq: number; lastActive: number }>();
    for (const m of batch) {
      const key = `${m.uid}\u0000${m.id}`;
      let seen = inBatch.get(key);
      if (!seen) {
        seen = this.original(m) ?? undefined;
        if (seen) inBatch.set(key, seen);
      }
      if (seen) {
        results.push({ message: seen.message, duplicate: true, conflict: isConflict(seen, m) });
        continue;
      }
      let state = rooms.get(m.room);
      if (!state) {
        const row = s.roomSeq.get(m.room);
        if (!row) throw new Error(`append: no such room "${m.room}"`);
        state = { lastSeq: row.last_seq, lastActive: row.last_active };
        rooms.set(m.room, state);
      }
      const at = m.change?.target ?? m.replyTo;
      const target = at === undefined ? undefined : s.target.get(m.room, at);
      if (at !== undefined) {
        const c = m.change;
        const why = refusal(m, target ? { uid: target.uid, ts: target.ts, deleted: Boolean(target.deleted), isChange: Boolean(target.is_change) } : null, policy, () => {
          const r = s.reactionsOf.get(c?.kind === 'react' ? c.emoji : '', m.room, at)!;
          return { count: r.n, has: Boolean(r.has) };
        });
        if (why) {
          results.push({ message: { ...m, seq: 0 }, duplicate: false, conflict: false, refused: why });
          continue;
        }
      }
      const seq = state.lastSeq + 1;
      const message: StoredMessage = changeEvent(m, seq);
      if (!m.change && (m.mentionTokens?.length || m.mentionAll)) this.resolveMentions(m, message);
      s.insertMessage.run({
        room: m.room, seq, id: m.id, uid: m.uid, user: m.user, text: message.text, ts: m.ts, deleted: message.deleted ? 1 : 0,
        reply_to: m.replyTo ?? null, change: m.change ? JSON.stringify(m.change) : null,
        mentions: mentionsColumn(message.mentions), mention_all: message.mentionAll ? 1 : 0,
        bot: m.bot ? 1 : 0,
      });
      if (message.mentions) for (const u of message.mentions) s.insertMention.run(u.id, m.room, seq);
      if (message.mentionAll) s.insertMention.run(MENTION_ALL_UID, m.room, seq);
      const c = m.change;
      if (c && target) {
        switch (c.kind) {
          case 'edit':
            // The text as first sent stays the id's fingerprint (a late resend of the send is no conflict).
            s.recordOriginal.run(target.uid, target.id, m.room, c.target, target.ts, textHash(target.text));
            s.applyEdit.run(c.text, m.ts, seq, m.room, c.target);
            break;
          case 'remove':
            s.recordOriginal.run(target.uid, target.id, m.room, c.target, target.ts, textHash(target.text));
            s.applyRemove.run(seq, m.room, c.target);
            s.clearReactions.run(m.room, c.target);
            break;
          case 'react':
            (c.on ? s.reactOn : s.reactOff).run(m.room, c.target, c.emoji, m.uid);
            s.applyVersion.run(seq, m.room, c.target);
            break;
        }
      }
      state.lastSeq = message.seq;
      if (m.ts > state.lastActive) state.lastActive = m.ts;
      inBatch.set(key, { message, hash: undefined });
      results.push({ message, duplicate: false, conflict: false });
    }
    for (const [room, st] of rooms) s.updateRoomSeq.run(st.lastSeq, st.lastActive, room);
    if (this.webhooks.on) this.webhooks.record(messageEvents(results));
    return results;
  }

  /** Resolves a send's mention tokens (in the append transaction: membership as of the commit) onto `message`. */
  private resolveMentions(m: NewMessage, message: StoredMessage): void {
    if (m.mentionTokens?.length) {
      const keys = JSON.stringify(mentionKeys(m.mentionTokens));
      const found = m.room === GLOBAL_ROOM ? this.s.mentionUsersAll.all(keys) : this.s.mentionUsersIn.all(m.room, keys);
      const users = pickMentions(m.mentionTokens, found);
      if (users.length) message.mentions = users;
    }
    if (m.mentionAll) message.mentionAll = true;
  }

  /**
   * The original of a client id already used, if any: the message in history (with its removal record's
   * text hash when it is a tombstone), or, when a room reset removed it, a tombstone rebuilt from the record.
   */
  private original(m: NewMessage): Original | null {
    const s = this.s;
    const row = s.findMessage.get(m.uid, m.id);
    if (row && ((!row.deleted && row.edited_at === null) || row.change)) return { message: toMessage(row), hash: undefined };
    const rec = s.findRemoved.get(m.uid, m.id);
    if (row) return { message: toMessage(row), hash: rec?.text_hash ?? null };
    if (!rec) return null;
    return { message: { room: rec.room, seq: rec.seq, id: m.id, uid: m.uid, user: m.user, text: '', ts: rec.ts, deleted: true }, hash: rec.text_hash };
  }

  async history(room: string, q: HistoryQuery): Promise<StoredMessage[]> {
    const s = this.s;
    const limit = lim(q.limit);
    if (limit === 0) return [];
    const hasAfter = q.after !== undefined && q.after !== null;
    const hasBefore = q.before !== undefined && q.before !== null;
    let rows: MessageRow[];
    if (hasAfter && hasBefore) rows = s.historyBetween.all(room, q.after!, q.before!, limit);
    else if (hasAfter) rows = s.historyAfter.all(room, q.after!, limit);
    else rows = (hasBefore ? s.historyBefore.all(room, q.before!, limit) : s.historyLatest.all(room, limit)).reverse();
    const messages = rows.map(toMessage);
    // Reactions only when a message of the page was ever changed (most pages: no second query).
    if (!messages.some((m) => m.v !== undefined && !m.deleted)) return messages;
    return withReactions(messages, s.reactionsBetween.all(room, messages[0].seq, messages[messages.length - 1].seq));
  }

  async search(uid: string, q: SearchQuery): Promise<StoredMessage[]> {
    this.check();
    if (!q.words.length) return [];
    const where: string[] = ['messages_fts MATCH @match', `(m.room = @general OR EXISTS (SELECT 1 FROM members mb WHERE mb.room = m.room AND mb.uid = @uid))`];
    const p: Record<string, unknown> = { match: ftsMatch(q.words), uid, general: GLOBAL_ROOM, limit: lim(q.limit) };
    if (q.room !== undefined) {
      where.push('m.room = @room');
      p.room = q.room;
    }
    if (q.fromName !== undefined) {
      where.push('lower(m.user) = @from');
      p.from = q.fromName.toLowerCase();
    }
    if (q.before !== undefined) {
      where.push('m.ts < @before');
      p.before = q.before;
    }
    if (q.after !== undefined) {
      where.push('m.ts > @after');
      p.after = q.after;
    }
    let order: string;
    let offset = 0;
    if (q.order === 'best') {
      order = 'ORDER BY bm25(messages_fts), m.ts DESC, m.room, m.seq DESC';
      if (q.cursor?.order === 'best') offset = q.cursor.offset;
    } else {
      order = 'ORDER BY m.ts DESC, m.room ASC, m.seq DESC';
      const c = q.cursor;
      if (c?.order === 'newest') {
        where.push('(m.ts < @cts OR (m.ts = @cts AND (m.room > @croom OR (m.room = @croom AND m.seq < @cseq))))');
        Object.assign(p, { cts: c.ts, croom: c.room, cseq: c.seq });
      }
    }
    p.offset = offset;
    const sql = `SELECT ${MSG_COLS.split(', ').map((c) => `m.${c}`).join(', ')}
                   FROM messages_fts JOIN search_map x ON x.id = messages_fts.rowid JOIN messages m ON m.room = x.room AND m.seq = x.seq
                  WHERE ${where.join(' AND ')} ${order} LIMIT @limit OFFSET @offset`;
    const rows = (await runSearch(this.searcher, this.db, sql, p)) as unknown as MessageRow[];
    this.check();
    const out = rows.map(toMessage);
    for (const m of out) if (m.v !== undefined) withReactions([m], this.s.reactionsBetween.all(m.room, m.seq, m.seq));
    return out;
  }

  // ---- guest expiry ----

  async listStaleGuests(createdBefore: number, limit: number, after?: StaleGuest): Promise<StaleGuest[]> {
    const rows = this.s.staleGuests.all(createdBefore, after?.createdAt ?? Number.MIN_SAFE_INTEGER, after?.createdAt ?? Number.MIN_SAFE_INTEGER, after?.id ?? '', lim(limit));
    return rows.map((r) => ({ id: r.id, createdAt: r.created_at }));
  }

  async deleteGuests(uids: string[]): Promise<number> {
    void this.s;
    if (uids.length === 0) return 0;
    return this.deleteGuestsTx.immediate(uids);
  }

  // ---- read markers ----

  async setReadMarker(uid: string, room: string, seq: number): Promise<number> {
    return this.s.setReadMarker.get(uid, room, seq)!.seq;
  }

  // ---- settings ----

  async getSetting(key: string): Promise<string | null> {
    return this.s.getSetting.get(key)?.value ?? null;
  }

  async setSetting(key: string, value: string): Promise<void> {
    this.s.setSetting.run(key, value);
  }
}
