/**
 * The embedded Store on SQLite: the database and chat half (./chat.ts) plus administration (bans, audit
 * log, tombstones, room reset/delete/read-only, counts), whose statements are prepared here at `init`.
 */
import type Database from 'better-sqlite3';
import { GLOBAL_ROOM } from '../../../protocol/rules.js';
import { textHash } from '../idempotency.js';
import { lim, toAudit, toBan, toListedRoom, type AuditRow, type BanRow, type RoomRow } from '../rows.js';
import type { ApiKeyRecord, AuditEntry, BanRecord, IdentityStore, RoomRecord, Store, UserRecord } from '../store.js';
import { sqliteApiKeys } from './api-keys.js';
import { SqliteChatStore } from './chat.js';
import { prepareIdentities } from './identities.js';
import { adminDeletedEvent } from '../webhook-events.js';
import type { ClaimedDelivery, DeliveryOutcome, DeliveryRow, WebhookPatch, WebhookRecord, WebhookWithCounts } from '../webhooks.js';

export type { SqliteStoreOptions } from './chat.js';

function prepareAdmin(db: Database.Database) {
  // The text fingerprint of idempotency records (the same as ../idempotency.ts textHash).
  db.function('scalechat_sha256', { deterministic: true }, (text: unknown) => textHash(String(text)));
  const st = {
    listRooms: db.prepare<[number], RoomRow & { members: number }>(
      `SELECT id, kind, created_by, created_at, last_seq, read_only,
              (SELECT COUNT(*) FROM members m WHERE m.room = rooms.id) AS members
         FROM rooms WHERE kind <> 'dm' ORDER BY kind = 'global' DESC, last_active DESC, id ASC LIMIT ?`,
    ),
    counts: db.prepare<[], { rooms: number; messages: number }>('SELECT COUNT(*) AS rooms, COALESCE(SUM(last_seq), 0) AS messages FROM rooms'),
    // The idempotency record first (from the row as it still is), then the tombstone.
    recordRemoved: db.prepare(
      `INSERT OR IGNORE INTO removed_messages (uid, id, room, seq, ts, text_hash)
       SELECT uid, id, room, seq, ts, scalechat_sha256(text) FROM messages WHERE room = ? AND seq = ? AND deleted = 0`,
    ),
    tombstone: db.prepare("UPDATE messages SET text = '', deleted = 1 WHERE room = ? AND seq = ?"),
    // Before a reset: every message of the room keeps its record (tombstones have theirs, or none when
    // deleted before the records existed: NULL hash, any text matches).
    recordRemovedRoom: db.prepare(
      `INSERT OR IGNORE INTO removed_messages (uid, id, room, seq, ts, text_hash)
       SELECT uid, id, room, seq, ts, CASE WHEN deleted = 0 THEN scalechat_sha256(text) END FROM messages WHERE room = ?`,
    ),
    roomSeq: db.prepare<[string], { last_seq: number }>('SELECT last_seq FROM rooms WHERE id = ?'),
    deleteMessages: db.prepare('DELETE FROM messages WHERE room = ?'),
    roomMembers: db.prepare<[string], { uid: string }>('SELECT uid FROM members WHERE room = ?'),
    deleteRoom: db.prepare('DELETE FROM rooms WHERE id = ?'),
    deleteMarkers: db.prepare('DELETE FROM read_markers WHERE room = ?'),
    setReadOnly: db.prepare('UPDATE rooms SET read_only = ? WHERE id = ?'),
    readOnlyRooms: db.prepare<[], { id: string }>('SELECT id FROM rooms WHERE read_only = 1'),
    addBan: db.prepare(
      `INSERT INTO bans (name_key, name, reason, banned_by, created_at) VALUES (@name_key, @name, @reason, @banned_by, @created_at)
       ON CONFLICT (name_key) DO UPDATE SET name = excluded.name, reason = excluded.reason, banned_by = excluded.banned_by, created_at = excluded.created_at`,
    ),
    removeBan: db.prepare('DELETE FROM bans WHERE name_key = ?'),
    getBan: db.prepare<[string], BanRow>('SELECT * FROM bans WHERE name_key = ?'),
    listBans: db.prepare<[number], BanRow>('SELECT * FROM bans ORDER BY created_at DESC, name_key ASC LIMIT ?'),
    addAudit: db.prepare(
      'INSERT INTO audit_log (at, actor_id, actor, action, target, detail) VALUES (@at, @actor_id, @actor, @action, @target, @detail)',
    ),
    listAudit: db.prepare<[number, number], AuditRow>('SELECT * FROM audit_log WHERE id < ? ORDER BY id DESC LIMIT ?'),
  };
  return {
    ...st,
    /** Deletes the room's messages; last_seq stays, and their idempotency records are kept (removed_messages). */
    resetTx: db.transaction((room: string): { deleted: number; lastSeq: number } | null => {
      const row = st.roomSeq.get(room);
      if (!row) return null;
      st.recordRemovedRoom.run(room);
      return { deleted: st.deleteMessages.run(room).changes, lastSeq: row.last_seq };
    }),
    tombstoneTx: db.transaction((room: string, seq: number, after?: () => void): boolean => {
      st.recordRemoved.run(room, seq);
      const done = st.tombstone.run(room, seq).changes > 0;
      if (done) after?.(); // its webhook event, in the same transaction
      return done;
    }),
    deleteTx: db.transaction((room: string): string[] | null => {
      if (!st.roomSeq.get(room)) return null;
      const members = st.roomMembers.all(room).map((r) => r.uid);
      st.deleteMarkers.run(room);
      st.deleteRoom.run(room); // members, messages and removed_messages go with it (ON DELETE CASCADE)
      return members;
    }),
  };
}

