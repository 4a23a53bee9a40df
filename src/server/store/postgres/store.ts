/**
 * The PostgreSQL Store: the pool and chat half (./chat.ts) plus administration (bans, audit log,
 * tombstones, room reset/delete/read-only, counts).
 */
import { GLOBAL_ROOM } from '../../../protocol/rules.js';
import { lim, toAudit, toBan, toListedRoom, type AuditRow, type BanRow, type RoomRow } from '../rows.js';
import type { ApiKeyRecord, AuditEntry, BanRecord, IdentityStore, RoomRecord, Store, UserRecord } from '../store.js';
import { API_KEY_COLS, scopesColumn, toApiKey, type ApiKeyRow } from '../api-key-rows.js';
import { StoreConflictError } from '../store.js';
import { PostgresChatStore } from './chat.js';
import { postgresIdentities } from './identities.js';
import { adminDeletedEvent } from '../webhook-events.js';
import type { ClaimedDelivery, DeliveryOutcome, DeliveryRow, WebhookPatch, WebhookRecord, WebhookWithCounts } from '../webhooks.js';

export type { PostgresStoreOptions } from './chat.js';

export class PostgresStore extends PostgresChatStore implements Store {
  // ---- rooms and messages ----

  async listRooms(limit: number): Promise<(RoomRecord & { members: number })[]> {
    const rows = await this.q<RoomRow & { members: number }>(
      `SELECT id, kind, created_by, created_at, last_seq, read_only,
              (SELECT count(*) FROM members m WHERE m.room = rooms.id) AS members
         FROM rooms WHERE kind <> 'dm' ORDER BY kind = 'global' DESC, last_active DESC, id ASC LIMIT $1`,
      [lim(limit)],
    );
    return rows.map(toListedRoom);
  }

  async counts(): Promise<{ rooms: number; messages: number }> {
    const [r] = await this.q<{ rooms: number; messages: string | number }>('SELECT count(*) AS rooms, COALESCE(sum(last_seq), 0) AS messages FROM rooms');
    return { rooms: r.rooms, messages: Number(r.messages) }; // sum(bigint) is numeric: parsed here
  }

  /** The idempotency record (from the row as it still is, hashed like ../idempotency.ts textHash), then the tombstone. */
  async deleteMessage(room: string, seq: number): Promise<boolean> {
    return this.tx(async (c) => {
      await c.query(
        `INSERT INTO removed_messages (uid, id, room, seq, ts, text_hash)
         SELECT uid, id, room, seq, ts, sha256(convert_to(text, 'UTF8')) FROM messages WHERE room = $1 AND seq = $2 AND NOT deleted
         ON CONFLICT (uid, id) DO NOTHING`,
        [room, seq],
      );
      const upd = await c.query("UPDATE messages SET text = '', deleted = TRUE WHERE room = $1 AND seq = $2", [room, seq]);
      if ((upd.rowCount ?? 0) > 0 && this.webhooks.on) await this.webhooks.record(c, [adminDeletedEvent(room, seq)]);
      return (upd.rowCount ?? 0) > 0;
    });
  }

  /**
   * Locks the room row (appends wait, so none lands half-way) and deletes its messages; last_seq stays, and
   * their idempotency records are kept (removed_messages): a resend still gets its original ack.
   */
  async resetRoom(room: string): Promise<{ deleted: number; lastSeq: number } | null> {
    return this.tx(async (c) => {
      const { rows } = await c.query<{ last_seq: number }>('SELECT last_seq FROM rooms WHERE id = $1 FOR UPDATE', [room]);
      if (!rows.length) return null;
      // Every message keeps its record (tombstones have theirs, or none when deleted before the records
      // existed: NULL hash, any text matches).
      await c.query(
        `INSERT INTO removed_messages (uid, id, room, seq, ts, text_hash)
         SELECT uid, id, room, seq, ts, CASE WHEN NOT deleted THEN sha256(convert_to(text, 'UTF8')) END FROM messages WHERE room = $1
         ON CONFLICT (uid, id) DO NOTHING`,
        [room],
      );
      const del = await c.query('DELETE FROM messages WHERE room = $1', [room]);
      return { deleted: del.rowCount ?? 0, lastSeq: rows[0].last_seq };
    });
  }

  async deleteRoom(room: string): Promise<string[] | null> {
    if (room === GLOBAL_ROOM) return null;
    return this.tx(async (c) => {
      const { rows } = await c.query('SELECT 1 FROM rooms WHERE id = $1 FOR UPDATE', [room]);
      if (!rows.length) return null;
      const members = (await c.query<{ uid: string }>('SELECT uid FROM members WHERE room = $1', [room])).rows.map((r) => r.uid);
      await c.query('DELETE FROM read_markers WHERE room = $1', [room]);
      await c.query('DELETE FROM rooms WHERE id = $1', [room]); // members, messages and removed_messages go with it (ON DELETE CASCADE)
      return members;
    });
  }

  async setRoomReadOnly(room: string, readOnly: boolean): Promise<boolean> {
    return (await this.q('UPDATE rooms SET read_only = $2 WHERE id = $1 RETURNING id', [room, readOnly])).length > 0;
  }

  async listReadOnlyRooms(): Promise<string[]> {
    return (await this.q<{ id: string }>('SELECT id FROM rooms WHERE read_only')).map((r) => r.id);
  }

  // ---- bans ----

  async addBan(b: BanRecord): Promise<void> {
    await this.q(
      `INSERT INTO bans (name_key, name, reason, banned_by, created_at) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (name_key) DO UPDATE SET name = excluded.name, reason = excluded.reason, banned_by = excluded.banned_by, created_at = excluded.created_at`,
      [b.nameKey, b.name, b.reason, b.by, b.at],
    );
  }

