/**
 * The administration half of the SQLite store (bans, audit log, tombstones, room reset/delete/read-only,
 * counts): prepared statements on the SqliteStore's database, called through SqliteStore's methods.
 */
import type Database from 'better-sqlite3';
import { GLOBAL_ROOM } from '../../protocol/rules.js';
import type { RoomKind } from '../../protocol/types.js';
import { textHash, type AuditEntry, type BanRecord, type RoomRecord } from './store.js';

interface RoomRow {
  id: string;
  kind: RoomKind;
  created_by: string | null;
  created_at: number;
  last_seq: number;
  read_only: number;
  members: number;
}
interface BanRow {
  name_key: string;
  name: string;
  reason: string;
  banned_by: string;
  created_at: number;
}
interface AuditRow {
  id: number;
  at: number;
  actor_id: string;
  actor: string;
  action: string;
  target: string;
  detail: string;
}

const toBan = (r: BanRow): BanRecord => ({ nameKey: r.name_key, name: r.name, reason: r.reason, by: r.banned_by, at: r.created_at });
const toAudit = (r: AuditRow): AuditEntry => ({ id: r.id, at: r.at, actorId: r.actor_id, actor: r.actor, action: r.action, target: r.target, detail: r.detail });
const lim = (n: number): number => (Number.isFinite(n) ? Math.max(0, Math.floor(n)) : 0);

export class SqliteAdmin {
  private readonly st;
  private readonly resetTx: Database.Transaction<(room: string) => { deleted: number; lastSeq: number } | null>;
  private readonly deleteTx: Database.Transaction<(room: string) => string[] | null>;
  private readonly tombstoneTx: Database.Transaction<(room: string, seq: number) => boolean>;

  constructor(db: Database.Database) {
    // The text fingerprint of idempotency records (the same as store.ts textHash).
    db.function('scalechat_sha256', { deterministic: true }, (text: unknown) => textHash(String(text)));
    this.st = {
      firstAccount: db.prepare<[], { id: string }>('SELECT id FROM users WHERE account = 1 ORDER BY created_at ASC, rowid ASC LIMIT 1'),
      listRooms: db.prepare<[number], RoomRow>(
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
      settingIfAbsent: db.prepare('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING'),
      getSetting: db.prepare<[string], { value: string }>('SELECT value FROM settings WHERE key = ?'),
    };
    const st = this.st;
    this.resetTx = db.transaction((room: string) => {
      const row = st.roomSeq.get(room);
      if (!row) return null;
      st.recordRemovedRoom.run(room);
      return { deleted: st.deleteMessages.run(room).changes, lastSeq: row.last_seq };
    });
    this.tombstoneTx = db.transaction((room: string, seq: number) => {
      st.recordRemoved.run(room, seq);
      return st.tombstone.run(room, seq).changes > 0;
    });
    this.deleteTx = db.transaction((room: string) => {
      if (!st.roomSeq.get(room)) return null;
      const members = st.roomMembers.all(room).map((r) => r.uid);
      st.deleteMarkers.run(room);
      st.deleteRoom.run(room); // members, messages and removed_messages go with it (ON DELETE CASCADE)
      return members;
    });
  }

  firstAccountId(): string | null {
    return this.st.firstAccount.get()?.id ?? null;
  }

  listRooms(limit: number): (RoomRecord & { members: number })[] {
    return this.st.listRooms.all(lim(limit)).map((r) => ({
      id: r.id,
      kind: r.kind,
      createdBy: r.created_by,
      createdAt: r.created_at,
      lastSeq: r.last_seq,
      readOnly: r.read_only === 1,
      members: r.members,
    }));
  }

  counts(): { rooms: number; messages: number } {
    return this.st.counts.get()!;
  }

  deleteMessage(room: string, seq: number): boolean {
    return this.tombstoneTx.immediate(room, seq);
  }

  /** Deletes the room's messages; last_seq stays, and their idempotency records are kept (removed_messages). */
  resetRoom(room: string): { deleted: number; lastSeq: number } | null {
    return this.resetTx.immediate(room);
  }

  deleteRoom(room: string): string[] | null {
    if (room === GLOBAL_ROOM) return null;
    return this.deleteTx.immediate(room);
  }

  setRoomReadOnly(room: string, readOnly: boolean): boolean {
    return this.st.setReadOnly.run(readOnly ? 1 : 0, room).changes > 0;
  }

  listReadOnlyRooms(): string[] {
    return this.st.readOnlyRooms.all().map((r) => r.id);
  }

  addBan(b: BanRecord): void {
    this.st.addBan.run({ name_key: b.nameKey, name: b.name, reason: b.reason, banned_by: b.by, created_at: b.at });
  }

  removeBan(nameKey: string): boolean {
    return this.st.removeBan.run(nameKey).changes > 0;
  }

  getBan(nameKey: string): BanRecord | null {
    const r = this.st.getBan.get(nameKey);
    return r ? toBan(r) : null;
  }

  listBans(limit: number): BanRecord[] {
    return this.st.listBans.all(lim(limit)).map(toBan);
  }

  addAudit(e: Omit<AuditEntry, 'id'>): number {
    const r = this.st.addAudit.run({ at: e.at, actor_id: e.actorId, actor: e.actor, action: e.action, target: e.target, detail: e.detail });
    return Number(r.lastInsertRowid);
  }

  listAudit(limit: number, before?: number): AuditEntry[] {
    return this.st.listAudit.all(before ?? Number.MAX_SAFE_INTEGER, lim(limit)).map(toAudit);
  }

  setSettingIfAbsent(key: string, value: string): string {
    this.st.settingIfAbsent.run(key, value);
    return this.st.getSetting.get(key)!.value;
  }
}