type AdminStatements = ReturnType<typeof prepareAdmin>;

export class SqliteStore extends SqliteChatStore implements Store {
  private adm: AdminStatements | null = null;

  override async init(): Promise<void> {
    await super.init();
    this.adm ??= prepareAdmin(this.db);
    this.ids ??= prepareIdentities(this.db);
  }

  override async close(): Promise<void> {
    this.adm = null;
    this.ids = null;
    await super.close();
  }

  /** The administration statements; throws when closed or not initialized. */
  private get a(): AdminStatements {
    this.check();
    return this.adm!;
  }

  // ---- rooms and messages ----

  async listRooms(limit: number): Promise<(RoomRecord & { members: number })[]> {
    return this.a.listRooms.all(lim(limit)).map(toListedRoom);
  }

  async counts(): Promise<{ rooms: number; messages: number }> {
    return this.a.counts.get()!;
  }

  async deleteMessage(room: string, seq: number): Promise<boolean> {
    return this.a.tombstoneTx.immediate(room, seq, this.webhooks.on ? () => this.webhooks.record([adminDeletedEvent(room, seq)]) : undefined);
  }

  async resetRoom(room: string): Promise<{ deleted: number; lastSeq: number } | null> {
    return this.a.resetTx.immediate(room);
  }

  async deleteRoom(room: string): Promise<string[] | null> {
    const a = this.a;
    if (room === GLOBAL_ROOM) return null;
    return a.deleteTx.immediate(room);
  }

  async setRoomReadOnly(room: string, readOnly: boolean): Promise<boolean> {
    return this.a.setReadOnly.run(readOnly ? 1 : 0, room).changes > 0;
  }

  async listReadOnlyRooms(): Promise<string[]> {
    return this.a.readOnlyRooms.all().map((r) => r.id);
  }

  // ---- bans ----

  async addBan(b: BanRecord): Promise<void> {
    this.a.addBan.run({ name_key: b.nameKey, name: b.name, reason: b.reason, banned_by: b.by, created_at: b.at });
  }

  async removeBan(nameKey: string): Promise<boolean> {
    return this.a.removeBan.run(nameKey).changes > 0;
  }

  async getBan(nameKey: string): Promise<BanRecord | null> {
    const r = this.a.getBan.get(nameKey);
    return r ? toBan(r) : null;
  }

