/**
 * The PostgreSQL connection pool and the chat half of the store for clusters (every node reads and writes
 * the same database); ./store.ts adds administration.
 *
 * Seqs: `append` (one group commit) calls scalechat_insert_batch_bots (migration 9: migration 2's scalechat_insert_batch with the bot flag), one statement that locks the
 * batch's room rows in id order (two nodes' batches never deadlock), numbers the messages from the committed
 * `rooms.last_seq`, inserts them and moves `last_seq`, and commits, all inside the server: a room is never
 * locked across a network round trip. A second node writing the same room waits on the row lock until the
 * first commits, then continues from the committed seq: no duplicate, no gap; a failed batch gives its seqs
 * back. Idempotency by (uid, id) is checked first (in messages, and in removed_messages for messages an
 * administrator tombstoned or reset away) and enforced by a unique index; a concurrent duplicate (the same
 * resend reaching two nodes at once) fails the index and the batch is retried, finding the original.
 * A batch carrying message changes or replies (docs/protocol.md 6.15) takes a transaction instead
 * (appendChanges): the same room locks in the same order, then each target is checked (../changes.ts) and
 * each change applied as SQLite does it.
 *
 * BIGINT columns are parsed as JS numbers (seqs and millisecond timestamps stay far below 2^53).
 */
import pg from 'pg';
import { GLOBAL_ROOM } from '../../../protocol/rules.js';
import { UNREAD_CAP, type RoomKind, type UserRef } from '../../../protocol/types.js';
import { changeEvent, refusal } from '../changes.js';
import { tsQuery } from '../search.js';
import { isConflict, type Original } from '../idempotency.js';
import { dmPeerId, lim, MENTION_ALL_UID, mentionKeys, mentionsColumn, pickMentions, type MentionCandidate, MSG_COLS, ROOM_COLS, toMessage, toRoom, toUser, USER_COLS, USER_INSERT_COLS, withReactions, type MessageRow, type ReactionRow, type RoomRow, type UserRow } from '../rows.js';
import type { AppendPolicy, AppendResult, ChatStore, HistoryQuery, SearchQuery, NewMessage, RoomRecord, StaleGuest, StoredMessage, UserRecord, UserRoom } from '../store.js';
import { StoreConflictError } from '../store.js';
import { migratePostgres } from './migrations.js';
import { rekeyPostgres } from './rekey.js';
import { PostgresWebhooks } from './webhooks.js';
import { memberEvent, messageEvents, roomCreatedEvents } from '../webhook-events.js';

/** The one-statement group commit of plain sends (migration 9's function: migration 2's with the bot flag). */
const INSERT_BATCH_SQL =
  'SELECT o_ord, o_seq FROM scalechat_insert_batch_bots($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::boolean[])';

export interface PostgresStoreOptions {
  /** Most pooled connections (per node). */
  poolSize?: number;
  /** Longest wait for a pooled connection (a stopped database fails requests within this bound). */
  connectTimeoutMs?: number;
  /** Upper bound of one statement, enforced by the server. */
  statementTimeoutMs?: number;
  /** Called with errors of idle pooled connections (e.g. the server restarted); default: ignored. */
  onError?: (err: Error) => void;
}

/**
 * A message with this (uid, id) (MSG_COLS), or the idempotency record of one removed from history (then
 * `text` and `user` are null, `deleted` true, the change columns null).
 */
interface OriginalRow extends Omit<MessageRow, 'user' | 'text'> {
  user: string | null;
  text: string | null;
  /** From removed_messages: null when no record or no fingerprint. */
  text_hash: Buffer | null;
  /** A removed_messages row exists. */
  recorded: boolean;
}

/**
 * The original as ../idempotency.ts compares a repeat with it (the same rules as SQLite's `original()`): a
 * message in history as it is now; compared by its text while it is as sent, by its removal record's hash
 * once it was tombstoned or edited (the text as first sent stays the id's fingerprint); a change event is
 * its own original (compared by its change). A message reset away: a tombstone rebuilt from its record.
 */
function toOriginal(sent: NewMessage, r: OriginalRow): Original {
  if (r.text === null) {
    return { message: { room: r.room, seq: r.seq, id: r.id, uid: r.uid, user: sent.user, text: '', ts: r.ts, deleted: true }, hash: r.text_hash };
  }
  const message = toMessage({ ...r, user: r.user ?? sent.user, text: r.text });
  if ((!r.deleted && r.edited_at === null) || r.change !== null) return { message, hash: undefined };
  return { message, hash: r.recorded ? r.text_hash : null };
}

/** The target of a change or a reply as the append transaction reads it, with the reaction counts a react that turns an emoji on needs. */
interface TargetRow {
  uid: string;
  ts: number;
  deleted: boolean;
  is_change: boolean;
  /** Distinct emoji on the target (null unless asked for). */
  n: number | null;
  /** The asked emoji is one of them (null unless asked for). */
  has: boolean | null;
}

/** The columns a new row is inserted with ($1..$10 in this order: the change statements below reuse them). */
const MSG_INSERT = 'INSERT INTO messages (room, seq, id, uid, "user", text, ts, deleted, reply_to, change) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)';

