/**
 * Versioned SQLite schema migrations. Append new migrations at the end with the next version; never edit
 * one that has shipped. `PRAGMA user_version` records the last version applied; each migration runs in its
 * own transaction together with the `user_version` bump, so a crash leaves either the old or the new schema.
 */
import type Database from 'better-sqlite3';

export interface SqliteMigration {
  version: number;
  name: string;
  sql: string;
}

export const sqliteMigrations: readonly SqliteMigration[] = [
  {
    version: 1,
    name: 'initial schema',
    sql: `
      CREATE TABLE users (
        id            TEXT PRIMARY KEY,
        name          TEXT NOT NULL,
        name_key      TEXT NOT NULL,
        account       INTEGER NOT NULL DEFAULT 0,
        password_hash TEXT,
        created_at    INTEGER NOT NULL
      );
      -- Account names are unique; guests may share a key with each other (reserved only while online).
      CREATE UNIQUE INDEX users_account_name_key ON users(name_key) WHERE account = 1;
      CREATE INDEX users_name_key ON users(name_key, created_at);

      CREATE TABLE rooms (
        id          TEXT PRIMARY KEY,
        kind        TEXT NOT NULL CHECK (kind IN ('global', 'public', 'private', 'dm')),
        created_by  TEXT,
        created_at  INTEGER NOT NULL,
        last_seq    INTEGER NOT NULL DEFAULT 0,
        last_active INTEGER NOT NULL
      );
      CREATE INDEX rooms_kind_active ON rooms(kind, last_active);

      CREATE TABLE members (
        room      TEXT NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
        uid       TEXT NOT NULL,
        joined_at INTEGER NOT NULL,
        PRIMARY KEY (room, uid)
      ) WITHOUT ROWID;
      CREATE INDEX members_uid ON members(uid);

      CREATE TABLE messages (
        room TEXT NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
        seq  INTEGER NOT NULL,
        id   TEXT NOT NULL,
        uid  TEXT NOT NULL,
        user TEXT NOT NULL,
        text TEXT NOT NULL,
        ts   INTEGER NOT NULL,
        PRIMARY KEY (room, seq)
      ) WITHOUT ROWID;
      -- Idempotency: a client id is unique per author.
      CREATE UNIQUE INDEX messages_uid_id ON messages(uid, id);

      CREATE TABLE read_markers (
        uid  TEXT NOT NULL,
        room TEXT NOT NULL,
        seq  INTEGER NOT NULL,
        PRIMARY KEY (uid, room)
      ) WITHOUT ROWID;

      CREATE TABLE settings (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
      );
    `,
  },
  {
    version: 2,
    name: 'administration: tombstones, read-only rooms, bans, audit log',
    sql: `
      -- A deleted message keeps its row (and seq) with empty text: resume and gap filling stay contiguous.
      ALTER TABLE messages ADD COLUMN deleted INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE rooms ADD COLUMN read_only INTEGER NOT NULL DEFAULT 0;

      CREATE TABLE bans (
        name_key   TEXT PRIMARY KEY,
        name       TEXT NOT NULL,
        reason     TEXT NOT NULL,
        banned_by  TEXT NOT NULL,
        created_at INTEGER NOT NULL
      );

      CREATE TABLE audit_log (
        id       INTEGER PRIMARY KEY AUTOINCREMENT,
        at       INTEGER NOT NULL,
        actor_id TEXT NOT NULL,
        actor    TEXT NOT NULL,
        action   TEXT NOT NULL,
        target   TEXT NOT NULL,
        detail   TEXT NOT NULL
      );
    `,
  },
  {
    version: 3,
    name: 'idempotency of messages deleted or reset by an administrator; guest expiry',
    sql: `
      -- The idempotency record of a message that left history as written: tombstoned (the row stays in
      -- messages with empty text) or deleted by a room reset. Keeps the original ack (room, seq, ts) and a
      -- SHA-256 of the original text, so a resend still gets its original ack and another text under the
      -- same id is still a conflict. Goes with the room (ON DELETE CASCADE). Messages in history need no
      -- record: messages(uid, id) is unique.
      CREATE TABLE removed_messages (
        uid       TEXT NOT NULL,
        id        TEXT NOT NULL,
        room      TEXT NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
        seq       INTEGER NOT NULL,
        ts        INTEGER NOT NULL,
        -- NULL when the text was already gone (a tombstone from before this migration): only the room is compared
        text_hash BLOB,
        PRIMARY KEY (uid, id)
      ) WITHOUT ROWID;
      CREATE INDEX removed_messages_room ON removed_messages(room);

      -- Guest expiry scans guests by age.
      CREATE INDEX users_guests_created ON users(created_at, id) WHERE account = 0;
    `,
  },
  {
    version: 4,
    name: 'message changes: replies, edits, removals and reactions as room events',
    sql: `
      -- A reply's target seq; a message's last edit time and the seq of the last change applied to it;
      -- on a change event (a tombstone row with its own seq), the change as JSON (docs/protocol.md 6.15).
      ALTER TABLE messages ADD COLUMN reply_to INTEGER;
      ALTER TABLE messages ADD COLUMN edited_at INTEGER;
      ALTER TABLE messages ADD COLUMN v INTEGER;
      ALTER TABLE messages ADD COLUMN change TEXT;

      -- Who reacted with what to which message; a row's rowid keeps the order reactions came in.
      CREATE TABLE reactions (
        room  TEXT NOT NULL,
        seq   INTEGER NOT NULL,
        emoji TEXT NOT NULL,
        uid   TEXT NOT NULL,
        UNIQUE (room, seq, emoji, uid),
        FOREIGN KEY (room, seq) REFERENCES messages(room, seq) ON DELETE CASCADE
      );
    `,
  },
  {
    version: 5,
    name: 'full-text search of messages',
    sql: `
      -- FTS5 wants integer rowids and messages has none (WITHOUT ROWID): search_map gives each searchable
      -- message one. The index is contentless (the text is not stored twice) with contentless_delete, so a
      -- row can be dropped by rowid when its message is edited, removed or reset away. Only messages count:
      -- not tombstones, not change events. The triggers keep it in step with every write to messages.
      CREATE TABLE search_map (
        id   INTEGER PRIMARY KEY,
        room TEXT NOT NULL,
        seq  INTEGER NOT NULL,
        UNIQUE (room, seq)
      );
      CREATE VIRTUAL TABLE messages_fts USING fts5(text, content = '', contentless_delete = 1, tokenize = 'unicode61 remove_diacritics 2');

      CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages WHEN NEW.deleted = 0 AND NEW.change IS NULL BEGIN
        INSERT INTO search_map (room, seq) VALUES (NEW.room, NEW.seq);
        INSERT INTO messages_fts (rowid, text) VALUES (last_insert_rowid(), NEW.text);
      END;
      CREATE TRIGGER messages_fts_update AFTER UPDATE OF text, deleted ON messages BEGIN
        DELETE FROM messages_fts WHERE rowid = (SELECT id FROM search_map WHERE room = OLD.room AND seq = OLD.seq);
        INSERT INTO messages_fts (rowid, text)
          SELECT id, NEW.text FROM search_map WHERE room = NEW.room AND seq = NEW.seq AND NEW.deleted = 0;
        DELETE FROM search_map WHERE room = NEW.room AND seq = NEW.seq AND NEW.deleted = 1;
      END;
      CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
        DELETE FROM messages_fts WHERE rowid = (SELECT id FROM search_map WHERE room = OLD.room AND seq = OLD.seq);
        DELETE FROM search_map WHERE room = OLD.room AND seq = OLD.seq;
      END;

      -- The messages stored before this version.
      INSERT INTO search_map (room, seq) SELECT room, seq FROM messages WHERE deleted = 0 AND change IS NULL ORDER BY room, seq;
      INSERT INTO messages_fts (rowid, text) SELECT x.id, m.text FROM search_map x JOIN messages m ON m.room = x.room AND m.seq = x.seq;
    `,
  },
  {
    version: 6,
    name: 'accounts: token generation',
    sql: `
      -- A session token carries its user's generation; bumping it (password change, sign out everywhere)
      -- makes every earlier token invalid.
      ALTER TABLE users ADD COLUMN token_gen INTEGER NOT NULL DEFAULT 0;
      -- A deleted account keeps its row (its name stays reserved, its messages keep their author id):
      -- deleted_at marks it (ms since epoch), its password_hash is cleared.
      ALTER TABLE users ADD COLUMN deleted_at INTEGER;
    `,
  },
  {
    version: 7,
    name: 'mentions',
    sql: `
      -- The users a message mentions, resolved at send time (JSON array of {id, name}), and @room.
      ALTER TABLE messages ADD COLUMN mentions TEXT;
      ALTER TABLE messages ADD COLUMN mention_all INTEGER NOT NULL DEFAULT 0;
      -- The same, one row per mentioned user (uid '*' for @room), for the per-room mention counts: a
      -- range of (uid, room, seq) after the read marker. Goes with its message (reset, room deletion).
      CREATE TABLE mentions (
        uid  TEXT NOT NULL,
        room TEXT NOT NULL,
        seq  INTEGER NOT NULL,
        PRIMARY KEY (uid, room, seq),
        FOREIGN KEY (room, seq) REFERENCES messages(room, seq) ON DELETE CASCADE
      ) WITHOUT ROWID;
      CREATE INDEX mentions_message ON mentions(room, seq);
    `,
  },
  {
    version: 8,
    name: 'api keys and bot users',
    sql: `
      -- A bot user (made with an API key): an account row without a password. Its messages carry the flag
      -- (history, resume replay and search show it without a join).
      ALTER TABLE users ADD COLUMN bot INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE messages ADD COLUMN bot INTEGER NOT NULL DEFAULT 0;
      -- API keys: sck_<id>_<secret>; only the SHA-256 of the secret is kept. One bot user per key.
      CREATE TABLE api_keys (
        id              TEXT PRIMARY KEY,
        name            TEXT NOT NULL,
        uid             TEXT NOT NULL UNIQUE REFERENCES users(id),
        secret_hash     BLOB NOT NULL,
        scopes          TEXT NOT NULL,
        created_at      INTEGER NOT NULL,
        created_by      TEXT NOT NULL,
        created_by_name TEXT NOT NULL,
        last_used_at    INTEGER,
        revoked_at      INTEGER
      );
      CREATE INDEX api_keys_created ON api_keys(created_at);
    `,
  },
  {
    version: 9,
    name: 'external identities (JWT sign-in)',
    sql: `
      -- The (issuer, subject) of an application's tokens -> the account it was provisioned as, for good.
      -- issuer '' for tokens without iss. The account row has no password (src/server/auth/jwt-accounts.ts).
      CREATE TABLE external_identities (
        issuer     TEXT NOT NULL,
        subject    TEXT NOT NULL,
        uid        TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (issuer, subject)
      ) WITHOUT ROWID;
      CREATE INDEX external_identities_uid ON external_identities(uid);
    `,
  },
  {
    version: 10,
    name: 'outgoing webhooks: endpoints and the outbox of deliveries',
    sql: `
      -- Endpoints configured by administrators (src/server/store/webhooks.ts). events: ',a,b,' or '' (every type).
      CREATE TABLE webhook_endpoints (
        id          TEXT PRIMARY KEY,
        url         TEXT NOT NULL,
        description TEXT NOT NULL DEFAULT '',
        events      TEXT NOT NULL DEFAULT '',
        secret      TEXT NOT NULL,
        enabled     INTEGER NOT NULL DEFAULT 1,
        created_at  INTEGER NOT NULL,
        created_by  TEXT
      );
      -- One row per (event, endpoint), written in the transaction of what the event describes.
      CREATE TABLE webhook_deliveries (
        id          INTEGER PRIMARY KEY,
        endpoint    TEXT NOT NULL REFERENCES webhook_endpoints(id) ON DELETE CASCADE,
        event_id    TEXT NOT NULL,
        type        TEXT NOT NULL,
        body        TEXT NOT NULL,
        created_at  INTEGER NOT NULL,
        state       TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'failed')),
        attempts    INTEGER NOT NULL DEFAULT 0,
        next_at     INTEGER,
        lease_until INTEGER NOT NULL DEFAULT 0,
        lease_owner TEXT,
        last_status INTEGER,
        last_error  TEXT,
        finished_at INTEGER
      );
      CREATE INDEX webhook_deliveries_due ON webhook_deliveries(endpoint, next_at) WHERE state = 'pending';
      CREATE INDEX webhook_deliveries_log ON webhook_deliveries(endpoint, id);
      CREATE INDEX webhook_deliveries_finished ON webhook_deliveries(finished_at) WHERE state <> 'pending';
    `,
  },
];

/** Applies the pending migrations in order; returns the versions applied. */
export function migrateSqlite(db: Database.Database, migrations: readonly SqliteMigration[] = sqliteMigrations): number[] {
  const applied: number[] = [];
  let current = db.pragma('user_version', { simple: true }) as number;
  const sorted = [...migrations].sort((a, b) => a.version - b.version);
  const latest = sorted.length ? sorted[sorted.length - 1].version : 0;
  if (current > latest) {
    throw new Error(`database schema version ${current} is newer than this server (${latest}): upgrade the server`);
  }
  for (const m of sorted) {
    if (m.version <= current) continue;
    const ran = db.transaction((): boolean => {
      // Re-read under the write lock: another process may have migrated meanwhile.
      if ((db.pragma('user_version', { simple: true }) as number) >= m.version) return false;
      db.exec(m.sql);
      // user_version lives in the database header: written as part of this transaction.
      db.pragma(`user_version = ${Math.trunc(m.version)}`);
      return true;
    }).immediate();
    current = m.version;
    if (ran) applied.push(m.version);
  }
  return applied;
}