  async removeBan(nameKey: string): Promise<boolean> {
    return (await this.q('DELETE FROM bans WHERE name_key = $1 RETURNING name_key', [nameKey])).length > 0;
  }

  async getBan(nameKey: string): Promise<BanRecord | null> {
    const [r] = await this.q<BanRow>('SELECT * FROM bans WHERE name_key = $1', [nameKey]);
    return r ? toBan(r) : null;
  }

  async listBans(limit: number): Promise<BanRecord[]> {
    return (await this.q<BanRow>('SELECT * FROM bans ORDER BY created_at DESC, name_key ASC LIMIT $1', [lim(limit)])).map(toBan);
  }

  // ---- audit log ----

  async addAudit(e: Omit<AuditEntry, 'id'>): Promise<number> {
    const [r] = await this.q<{ id: number }>(
      'INSERT INTO audit_log (at, actor_id, actor, action, target, detail) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id',
      [e.at, e.actorId, e.actor, e.action, e.target, e.detail],
    );
    return r.id;
  }

  async listAudit(limit: number, before?: number): Promise<AuditEntry[]> {
    const rows = await this.q<AuditRow>('SELECT * FROM audit_log WHERE id < $1 ORDER BY id DESC LIMIT $2', [before ?? Number.MAX_SAFE_INTEGER, lim(limit)]);
    return rows.map(toAudit);
  }

  // ---- external identities (./identities.ts) ----

  private readonly ids: IdentityStore = postgresIdentities(
    (sql, params) => this.q(sql, params),
    (fn) => this.tx(fn),
  );

  findExternalUser(issuer: string, subject: string): Promise<UserRecord | null> {
    return this.ids.findExternalUser(issuer, subject);
  }

  createExternalUser(user: UserRecord, issuer: string, subject: string): Promise<UserRecord> {
    return this.ids.createExternalUser(user, issuer, subject);
  }

  // ---- API keys: a key and its bot user in one transaction (the bot's name unique like accounts') ----

  async createApiKey(key: ApiKeyRecord, bot: UserRecord): Promise<void> {
    try {
      await this.tx(async (c) => {
        await c.query('INSERT INTO users (id, name, name_key, account, password_hash, created_at, bot) VALUES ($1, $2, $3, TRUE, NULL, $4, TRUE)', [bot.id, bot.name, bot.nameKey, bot.createdAt]);
        await c.query(`INSERT INTO api_keys (${API_KEY_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL, NULL)`, [
          key.id,
          key.name,
          bot.id,
          key.secretHash,
          scopesColumn(key.scopes),
          key.createdAt,
          key.createdBy,
          key.createdByName,
        ]);
      });
    } catch (err) {
      const e = err as { code?: string; constraint?: string };
      if (e.code === '23505') throw new StoreConflictError(e.constraint === 'users_account_name_key' ? `an account named "${bot.name}" exists` : 'an API key or user with this id exists');
      throw err;
    }
  }

  async getApiKey(id: string): Promise<ApiKeyRecord | null> {
    const [r] = await this.q<ApiKeyRow>(`SELECT ${API_KEY_COLS} FROM api_keys WHERE id = $1`, [id]);
    return r ? toApiKey(r) : null;
  }

  async listApiKeys(limit: number): Promise<ApiKeyRecord[]> {
    return (await this.q<ApiKeyRow>(`SELECT ${API_KEY_COLS} FROM api_keys ORDER BY created_at DESC, id ASC LIMIT $1`, [lim(limit)])).map(toApiKey);
  }

  async revokeApiKey(id: string, at: number): Promise<ApiKeyRecord | null> {
    const [r] = await this.q<ApiKeyRow>(`UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $1) WHERE id = $2 RETURNING ${API_KEY_COLS}`, [at, id]);
    return r ? toApiKey(r) : null;
  }

  async touchApiKey(id: string, at: number): Promise<void> {
    await this.q('UPDATE api_keys SET last_used_at = $1 WHERE id = $2 AND (last_used_at IS NULL OR last_used_at < $1)', [at, id]);
  }

  // ---- webhooks (./webhooks.ts) ----

  get webhooksOn(): boolean {
    return this.webhooks.on;
  }

  async refreshWebhooks(): Promise<WebhookRecord[]> {
    return this.webhooks.refresh();
  }

  async createWebhook(w: WebhookRecord): Promise<void> {
    return this.webhooks.create(w);
  }

  async getWebhook(id: string): Promise<WebhookRecord | null> {
    return this.webhooks.get(id);
  }

  async listWebhooks(): Promise<WebhookWithCounts[]> {
    return this.webhooks.list();
  }

  async updateWebhook(id: string, patch: WebhookPatch): Promise<boolean> {
    return this.webhooks.update(id, patch);
  }

  async deleteWebhook(id: string): Promise<boolean> {
    return this.webhooks.remove(id);
  }

  async listDeliveries(endpoint: string, limit: number, before?: number): Promise<DeliveryRow[]> {
    return this.webhooks.deliveries(endpoint, limit, before);
  }

  async claimDeliveries(endpoint: string, owner: string, now: number, leaseMs: number, limit: number): Promise<ClaimedDelivery[]> {
    return this.webhooks.claim(endpoint, owner, now, leaseMs, limit);
  }

  async finishDelivery(id: number, owner: string, outcome: DeliveryOutcome): Promise<boolean> {
    return this.webhooks.finish(id, owner, outcome);
  }

  async pruneDeliveries(opts: { finishedBefore: number; keepFinished: number; maxPending: number; now: number; batch: number }): Promise<{ deleted: number; dropped: number }> {
    return this.webhooks.prune(opts);
  }

  async pendingDeliveries(): Promise<number> {
    return this.webhooks.pending();
  }
}