/** A send with mentions: MSG_INSERT's columns ($1..$10) and the mentions ($11 JSON, $12 @room). */
const MSG_INSERT_MENTIONS =
  'INSERT INTO messages (room, seq, id, uid, "user", text, ts, deleted, reply_to, change, mentions, mention_all) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)';

/**
 * The original text's fingerprint, recorded once (the first edit or the removal: ON CONFLICT keeps the
 * first), hashed like ../idempotency.ts textHash. In the same statement as the change: it reads the row as
 * it was before the statement ($1 room, $11 target seq).
 */
const RECORD_ORIGINAL = `INSERT INTO removed_messages (uid, id, room, seq, ts, text_hash)
    SELECT uid, id, room, seq, ts, sha256(convert_to(text, 'UTF8')) FROM messages WHERE room = $1 AND seq = $11
    ON CONFLICT (uid, id) DO NOTHING`;

/**
 * One statement per change, inserting the change event ($1..$10, MSG_INSERT) and applying it to its target
 * ($11 the target's seq; $2, the event's seq, becomes the target's v; $7, its ts, the edit time).
 */
const APPLY = {
  edit: `WITH ins AS (${MSG_INSERT}), rec AS (${RECORD_ORIGINAL})
    UPDATE messages SET text = $12, edited_at = $7, v = $2 WHERE room = $1 AND seq = $11`,
  remove: `WITH ins AS (${MSG_INSERT}), rec AS (${RECORD_ORIGINAL}), clr AS (DELETE FROM reactions WHERE room = $1 AND seq = $11)
    UPDATE messages SET text = '', deleted = TRUE, edited_at = NULL, v = $2 WHERE room = $1 AND seq = $11`,
  reactOn: `WITH ins AS (${MSG_INSERT}), r AS (INSERT INTO reactions (room, seq, emoji, uid) VALUES ($1, $11, $12, $4) ON CONFLICT DO NOTHING)
    UPDATE messages SET v = $2 WHERE room = $1 AND seq = $11`,
  reactOff: `WITH ins AS (${MSG_INSERT}), r AS (DELETE FROM reactions WHERE room = $1 AND seq = $11 AND emoji = $12 AND uid = $4)
    UPDATE messages SET v = $2 WHERE room = $1 AND seq = $11`,
} as const;

/** The idempotency key of a message. */
const key = (uid: string, id: string): string => `${uid}\u0000${id}`;

const INT8_OID = 20;
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
};

/** Errors after which the same transaction may simply be run again. */
function retryable(err: unknown): boolean {
  const e = err as { code?: string; constraint?: string };
  return e.code === '40001' || e.code === '40P01' || (e.code === '23505' && e.constraint === 'messages_uid_id');
}

/** The chat half; construct the whole store, PostgresStore (./store.ts). */
export abstract class PostgresChatStore implements ChatStore {
  readonly kind = 'postgres' as const;
  readonly pool: pg.Pool;
  private closed = false;
  private initialized = false;
  /** Webhook endpoints and their outbox (./webhooks.ts): rows written in the transactions below while one is enabled. */
  protected readonly webhooks = new PostgresWebhooks(() => {
    this.check();
    return this.pool;
  });

  constructor(
    readonly url: string,
    opts: PostgresStoreOptions = {},
  ) {
    this.pool = new pg.Pool({
      connectionString: url,
      max: opts.poolSize ?? 10,
      connectionTimeoutMillis: opts.connectTimeoutMs ?? 5000,
      idleTimeoutMillis: 30_000,
      statement_timeout: opts.statementTimeoutMs ?? 15_000,
      application_name: 'scale-chat',
      // No JIT: the store's queries are short index lookups, and a search matching many rows was planned
      // expensive enough to be compiled: 380 ms of a 1.1 s query went to JIT (bench:search).
      options: '-c jit=off',
      types,
    });
    // An idle client losing its connection (database restart) emits here; without a listener it would crash the process.
    this.pool.on('error', (err) => opts.onError?.(err));
  }

  /** Throws when the store is closed or not initialized. */
  protected check(): void {
    if (this.closed) throw new Error('PostgresStore is closed');
    if (!this.initialized) throw new Error('PostgresStore.init() has not been called');
  }

  protected async q<R extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<R[]> {
    this.check();
    return (await this.pool.query<R>(sql, params)).rows;
  }

