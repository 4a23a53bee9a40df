/**
 * Versioned PostgreSQL schema migrations. Append new migrations at the end with the next version; never
 * edit one that has shipped. `schema_migrations` records what was applied. Every node of a cluster runs
 * `migratePostgres` at boot: a transaction-scoped advisory lock makes concurrent boots take turns, and each
 * migration commits together with its row in `schema_migrations`, so a crash leaves the old or the new schema.
 *
 * Identifiers are compared byte-wise (COLLATE "C") so ordering by id is the same as in SQLite whatever the
 * database's locale.
 */
import type pg from 'pg';

export interface PostgresMigration {
  version: number;
  name: string;
  sql: string;
}

export const postgresMigrations: readonly PostgresMigration[] = [
  {
    version: 1,
    name: 'initial schema',
    sql: `
      CREATE TABLE users (
        id            TEXT COLLATE "C" PRIMARY KEY,
        name          TEXT NOT NULL,
        name_key      TEXT COLLATE "C" NOT NULL,
        account       BOOLEAN NOT NULL DEFAULT FALSE,
        password_hash TEXT,
        created_at    BIGINT NOT NULL,
        -- insertion order: the tie-break among guests created in the same millisecond
        n             BIGINT GENERATED ALWAYS AS IDENTITY
      );
      -- Account names are unique; guests may share a key with each other (reserved only while online).
      CREATE UNIQUE INDEX users_account_name_key ON users (name_key) WHERE account;
      CREATE INDEX users_name_key ON users (name_key, created_at DESC, n DESC);

      CREATE TABLE rooms (
        id          TEXT COLLATE "C" PRIMARY KEY,
        kind        TEXT NOT NULL CHECK (kind IN ('global', 'public', 'private', 'dm')),
        created_by  TEXT COLLATE "C",
        created_at  BIGINT NOT NULL,
        -- the room's newest seq: assigned under this row's lock, so concurrent writers never clash
        last_seq    BIGINT NOT NULL DEFAULT 0,
        last_active BIGINT NOT NULL
      );
      CREATE INDEX rooms_kind_active ON rooms (kind, last_active DESC, id);

      CREATE TABLE members (
        room      TEXT COLLATE "C" NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
        uid       TEXT COLLATE "C" NOT NULL,
        joined_at BIGINT NOT NULL,
        PRIMARY KEY (room, uid)
      );
      CREATE INDEX members_uid ON members (uid);

      -- History pages are range scans of the primary key (room, seq): one index descent and a few
      -- leaf pages per page, whatever the table's size.
      CREATE TABLE messages (
        room   TEXT COLLATE "C" NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
        seq    BIGINT NOT NULL,
        id     TEXT COLLATE "C" NOT NULL,
        uid    TEXT COLLATE "C" NOT NULL,
        "user" TEXT NOT NULL,
        text   TEXT NOT NULL,
        ts     BIGINT NOT NULL,
        PRIMARY KEY (room, seq)
      );
      -- Idempotency: a client id is unique per author.
      CREATE UNIQUE INDEX messages_uid_id ON messages (uid, id);

      CREATE TABLE read_markers (
        uid  TEXT COLLATE "C" NOT NULL,
        room TEXT COLLATE "C" NOT NULL,
        seq  BIGINT NOT NULL,
        PRIMARY KEY (uid, room)
      );

      CREATE TABLE settings (
        key   TEXT COLLATE "C" PRIMARY KEY,
        value TEXT NOT NULL
      );
    `,
  },
  {
    version: 2,
    name: 'append in one statement: room locks held only inside the server',
    // Called once per group commit, in autocommit mode: the room rows are locked (in id order, so two
    // nodes' batches never deadlock), numbered from their committed last_seq, inserted and moved, and the
    // commit follows in the same round trip. No network round trip or client event-loop delay happens while
    // a room is locked, which is what other nodes writing the same room wait for.
    sql: `
      CREATE FUNCTION scalechat_insert_batch(
        p_room TEXT[], p_id TEXT[], p_uid TEXT[], p_user TEXT[], p_text TEXT[], p_ts BIGINT[]
      ) RETURNS TABLE (o_ord BIGINT, o_seq BIGINT)
      LANGUAGE plpgsql AS $fn$
      DECLARE
        v_rooms TEXT[];
        v_locked INTEGER;
        v_missing TEXT;
      BEGIN
        SELECT array_agg(DISTINCT r ORDER BY r) INTO v_rooms FROM unnest(p_room) AS r;
        SELECT count(*) INTO v_locked
          FROM (SELECT 1 FROM rooms WHERE rooms.id = ANY (v_rooms) ORDER BY rooms.id FOR UPDATE) AS l;
        IF v_locked <> coalesce(array_length(v_rooms, 1), 0) THEN
          SELECT r INTO v_missing FROM unnest(v_rooms) AS r
           WHERE NOT EXISTS (SELECT 1 FROM rooms WHERE rooms.id = r) LIMIT 1;
          RAISE EXCEPTION 'append: no such room "%"', v_missing USING ERRCODE = 'P0002';
        END IF;
        -- A new statement: its snapshot sees every commit that released these locks before we got them.
        RETURN QUERY
        WITH input AS (
          SELECT t.room, t.id, t.uid, t.usr, t.txt, t.ts, t.ord
            FROM unnest(p_room, p_id, p_uid, p_user, p_text, p_ts) WITH ORDINALITY AS t (room, id, uid, usr, txt, ts, ord)
        ), numbered AS (
          SELECT i.*, r.last_seq + row_number() OVER (PARTITION BY i.room ORDER BY i.ord) AS seq
            FROM input i JOIN rooms r ON r.id = i.room
        ), ins AS (
          INSERT INTO messages (room, seq, id, uid, "user", text, ts)
          SELECT n.room, n.seq, n.id, n.uid, n.usr, n.txt, n.ts FROM numbered n
        ), upd AS (
          UPDATE rooms AS r SET last_seq = x.s, last_active = GREATEST(r.last_active, x.t)
            FROM (SELECT n.room, max(n.seq) AS s, max(n.ts) AS t FROM numbered n GROUP BY n.room) AS x
           WHERE r.id = x.room
        )
        SELECT n.ord, n.seq FROM numbered n;
      END
      $fn$;
    `,
  },
  {
    version: 3,
    name: 'administration: tombstones, read-only rooms, bans, audit log',
    sql: `
      -- A deleted message keeps its row (and seq) with empty text: resume and gap filling stay contiguous.
      ALTER TABLE messages ADD COLUMN deleted BOOLEAN NOT NULL DEFAULT FALSE;
      ALTER TABLE rooms ADD COLUMN read_only BOOLEAN NOT NULL DEFAULT FALSE;

      CREATE TABLE bans (
        name_key   TEXT COLLATE "C" PRIMARY KEY,
        name       TEXT NOT NULL,
        reason     TEXT NOT NULL,
        banned_by  TEXT NOT NULL,
        created_at BIGINT NOT NULL
      );

      CREATE TABLE audit_log (
        id       BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        at       BIGINT NOT NULL,
        actor_id TEXT NOT NULL,
        actor    TEXT NOT NULL,
        action   TEXT NOT NULL,
        target   TEXT NOT NULL,
        detail   TEXT NOT NULL
      );
    `,
  },
  {
    version: 4,
    name: 'idempotency of messages deleted or reset by an administrator; guest expiry',
    sql: `
      -- The idempotency record of a message that left history as written: tombstoned (the row stays in
      -- messages with empty text) or deleted by a room reset. Keeps the original ack (room, seq, ts) and a
      -- SHA-256 of the original text, so a resend still gets its original ack and another text under the
      -- same id is still a conflict. Goes with the room (ON DELETE CASCADE). Messages in history need no
      -- record: messages(uid, id) is unique.
      CREATE TABLE removed_messages (
        uid       TEXT COLLATE "C" NOT NULL,
        id        TEXT COLLATE "C" NOT NULL,
        room      TEXT COLLATE "C" NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
        seq       BIGINT NOT NULL,
        ts        BIGINT NOT NULL,
        -- NULL when the text was already gone (a tombstone from before this migration): only the room is compared
        text_hash BYTEA,
        PRIMARY KEY (uid, id)
      );
      CREATE INDEX removed_messages_room ON removed_messages (room);

      -- Guest expiry scans guests by age.
      CREATE INDEX users_guests_created ON users (created_at, id) WHERE NOT account;
    `,
  },
  {
    version: 5,
    name: 'message changes: replies, edits, removals and reactions as room events',
    // The same schema as SQLite's migration 4 (docs/protocol.md 6.15). Appends that carry a change or a
    // reply run in a transaction of their own (./chat.ts), not in scalechat_insert_batch: the function of
    // migration 2 stays as it is, for the plain sends that are nearly all of the traffic.
    sql: `
      -- A reply's target seq; a message's last edit time and the seq of the last change applied to it;
      -- on a change event (a tombstone row with its own seq), the change as JSON. Nullable columns without
      -- a default: only the catalog changes, the table is not rewritten (no long lock on a big history).
      ALTER TABLE messages
        ADD COLUMN reply_to  BIGINT,
        ADD COLUMN edited_at BIGINT,
        ADD COLUMN v         BIGINT,
        ADD COLUMN change    TEXT;

      -- Who reacted with what to which message. The unique index also serves the reads by message (its
      -- (room, seq) prefix: the reactions of a history page, the distinct-emoji check) and the cascade when
      -- messages are deleted (a room reset or delete). ord keeps the order reactions came in (SQLite: rowid).
      CREATE TABLE reactions (
        room  TEXT COLLATE "C" NOT NULL,
        seq   BIGINT NOT NULL,
        emoji TEXT NOT NULL,
        uid   TEXT COLLATE "C" NOT NULL,
        ord   BIGINT GENERATED ALWAYS AS IDENTITY,
        UNIQUE (room, seq, emoji, uid),
        FOREIGN KEY (room, seq) REFERENCES messages (room, seq) ON DELETE CASCADE
      );
    `,
  },
  {
    version: 6,
    name: 'full-text search of messages',
    // The same contract as SQLite's migration 5 (docs/protocol.md 6.16), with PostgreSQL's own index.
    sql: `
      -- The words of a message as the search index sees them. Generated (STORED): PostgreSQL recomputes
      -- it on every write of the row, so it is always in step with sends, edits, removals (tombstones)
      -- and resets or room deletes (the row goes), with no trigger or side table to maintain. Only
      -- messages count: a tombstone or a change event has NULL, which never matches. 'simple': no
      -- stemming and no stop words, language-neutral (each word as written, lowercased), which is what
      -- prefix matching of any script wants. Accents are removed first (NFD, then the combining marks
      -- dropped), as SQLite's tokenizer (unicode61 remove_diacritics 2) and the query's own folding do
      -- (../search.ts fold): "École" is indexed as "ecole", and "ecole" or "école" find it. Case folding
      -- of non-ASCII letters follows the database's locale (a UTF-8 locale folds "ΑΒΓ"; the C locale
      -- only ASCII): docs/deploy.md asks for a UTF-8 locale. Punctuation outside ASCII (’ « » “ — …)
      -- becomes a space first: under some locales the parser takes it for a letter ("l’École" one word).
      -- Adding a stored generated column rewrites the table once, under its lock, at this migration.
      ALTER TABLE messages ADD COLUMN tsv tsvector
        GENERATED ALWAYS AS (CASE WHEN deleted OR change IS NOT NULL THEN NULL
          ELSE to_tsvector('simple', regexp_replace(regexp_replace(normalize(text, NFD),
            '[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]', '', 'g'),
            '[\u00a0-\u00bf\u2000-\u206f\u2e00-\u2e7f\u3000-\u303f]', ' ', 'g')) END) STORED;
      -- GIN serves @@ with prefix terms ('word:*'), the only kind search asks for (../search.ts tsQuery).
      CREATE INDEX messages_tsv ON messages USING GIN (tsv);
    `,
  },
  {
    version: 7,
    name: 'accounts: token generation',
    sql: `
      -- A session token carries its user's generation; bumping it (password change, sign out everywhere)
      -- makes every earlier token invalid.
      ALTER TABLE users ADD COLUMN token_gen INTEGER NOT NULL DEFAULT 0;
      -- A deleted account keeps its row (its name stays reserved, its messages keep their author id):
      -- deleted_at marks it (ms since epoch), its password_hash is cleared.
      ALTER TABLE users ADD COLUMN deleted_at BIGINT;
    `,
  },
  {
    version: 8,
    name: 'mentions',
    sql: `
      -- The users a message mentions, resolved at send time (JSON array of {id, name}), and @room.
      ALTER TABLE messages ADD COLUMN mentions TEXT;
      ALTER TABLE messages ADD COLUMN mention_all BOOLEAN NOT NULL DEFAULT false;
      -- The same, one row per mentioned user (uid '*' for @room), for the per-room mention counts: a
      -- range of (uid, room, seq) after the read marker. Goes with its message (reset, room deletion).
      CREATE TABLE mentions (
        uid  TEXT COLLATE "C" NOT NULL,
        room TEXT COLLATE "C" NOT NULL,
        seq  BIGINT NOT NULL,
        PRIMARY KEY (uid, room, seq),
        FOREIGN KEY (room, seq) REFERENCES messages (room, seq) ON DELETE CASCADE
      );
      CREATE INDEX mentions_message ON mentions (room, seq);
    `,
  },
  {
    version: 9,
    name: 'api keys and bot users',
    sql: `
      -- A bot user (made with an API key): an account row without a password. Its messages carry the flag
      -- (history, resume replay and search show it without a join). A constant default: no table rewrite.
      ALTER TABLE users ADD COLUMN bot BOOLEAN NOT NULL DEFAULT false;
      ALTER TABLE messages ADD COLUMN bot BOOLEAN NOT NULL DEFAULT false;
      -- API keys: sck_<id>_<secret>; only the SHA-256 of the secret is kept. One bot user per key.
      CREATE TABLE api_keys (
        id              TEXT COLLATE "C" PRIMARY KEY,
        name            TEXT NOT NULL,
        uid             TEXT COLLATE "C" NOT NULL UNIQUE REFERENCES users (id),
        secret_hash     BYTEA NOT NULL,
        scopes          TEXT NOT NULL,
        created_at      BIGINT NOT NULL,
        created_by      TEXT NOT NULL,
        created_by_name TEXT NOT NULL,
        last_used_at    BIGINT,
        revoked_at      BIGINT
      );
      CREATE INDEX api_keys_created ON api_keys (created_at);

      -- Migration 2's one-statement group commit with the bot flag per message: every batch of plain
      -- messages takes this fast path now (./chat.ts); scalechat_insert_batch stays for older servers.
      CREATE FUNCTION scalechat_insert_batch_bots(
        p_room TEXT[], p_id TEXT[], p_uid TEXT[], p_user TEXT[], p_text TEXT[], p_ts BIGINT[], p_bot BOOLEAN[]
      ) RETURNS TABLE (o_ord BIGINT, o_seq BIGINT)
      LANGUAGE plpgsql AS $fn$
      DECLARE
        v_rooms TEXT[];
        v_locked INTEGER;
        v_missing TEXT;
      BEGIN
        SELECT array_agg(DISTINCT r ORDER BY r) INTO v_rooms FROM unnest(p_room) AS r;
        SELECT count(*) INTO v_locked
          FROM (SELECT 1 FROM rooms WHERE rooms.id = ANY (v_rooms) ORDER BY rooms.id FOR UPDATE) AS l;
        IF v_locked <> coalesce(array_length(v_rooms, 1), 0) THEN
          SELECT r INTO v_missing FROM unnest(v_rooms) AS r
           WHERE NOT EXISTS (SELECT 1 FROM rooms WHERE rooms.id = r) LIMIT 1;
          RAISE EXCEPTION 'append: no such room "%"', v_missing USING ERRCODE = 'P0002';
        END IF;
        RETURN QUERY
        WITH input AS (
          SELECT t.room, t.id, t.uid, t.usr, t.txt, t.ts, t.bot, t.ord
            FROM unnest(p_room, p_id, p_uid, p_user, p_text, p_ts, p_bot) WITH ORDINALITY AS t (room, id, uid, usr, txt, ts, bot, ord)
        ), numbered AS (
          SELECT i.*, r.last_seq + row_number() OVER (PARTITION BY i.room ORDER BY i.ord) AS seq
            FROM input i JOIN rooms r ON r.id = i.room
        ), ins AS (
          INSERT INTO messages (room, seq, id, uid, "user", text, ts, bot)
          SELECT n.room, n.seq, n.id, n.uid, n.usr, n.txt, n.ts, n.bot FROM numbered n
        ), upd AS (
          UPDATE rooms AS r SET last_seq = x.s, last_active = GREATEST(r.last_active, x.t)
            FROM (SELECT n.room, max(n.seq) AS s, max(n.ts) AS t FROM numbered n GROUP BY n.room) AS x
           WHERE r.id = x.room
        )
        SELECT n.ord, n.seq FROM numbered n;
      END
      $fn$;
    `,
  },
  {
    version: 10,
    name: 'external identities (JWT sign-in)',
    sql: `
      -- The (issuer, subject) of an application's tokens -> the account it was provisioned as, for good.
      -- issuer '' for tokens without iss. The account row has no password (src/server/auth/jwt-accounts.ts).
      CREATE TABLE external_identities (
        issuer     TEXT COLLATE "C" NOT NULL,
        subject    TEXT COLLATE "C" NOT NULL,
        -- Deferred: the mapping row is written first in its transaction (two first sign-ins at once: the
        -- second waits on the first's row), its user row after it.
        uid        TEXT COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
        created_at BIGINT NOT NULL,
        PRIMARY KEY (issuer, subject)
      );
      CREATE INDEX external_identities_uid ON external_identities (uid);
    `,
  },
  {
    version: 11,
    name: 'outgoing webhooks: endpoints and the outbox of deliveries',
    sql: `
      -- Endpoints configured by administrators (src/server/store/webhooks.ts). events: ',a,b,' or '' (every type).
      CREATE TABLE webhook_endpoints (
        id          TEXT COLLATE "C" PRIMARY KEY,
        url         TEXT NOT NULL,
        description TEXT NOT NULL DEFAULT '',
        events      TEXT NOT NULL DEFAULT '',
        secret      TEXT NOT NULL,
        enabled     BOOLEAN NOT NULL DEFAULT true,
        created_at  BIGINT NOT NULL,
        created_by  TEXT
      );
      -- One row per (event, endpoint), written in the transaction of what the event describes.
      CREATE TABLE webhook_deliveries (
        id          BIGSERIAL PRIMARY KEY,
        endpoint    TEXT COLLATE "C" NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
        event_id    TEXT NOT NULL,
        type        TEXT NOT NULL,
        body        TEXT NOT NULL,
        created_at  BIGINT NOT NULL,
        state       TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'failed')),
        attempts    INTEGER NOT NULL DEFAULT 0,
        next_at     BIGINT,
        lease_until BIGINT NOT NULL DEFAULT 0,
        lease_owner TEXT,
        last_status INTEGER,
        last_error  TEXT,
        finished_at BIGINT
      );
      CREATE INDEX webhook_deliveries_due ON webhook_deliveries (endpoint, next_at) WHERE state = 'pending';
      CREATE INDEX webhook_deliveries_log ON webhook_deliveries (endpoint, id);
      CREATE INDEX webhook_deliveries_finished ON webhook_deliveries (finished_at) WHERE state <> 'pending';
    `,
  },
];