  async listBans(limit: number): Promise<BanRecord[]> {
    return this.a.listBans.all(lim(limit)).map(toBan);
  }

  // ---- audit log ----

  async addAudit(e: Omit<AuditEntry, 'id'>): Promise<number> {
    const r = this.a.addAudit.run({ at: e.at, actor_id: e.actorId, actor: e.actor, action: e.action, target: e.target, detail: e.detail });
    return Number(r.lastInsertRowid);
  }

  async listAudit(limit: number, before?: number): Promise<AuditEntry[]> {
    return this.a.listAudit.all(before ?? Number.MAX_SAFE_INTEGER, lim(limit)).map(toAudit);
  }

  // ---- external identities (./identities.ts) ----

  private ids: IdentityStore | null = null;

  private get identities(): IdentityStore {
    this.check();
    return this.ids!;
  }

  findExternalUser(issuer: string, subject: string): Promise<UserRecord | null> {
    return this.identities.findExternalUser(issuer, subject);
  }

  createExternalUser(user: UserRecord, issuer: string, subject: string): Promise<UserRecord> {
    return this.identities.createExternalUser(user, issuer, subject);
  }

  // ---- API keys (./api-keys.ts) ----

  private apiKeys: ReturnType<typeof sqliteApiKeys> | null = null;
  private get keys(): ReturnType<typeof sqliteApiKeys> {
    this.check();
    return (this.apiKeys ??= sqliteApiKeys(this.db));
  }

  async createApiKey(key: ApiKeyRecord, bot: UserRecord): Promise<void> {
    this.keys.create(key, bot);
  }

  async getApiKey(id: string): Promise<ApiKeyRecord | null> {
    return this.keys.get(id);
  }

  async listApiKeys(limit: number): Promise<ApiKeyRecord[]> {
    return this.keys.list(limit);
  }

  async revokeApiKey(id: string, at: number): Promise<ApiKeyRecord | null> {
    return this.keys.revoke(id, at);
  }

  async touchApiKey(id: string, at: number): Promise<void> {
    this.keys.touch(id, at);
  }

  // ---- webhooks (./webhooks.ts) ----

  get webhooksOn(): boolean {
    return this.webhooks.on;
  }

  async refreshWebhooks(): Promise<WebhookRecord[]> {
    this.check();
    return this.webhooks.refresh();
  }

  async createWebhook(w: WebhookRecord): Promise<void> {
    this.check();
    this.webhooks.create(w);
  }

  async getWebhook(id: string): Promise<WebhookRecord | null> {
    this.check();
    return this.webhooks.get(id);
  }

  async listWebhooks(): Promise<WebhookWithCounts[]> {
    this.check();
    return this.webhooks.list();
  }

  async updateWebhook(id: string, patch: WebhookPatch): Promise<boolean> {
    this.check();
    return this.webhooks.update(id, patch);
  }

  async deleteWebhook(id: string): Promise<boolean> {
    this.check();
    return this.webhooks.remove(id);
  }

  async listDeliveries(endpoint: string, limit: number, before?: number): Promise<DeliveryRow[]> {
    this.check();
    return this.webhooks.deliveries(endpoint, limit, before);
  }

  async claimDeliveries(endpoint: string, owner: string, now: number, leaseMs: number, limit: number): Promise<ClaimedDelivery[]> {
    this.check();
    return this.webhooks.claim(endpoint, owner, now, leaseMs, limit);
  }

  async finishDelivery(id: number, owner: string, outcome: DeliveryOutcome): Promise<boolean> {
    this.check();
    return this.webhooks.finish(id, owner, outcome);
  }

  async pruneDeliveries(opts: { finishedBefore: number; keepFinished: number; maxPending: number; now: number; batch: number }): Promise<{ deleted: number; dropped: number }> {
    this.check();
    return this.webhooks.prune(opts);
  }

  async pendingDeliveries(): Promise<number> {
    this.check();
    return this.webhooks.pending();
  }
}