  /** Runs `fn` in one transaction on one pooled connection. */
  protected async tx<T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    this.check();
    const c = await this.pool.connect();
    let broken: Error | undefined;
    // A checked-out client is not watched by the pool: a server shutdown between two statements would be an
    // unhandled 'error' event (a crash). Record it; the client is then discarded on release.
    const onError = (err: Error) => (broken = err);
    c.on('error', onError);
    try {
      await c.query('BEGIN');
      const out = await fn(c);
      await c.query('COMMIT');
      return out;
    } catch (err) {
      await c.query('ROLLBACK').catch((e: Error) => (broken = e));
      throw err;
    } finally {
      c.off('error', onError);
      c.release(broken);
    }
  }

  async init(): Promise<void> {
    if (this.closed) throw new Error('PostgresStore is closed');
    const c = await this.pool.connect();
    let broken: Error | undefined;
    const onError = (err: Error) => (broken = err);
    c.on('error', onError);
    try {
      await migratePostgres(c);
      await rekeyPostgres(c); // names keyed by an older nameKey: recomputed once (../rekey.ts)
      await c.query(
        `INSERT INTO rooms (id, kind, created_by, created_at, last_seq, last_active)
         VALUES ($1, 'global', NULL, $2, 0, $2) ON CONFLICT (id) DO NOTHING`,
        [GLOBAL_ROOM, Date.now()],
      );
    } finally {
      c.off('error', onError);
      c.release(broken);
    }
    this.initialized = true;
    await this.webhooks.refresh();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }

  // ---- users ----

  async createUser(user: UserRecord): Promise<void> {
    try {
      await this.q(`INSERT INTO users (${USER_INSERT_COLS}) VALUES ($1, $2, $3, $4, $5, $6)`, [
        user.id,
        user.name,
        user.nameKey,
        user.account,
        user.passwordHash,
        user.createdAt,
      ]);
    } catch (err) {
      const e = err as { code?: string; constraint?: string };
      if (e.code === '23505') {
        throw new StoreConflictError(
          e.constraint === 'users_account_name_key' ? `an account named "${user.nameKey}" exists` : `a user with id "${user.id}" exists`,
        );
      }
      throw err;
    }
  }

  async getUser(id: string): Promise<UserRecord | null> {
    const [r] = await this.q<UserRow>(`SELECT ${USER_COLS} FROM users WHERE id = $1`, [id]);
    return r ? toUser(r) : null;
  }

  async findAccount(nameKey: string): Promise<UserRecord | null> {
    const [r] = await this.q<UserRow>(`SELECT ${USER_COLS} FROM users WHERE name_key = $1 AND account`, [nameKey]);
    return r ? toUser(r) : null;
  }

  /** The account with this key when there is one, else the most recently created guest. */
  async findUserByName(nameKey: string): Promise<UserRecord | null> {
    const [r] = await this.q<UserRow>(
      `SELECT ${USER_COLS} FROM users WHERE name_key = $1
        ORDER BY account DESC, created_at DESC, n DESC LIMIT 1`,
      [nameKey],
    );
    // A deleted account keeps its name (reserved) but is nobody to DM or invite.
    return r && (r.deleted_at === null || r.deleted_at === undefined) ? toUser(r) : null;
  }

  // Account changes (docs/protocol.md 4.5).

  async setPassword(uid: string, passwordHash: string): Promise<number | null> {
    const [r] = await this.q<{ token_gen: number }>(
      'UPDATE users SET password_hash = $1, token_gen = token_gen + 1 WHERE id = $2 AND account AND deleted_at IS NULL RETURNING token_gen',
      [passwordHash, uid],
    );
    return r ? Number(r.token_gen) : null;
  }

  async bumpTokenGen(uid: string): Promise<number | null> {
    const [r] = await this.q<{ token_gen: number }>('UPDATE users SET token_gen = token_gen + 1 WHERE id = $1 RETURNING token_gen', [uid]);
    return r ? Number(r.token_gen) : null;
  }

  async deleteAccount(uid: string, at: number): Promise<{ rooms: string[] } | null> {
    return this.tx(async (c) => {
      const marked = await c.query('UPDATE users SET deleted_at = $1, password_hash = NULL, token_gen = token_gen + 1 WHERE id = $2 AND account AND deleted_at IS NULL', [at, uid]);
      if ((marked.rowCount ?? 0) === 0) return null;
      const left = await c.query<{ room: string }>(
        `DELETE FROM members WHERE uid = $1 AND room IN (SELECT id FROM rooms WHERE kind IN ('public', 'private')) RETURNING room`,
        [uid],
      );
      if (this.webhooks.on && left.rows.length) {
        const name = (await this.webhooks.userNames(c, [uid])).get(uid) ?? uid;
        await this.webhooks.record(c, left.rows.map((r) => memberEvent('member.left', r.room, uid, name)));
      }
      return { rooms: left.rows.map((r) => r.room).sort() };
    });
  }

  // ---- rooms ----

  async createRoom(room: { id: string; kind: RoomKind; createdBy: string | null; createdAt: number }, members: string[]): Promise<boolean> {
    return this.tx(async (c) => {
      const ins = await c.query(
        `INSERT INTO rooms (id, kind, created_by, created_at, last_seq, last_active)
         VALUES ($1, $2, $3, $4, 0, $4) ON CONFLICT (id) DO NOTHING`,
        [room.id, room.kind, room.createdBy, room.createdAt],
      );
      if (ins.rowCount === 0) return false;
      if (members.length) {
        await c.query(
          `INSERT INTO members (room, uid, joined_at)
           SELECT $1, u, $3 FROM unnest($2::text[]) AS u ON CONFLICT DO NOTHING`,
          [room.id, [...new Set(members)], room.createdAt],
        );
      }
      if (this.webhooks.on) await this.webhooks.record(c, roomCreatedEvents(room, members, members.length ? await this.webhooks.userNames(c, members) : new Map()));
      return true;
    });
  }

  async getRoom(id: string): Promise<RoomRecord | null> {
    const [r] = await this.q<RoomRow>(`SELECT ${ROOM_COLS} FROM rooms WHERE id = $1`, [id]);
    return r ? toRoom(r) : null;
  }

  async listPublicRooms(limit: number): Promise<(RoomRecord & { members: number })[]> {
    const rows = await this.q<RoomRow & { members: number }>(
      `SELECT ${ROOM_COLS}, (SELECT count(*) FROM members m WHERE m.room = rooms.id) AS members
         FROM rooms WHERE kind = 'public' ORDER BY last_active DESC, id ASC LIMIT $1`,
      [lim(limit)],
    );
    return rows.map((r) => ({ ...toRoom(r), members: r.members }));
  }

  // ---- membership ----

  /** `general` is implicit: nothing is stored for it (returns false). */
  async addMember(room: string, uid: string): Promise<boolean> {
    this.check();
    if (room === GLOBAL_ROOM) return false;
    if (this.webhooks.on) return this.memberChange(room, uid, true);
    const r = await this.pool.query('INSERT INTO members (room, uid, joined_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [room, uid, Date.now()]);
    return (r.rowCount ?? 0) > 0;
  }

  async removeMember(room: string, uid: string): Promise<boolean> {
    this.check();
    if (room === GLOBAL_ROOM) return false;
    if (this.webhooks.on) return this.memberChange(room, uid, false);
    const r = await this.pool.query('DELETE FROM members WHERE room = $1 AND uid = $2', [room, uid]);
    return (r.rowCount ?? 0) > 0;
  }

  /** A membership change with its webhook event, in one transaction (while an endpoint is enabled). */
  private async memberChange(room: string, uid: string, join: boolean): Promise<boolean> {
    return this.tx(async (c) => {
      const r = join
        ? await c.query('INSERT INTO members (room, uid, joined_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [room, uid, Date.now()])
        : await c.query('DELETE FROM members WHERE room = $1 AND uid = $2', [room, uid]);
      if ((r.rowCount ?? 0) === 0) return false;
      const names = await this.webhooks.userNames(c, [uid]);
      await this.webhooks.record(c, [memberEvent(join ? 'member.joined' : 'member.left', room, uid, names.get(uid) ?? uid)]);
      return true;
    });
  }

  async isMember(room: string, uid: string): Promise<boolean> {
    this.check();
    if (room === GLOBAL_ROOM) return true;
    return (await this.q('SELECT 1 FROM members WHERE room = $1 AND uid = $2', [room, uid])).length > 0;
  }

  async listMembers(room: string, limit: number): Promise<{ members: UserRef[]; total: number }> {
    const rows = await this.q<{ id: string; name: string }>(
      `SELECT m.uid AS id, COALESCE(u.name, m.uid) AS name
         FROM members m LEFT JOIN users u ON u.id = m.uid
        WHERE m.room = $1 ORDER BY m.joined_at ASC, m.uid ASC LIMIT $2`,
      [room, lim(limit)],
    );
    const [{ n }] = await this.q<{ n: number }>('SELECT count(*) AS n FROM members WHERE room = $1', [room]);
    return { members: rows.map((r) => ({ id: r.id, name: r.name })), total: n };
  }

  async listUserRoomIds(uid: string): Promise<string[]> {
    const rows = await this.q<{ id: string }>(
      'SELECT id FROM rooms WHERE id = $2 UNION ALL SELECT room AS id FROM members WHERE uid = $1 AND room <> $2',
      [uid, GLOBAL_ROOM],
    );
    return rows.map((r) => r.id);
  }

  async listUserRooms(uid: string, opts?: { counts?: boolean }): Promise<UserRoom[]> {
    // general first (implicit membership), then the user's rooms, most recently active first; one round trip.
    // With counts ($3): unread and mentions after the read marker, each stopping at $4 (UNREAD_CAP).
    const rows = await this.q<RoomRow & { last_read: number; members: number; peer_id: string | null; peer_name: string | null; general: boolean; unread: number | null; mentions: number | null }>(
      `SELECT x.*,
              CASE WHEN $3::boolean AND x.last_seq > x.last_read THEN (SELECT count(*) FROM (
                SELECT 1 FROM messages mm WHERE mm.room = x.id AND mm.seq > x.last_read AND mm.uid <> $1 AND NOT mm.deleted LIMIT $4) c) END AS unread,
              CASE WHEN $3::boolean AND x.last_seq > x.last_read THEN (SELECT count(*) FROM (
                SELECT 1 FROM mentions mx JOIN messages mm ON mm.room = mx.room AND mm.seq = mx.seq
                 WHERE mx.uid IN ($1, '${MENTION_ALL_UID}') AND mx.room = x.id AND mx.seq > x.last_read AND mm.uid <> $1 AND NOT mm.deleted LIMIT $4) c) END AS mentions
         FROM (
         SELECT r.id, r.kind, r.created_by, r.created_at, r.last_seq, r.read_only, TRUE AS general,
                COALESCE((SELECT seq FROM read_markers WHERE uid = $1 AND room = r.id), 0) AS last_read,
                0::bigint AS members, NULL::text AS peer_id, NULL::text AS peer_name, r.last_active
           FROM rooms r WHERE r.id = $2
         UNION ALL
         SELECT r.id, r.kind, r.created_by, r.created_at, r.last_seq, r.read_only, FALSE AS general,
                COALESCE(rm.seq, 0) AS last_read,
                (SELECT count(*) FROM members c WHERE c.room = r.id) AS members,
                p.uid AS peer_id, p.name AS peer_name, r.last_active
           FROM members m
           JOIN rooms r ON r.id = m.room
           LEFT JOIN read_markers rm ON rm.uid = m.uid AND rm.room = m.room
           LEFT JOIN LATERAL (
             SELECT o.uid, COALESCE(u.name, o.uid) AS name
               FROM members o LEFT JOIN users u ON u.id = o.uid
              WHERE r.kind = 'dm' AND o.room = r.id AND o.uid <> $1
              ORDER BY o.joined_at ASC LIMIT 1
           ) p ON TRUE
          WHERE m.uid = $1 AND r.id <> $2
       ) x ORDER BY x.general DESC, x.last_active DESC, x.id ASC`,
      [uid, GLOBAL_ROOM, Boolean(opts?.counts), UNREAD_CAP],
    );
    const out: UserRoom[] = [];
    for (const r of rows) {
      const room: UserRoom = { ...toRoom(r), lastRead: r.last_read, members: r.members };
      if (opts?.counts) {
        room.unread = Number(r.unread ?? 0);
        room.mentions = Number(r.mentions ?? 0);
      }
      if (r.kind === 'dm') {
        const peer = r.peer_id ? { id: r.peer_id, name: r.peer_name ?? r.peer_id } : await this.peerFromId(r.id, uid);
        if (peer) room.peer = peer;
      }
      out.push(room);
    }
    return out;
  }

  /** The other member of a DM who left (or a DM with oneself): derived from the room id. */
  private async peerFromId(room: string, uid: string): Promise<UserRef | null> {
    const other = dmPeerId(room, uid);
    if (!other) return null;
    const [u] = await this.q<{ name: string }>('SELECT name FROM users WHERE id = $1', [other]);
    return { id: other, name: u?.name ?? other };
  }

  // ---- messages ----

  async append(batch: NewMessage[], policy: AppendPolicy = { editWindowMs: 0 }): Promise<AppendResult[]> {
    this.check();
    if (batch.length === 0) return [];
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.appendOnce(batch, policy);
      } catch (err) {
        const e = err as { code?: string; message?: string };
        if (e.code === 'P0002') throw new Error(e.message);
        if (attempt < 5 && retryable(err)) continue;
        throw err;
      }
    }
  }

  /**
   * 1. Finds which (uid, id) are already stored (no lock). 2. Writes the others with scalechat_insert_batch_bots:
   * one statement, in autocommit, that locks the rooms, numbers, inserts and commits (migration 2); or, when
   * one of them is a change or a reply, in a transaction that checks and applies them (appendChanges). A
   * concurrent duplicate slipping between 1 and 2 fails the unique index and the whole call is retried.
   */
  private async appendOnce(batch: NewMessage[], policy: AppendPolicy): Promise<AppendResult[]> {
    const uids: string[] = [];
    const ids: string[] = [];
    const seen = new Set<string>();
    for (const m of batch) {
      const k = key(m.uid, m.id);
      if (seen.has(k)) continue;
      seen.add(k);
      uids.push(m.uid);
      ids.push(m.id);
    }
    // Messages with these ids, and records of those tombstoned, edited or reset away: one statement, one
    // snapshot (a reset moves a message from one to the other atomically).
    const existing = new Map<string, OriginalRow>();
    for (const r of await this.q<OriginalRow>(
      `WITH k AS (SELECT * FROM unnest($1::text[], $2::text[]) AS k (uid, id))
       SELECT m.room, m.seq, m.id, m.uid, m."user", m.text, m.ts, m.deleted, m.reply_to, m.edited_at, m.v, m.change,
              r.text_hash, r.uid IS NOT NULL AS recorded
         FROM messages m LEFT JOIN removed_messages r ON r.uid = m.uid AND r.id = m.id
        WHERE (m.uid, m.id) IN (SELECT uid, id FROM k)
       UNION ALL
       SELECT r.room, r.seq, r.id, r.uid, NULL, NULL, r.ts, TRUE, NULL, NULL, NULL, NULL, r.text_hash, TRUE
         FROM removed_messages r
        WHERE (r.uid, r.id) IN (SELECT uid, id FROM k)
          AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.uid = r.uid AND m.id = r.id)`,
      [uids, ids],
    )) {
      existing.set(key(r.uid, r.id), r);
    }

    // Changes and replies are checked against their targets under the room locks: the transaction path.
    // So are sends with mentions (resolved against the members in the same transaction).
    if (batch.some((m) => (m.change !== undefined || m.replyTo !== undefined || m.mentionTokens?.length || m.mentionAll) && !existing.has(key(m.uid, m.id)))) {
      return this.appendChanges(batch, existing, policy);
    }

    // The first occurrence of each new (uid, id), in batch order.
    const fresh: NewMessage[] = [];
    const freshKeys = new Set<string>();
    for (const m of batch) {
      const k = key(m.uid, m.id);
      if (existing.has(k) || freshKeys.has(k)) continue;
      freshKeys.add(k);
      fresh.push(m);
    }
    const written = new Map<string, StoredMessage>();
    if (fresh.length) {
      // Bots' messages (API keys) carry their flag (migration 9: migration 2's function with one more column).
      const cols = [fresh.map((m) => m.room), fresh.map((m) => m.id), fresh.map((m) => m.uid), fresh.map((m) => m.user), fresh.map((m) => m.text), fresh.map((m) => m.ts), fresh.map((m) => Boolean(m.bot))];
      // While a webhook endpoint is enabled, the same statement (one transaction) writes their deliveries.
      const rows = this.webhooks.on
        ? await this.q<{ o_ord: number; o_seq: number }>(PostgresWebhooks.INSERT_BATCH_SQL, [...cols, ...this.webhooks.createdArgs(fresh)])
        : await this.q<{ o_ord: number; o_seq: number }>(INSERT_BATCH_SQL, cols);
      if (rows.length !== fresh.length) throw new Error(`append: ${rows.length} of ${fresh.length} messages numbered`);
      for (const r of rows) {
        const m = fresh[r.o_ord - 1];
        written.set(key(m.uid, m.id), { room: m.room, seq: r.o_seq, id: m.id, uid: m.uid, user: m.user, text: m.text, ts: m.ts, ...(m.bot ? { bot: true } : {}) });
      }
    }
    const results: AppendResult[] = [];
    const first = new Set<string>();
    const originals = new Map<string, Original>();
    for (const m of batch) {
      const k = key(m.uid, m.id);
      const rec = existing.get(k);
      if (rec) {
        let original = originals.get(k);
        if (!original) originals.set(k, (original = toOriginal(m, rec)));
        results.push({ message: original.message, duplicate: true, conflict: isConflict(original, m) });
        continue;
      }
      const message = written.get(k)!;
      const duplicate = first.has(k);
      results.push({ message, duplicate, conflict: duplicate && (message.room !== m.room || message.text !== m.text) });
      first.add(k);
    }
    return results;
  }

  /**
   * A batch with changes or replies (docs/protocol.md 6.15), as SQLite appends it: one transaction that locks
   * the batch's rooms in id order (like scalechat_insert_batch: two nodes never deadlock, a missing room
   * fails the whole batch), then, in batch order, reads each target (rows inserted earlier in this
   * transaction included), refuses what may not apply (../changes.ts: no seq used, nothing written), and
   * inserts the others, applying each change to its target in the same statement; last_seq and last_active
   * move at the end. The room locks are held across these round trips: only batches that carry a change or
   * a reply pay for it.
   */
  private async appendChanges(batch: NewMessage[], existing: ReadonlyMap<string, OriginalRow>, policy: AppendPolicy): Promise<AppendResult[]> {
    const roomIds = [...new Set(batch.filter((m) => !existing.has(key(m.uid, m.id))).map((m) => m.room))];
    return this.tx(async (c) => {
      const locked = await c.query<{ id: string; last_seq: number; last_active: number }>(
        'SELECT id, last_seq, last_active FROM rooms WHERE id = ANY ($1::text[]) ORDER BY id FOR UPDATE',
        [roomIds],
      );
      const rooms = new Map(locked.rows.map((r) => [r.id, { lastSeq: r.last_seq, lastActive: r.last_active, wrote: false }]));
      const missing = roomIds.find((id) => !rooms.has(id));
      if (missing !== undefined) throw new Error(`append: no such room "${missing}"`);

      const results: AppendResult[] = [];
      const seen = new Map<string, Original>();
      for (const m of batch) {
        const k = key(m.uid, m.id);
        let original = seen.get(k);
        const rec = original ? undefined : existing.get(k);
        if (rec) seen.set(k, (original = toOriginal(m, rec)));
        if (original) {
          results.push({ message: original.message, duplicate: true, conflict: isConflict(original, m) });
          continue;
        }
        const state = rooms.get(m.room)!;
        const c1 = m.change;
        const at = c1?.target ?? m.replyTo;
        if (at !== undefined) {
          // The distinct emoji only for a react turning one on (the only check that needs them).
          const emoji = c1?.kind === 'react' && c1.on ? c1.emoji : null;
          const target = Number.isSafeInteger(at)
            ? (
                await c.query<TargetRow>(
                  `SELECT uid, ts, deleted, change IS NOT NULL AS is_change,
                          CASE WHEN $3::text IS NULL THEN NULL ELSE (SELECT count(DISTINCT x.emoji) FROM reactions x WHERE x.room = $1 AND x.seq = $2) END AS n,
                          CASE WHEN $3::text IS NULL THEN NULL ELSE EXISTS (SELECT 1 FROM reactions x WHERE x.room = $1 AND x.seq = $2 AND x.emoji = $3) END AS has
                     FROM messages WHERE room = $1 AND seq = $2`,
                  [m.room, at, emoji],
                )
              ).rows[0]
            : undefined;
          const why = refusal(m, target ? { uid: target.uid, ts: target.ts, deleted: target.deleted, isChange: target.is_change } : null, policy, () => ({
            count: target?.n ?? 0,
            has: target?.has ?? false,
          }));
          if (why) {
            results.push({ message: { ...m, seq: 0 }, duplicate: false, conflict: false, refused: why });
            continue;
          }
        }
        const seq = state.lastSeq + 1;
        const message = changeEvent(m, seq);
        const row = [m.room, seq, m.id, m.uid, m.user, message.text, m.ts, message.deleted ?? false, m.replyTo ?? null, c1 ? JSON.stringify(c1) : null];
        if (!c1 && (m.mentionTokens?.length || m.mentionAll)) {
          if (m.mentionTokens?.length) {
            const keys = mentionKeys(m.mentionTokens);
            const found = (
              m.room === GLOBAL_ROOM
                ? await c.query<MentionCandidate>('SELECT id, name, name_key, account, created_at FROM users WHERE name_key = ANY ($1::text[])', [keys])
                : await c.query<MentionCandidate>(
                    'SELECT u.id, u.name, u.name_key, u.account, u.created_at FROM users u JOIN members mb ON mb.uid = u.id AND mb.room = $1 WHERE u.name_key = ANY ($2::text[])',
                    [m.room, keys],
                  )
            ).rows;
            const users = pickMentions(m.mentionTokens, found);
            if (users.length) message.mentions = users;
          }
          if (m.mentionAll) message.mentionAll = true;
          await c.query(MSG_INSERT_MENTIONS, [...row, mentionsColumn(message.mentions), Boolean(message.mentionAll)]);
          const uids = [...(message.mentions ?? []).map((u) => u.id), ...(message.mentionAll ? [MENTION_ALL_UID] : [])];
          if (uids.length) await c.query('INSERT INTO mentions (uid, room, seq) SELECT unnest($3::text[]), $1, $2 ON CONFLICT DO NOTHING', [m.room, seq, uids]);
        } else if (!c1) await c.query(MSG_INSERT, row);
        else if (c1.kind === 'edit') await c.query(APPLY.edit, [...row, c1.target, c1.text]);
        else if (c1.kind === 'remove') await c.query(APPLY.remove, [...row, c1.target]);
        else await c.query(c1.on ? APPLY.reactOn : APPLY.reactOff, [...row, c1.target, c1.emoji]);
        if (m.bot) await c.query('UPDATE messages SET bot = TRUE WHERE room = $1 AND seq = $2', [m.room, seq]);
        state.lastSeq = seq;
        if (m.ts > state.lastActive) state.lastActive = m.ts;
        state.wrote = true;
        seen.set(k, { message, hash: undefined });
        results.push({ message, duplicate: false, conflict: false });
      }
      const moved = [...rooms].filter(([, st]) => st.wrote);
      if (moved.length) {
        await c.query(
          `UPDATE rooms AS r SET last_seq = x.s, last_active = x.t
             FROM unnest($1::text[], $2::bigint[], $3::bigint[]) AS x (id, s, t) WHERE r.id = x.id`,
          [moved.map(([id]) => id), moved.map(([, st]) => st.lastSeq), moved.map(([, st]) => st.lastActive)],
        );
      }
      if (this.webhooks.on) await this.webhooks.record(c, messageEvents(results));
      return results;
    });
  }

  async history(room: string, q: HistoryQuery): Promise<StoredMessage[]> {
    const limit = lim(q.limit);
    this.check();
    if (limit === 0) return [];
    const hasAfter = q.after !== undefined && q.after !== null;
    const hasBefore = q.before !== undefined && q.before !== null;
    let rows: MessageRow[];
    if (hasAfter && hasBefore) {
      rows = await this.q<MessageRow>(`SELECT ${MSG_COLS} FROM messages WHERE room = $1 AND seq > $2 AND seq < $3 ORDER BY seq ASC LIMIT $4`, [room, q.after, q.before, limit]);
    } else if (hasAfter) {
      rows = await this.q<MessageRow>(`SELECT ${MSG_COLS} FROM messages WHERE room = $1 AND seq > $2 ORDER BY seq ASC LIMIT $3`, [room, q.after, limit]);
    } else {
      rows = (
        hasBefore
          ? await this.q<MessageRow>(`SELECT ${MSG_COLS} FROM messages WHERE room = $1 AND seq < $2 ORDER BY seq DESC LIMIT $3`, [room, q.before, limit])
          : await this.q<MessageRow>(`SELECT ${MSG_COLS} FROM messages WHERE room = $1 ORDER BY seq DESC LIMIT $2`, [room, limit])
      ).reverse();
    }
    const messages = rows.map(toMessage);
    // Reactions only when a message of the page was ever changed (most pages: no second query).
    if (!messages.some((m) => m.v !== undefined && !m.deleted)) return messages;
    const reactions = await this.q<ReactionRow>('SELECT seq, emoji, uid FROM reactions WHERE room = $1 AND seq BETWEEN $2 AND $3 ORDER BY ord', [
      room,
      messages[0].seq,
      messages[messages.length - 1].seq,
    ]);
    return withReactions(messages, reactions);
  }

  /**
   * As SQLite's search, in one statement: the generated `tsv` column and its GIN index (migration 6) find
   * the messages with every word as a prefix (`tsQuery`: words of letters and digits only, passed as a
   * parameter), in rooms the user is a member of now (general always); newest first with a keyset cursor
   * on (ts, room, seq), or best first by ts_rank with an offset cursor. Reactions of hits ever changed
   * (`v`): one more query for all of them.
   */
  async search(uid: string, q: SearchQuery): Promise<StoredMessage[]> {
    this.check();
    if (!q.words.length) return [];
    const p: unknown[] = [tsQuery(q.words), GLOBAL_ROOM, uid];
    const $ = (v: unknown): string => `$${p.push(v)}`;
    const where = ['m.tsv @@ query', '(m.room = $2 OR EXISTS (SELECT 1 FROM members mb WHERE mb.room = m.room AND mb.uid = $3))'];
    if (q.room !== undefined) where.push(`m.room = ${$(q.room)}`);
    if (q.fromName !== undefined) where.push(`lower(m."user") = lower(${$(q.fromName)}::text)`);
    if (q.before !== undefined) where.push(`m.ts < ${$(q.before)}`);
    if (q.after !== undefined) where.push(`m.ts > ${$(q.after)}`);
    let order: string;
    let offset = 0;
    if (q.order === 'best') {
      order = 'ORDER BY ts_rank(m.tsv, query) DESC, m.ts DESC, m.room ASC, m.seq DESC';
      if (q.cursor?.order === 'best') offset = q.cursor.offset;
    } else {
      order = 'ORDER BY m.ts DESC, m.room ASC, m.seq DESC';
      const c = q.cursor;
      if (c?.order === 'newest') {
        const [ts, room, seq] = [$(c.ts), $(c.room), $(c.seq)];
        where.push(`(m.ts < ${ts} OR (m.ts = ${ts} AND (m.room > ${room} OR (m.room = ${room} AND m.seq < ${seq}))))`);
      }
    }
    const rows = await this.q<MessageRow>(
      `SELECT ${MSG_COLS.split(', ').map((c) => `m.${c}`).join(', ')}
         FROM messages m, to_tsquery('simple', $1) AS query
        WHERE ${where.join(' AND ')} ${order} LIMIT ${$(lim(q.limit))} OFFSET ${$(offset)}`,
      p,
    );
    const out = rows.map(toMessage);
    const changed = out.filter((m) => m.v !== undefined && !m.deleted);
    if (!changed.length) return out;
    const reactions = await this.q<ReactionRow & { room: string }>(
      `SELECT x.room, x.seq, x.emoji, x.uid FROM reactions x
        WHERE (x.room, x.seq) IN (SELECT * FROM unnest($1::text[], $2::bigint[])) ORDER BY x.ord`,
      [changed.map((m) => m.room), changed.map((m) => m.seq)],
    );
    // withReactions matches by seq: one call per room of the hits.
    const byRoom = new Map<string, ReactionRow[]>();
    for (const r of reactions) {
      let list = byRoom.get(r.room);
      if (!list) byRoom.set(r.room, (list = []));
      list.push(r);
    }
    for (const [room, list] of byRoom) withReactions(changed.filter((m) => m.room === room), list);
    return out;
  }

  // ---- guest expiry ----

  async listStaleGuests(createdBefore: number, limit: number, after?: StaleGuest): Promise<StaleGuest[]> {
    const rows = await this.q<{ id: string; created_at: number }>(
      `SELECT id, created_at FROM users
        WHERE NOT account AND created_at < $1 AND (created_at, id) > ($2::bigint, $3::text)
          AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.uid = users.id)
          AND NOT EXISTS (SELECT 1 FROM removed_messages r WHERE r.uid = users.id)
        ORDER BY created_at ASC, id ASC LIMIT $4`,
      [createdBefore, after?.createdAt ?? Number.MIN_SAFE_INTEGER, after?.id ?? '', lim(limit)],
    );
    return rows.map((r) => ({ id: r.id, createdAt: r.created_at }));
  }

  async deleteGuests(uids: string[]): Promise<number> {
    this.check();
    if (uids.length === 0) return 0;
    // One statement: the re-check and the three deletes are atomic.
    const [r] = await this.q<{ n: number }>(
      `WITH d AS (
         DELETE FROM users WHERE id = ANY ($1::text[]) AND NOT account
            AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.uid = users.id)
            AND NOT EXISTS (SELECT 1 FROM removed_messages r WHERE r.uid = users.id)
         RETURNING id
       ), m AS (
         DELETE FROM members WHERE uid IN (SELECT id FROM d)
       ), r AS (
         DELETE FROM read_markers WHERE uid IN (SELECT id FROM d)
       )
       SELECT count(*) AS n FROM d`,
      [[...new Set(uids)]],
    );
    return r.n;
  }

  // ---- read markers ----

  async setReadMarker(uid: string, room: string, seq: number): Promise<number> {
    const [r] = await this.q<{ seq: number }>(
      `INSERT INTO read_markers (uid, room, seq) VALUES ($1, $2, $3)
       ON CONFLICT (uid, room) DO UPDATE SET seq = GREATEST(read_markers.seq, excluded.seq)
       RETURNING seq`,
      [uid, room, seq],
    );
    return r.seq;
  }

  // ---- settings ----

  async getSetting(key: string): Promise<string | null> {
    const [r] = await this.q<{ value: string }>('SELECT value FROM settings WHERE key = $1', [key]);
    return r?.value ?? null;
  }

  async setSetting(key: string, value: string): Promise<void> {
    await this.q('INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value', [key, value]);
  }
}