/** Arbitrary constant: the advisory lock that serializes migrations across nodes. */
const MIGRATION_LOCK = 0x5ca1e_c4a7;

/** Applies the pending migrations in order; returns the versions applied by this call. */
export async function migratePostgres(client: pg.ClientBase, migrations: readonly PostgresMigration[] = postgresMigrations): Promise<number[]> {
  const sorted = [...migrations].sort((a, b) => a.version - b.version);
  const latest = sorted.length ? sorted[sorted.length - 1].version : 0;
  const applied: number[] = [];
  // The lock comes first: concurrent CREATE TABLE IF NOT EXISTS is not safe in PostgreSQL (both sessions
  // may see no table and one fails on the catalog's unique index, `type "schema_migrations" already exists`).
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version    INTEGER PRIMARY KEY,
      name       TEXT NOT NULL,
      applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
    )`);
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  }
  for (const m of sorted) {
    await client.query('BEGIN');
    try {
      await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
      const { rows } = await client.query<{ v: number | null }>('SELECT max(version) AS v FROM schema_migrations');
      const current = rows[0].v ?? 0;
      if (current > latest) {
        throw new Error(`database schema version ${current} is newer than this server (${latest}): upgrade the server`);
      }
      if (m.version <= current) {
        await client.query('COMMIT');
        continue;
      }
      await client.query(m.sql);
      await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
      await client.query('COMMIT');
      applied.push(m.version);
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    }
  }
  if (sorted.length === 0) {
    const { rows } = await client.query<{ v: number | null }>('SELECT max(version) AS v FROM schema_migrations');
    if ((rows[0].v ?? 0) > 0) throw new Error(`database schema version ${rows[0].v} is newer than this server (0): upgrade the server`);
  }
  return applied;
}
