import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { SqliteStore } from '../src/server/store/sqlite/store.js';
import { migrateSqlite, sqliteMigrations } from '../src/server/store/sqlite/migrations.js';
import { storeContract } from './store.contract.js';
import { sqliteStores } from './helpers/stores.js';

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'scale-chat-store-'));
}

// A nested path: the store creates missing parent directories.
storeContract('sqlite', sqliteStores({ file: path.join('data', 'chat.db') }));

describe('SqliteStore specifics', () => {
  it('runs migrations once and records the version in user_version', async () => {
    const dir = tempDir();
    try {
      const file = path.join(dir, 'chat.db');
      const s = new SqliteStore(file);
      await s.init();
      await s.init();
      await s.close();
      const db = new Database(file);
      try {
        const latest = sqliteMigrations[sqliteMigrations.length - 1].version;
        assert.equal(db.pragma('user_version', { simple: true }), latest);
        assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
        assert.deepEqual(migrateSqlite(db), [], 'nothing pending');
        const tables = db
          .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
          .all()
          .map((r) => (r as { name: string }).name);
        for (const t of ['members', 'messages', 'read_markers', 'rooms', 'settings', 'users']) assert.ok(tables.includes(t), t);
      } finally {
        db.close();
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a failing migration rolls back and leaves the version unchanged', () => {
    const db = new Database(':memory:');
    try {
      const ok = { version: 1, name: 'one', sql: 'CREATE TABLE a (x INTEGER);' };
      const bad = { version: 2, name: 'two', sql: 'CREATE TABLE b (x INTEGER); SELECT * FROM missing_table;' };
      assert.throws(() => migrateSqlite(db, [ok, bad]));
      assert.equal(db.pragma('user_version', { simple: true }), 1);
      const names = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[];
      assert.deepEqual(
        names.map((n) => n.name),
        ['a'],
      );
      assert.throws(() => migrateSqlite(db, []), /newer/, 'a database newer than the code is refused');
    } finally {
      db.close();
    }
  });

  it('after migration 3, messages stored before it keep their idempotency (old tombstones: any text is a resend)', async () => {
    const dir = tempDir();
    try {
      const file = path.join(dir, 'chat.db');
      const db = new Database(file);
      migrateSqlite(db, sqliteMigrations.filter((m) => m.version <= 2));
      db.exec(`INSERT INTO rooms (id, kind, created_at, last_seq, last_active) VALUES ('old', 'public', 0, 2, 0);
        INSERT INTO messages (room, seq, id, uid, user, text, ts, deleted) VALUES
          ('old', 1, 'm1', 'u1', 'U', 'héllo 👋', 11, 0), ('old', 2, 'm2', 'u1', 'U', '', 12, 1);`);
      db.close();
      const s = new SqliteStore(file);
      await s.init();
      try {
        const res = await s.append([
          { room: 'old', id: 'm1', uid: 'u1', user: 'U', text: 'héllo 👋', ts: 50 },
          { room: 'old', id: 'm2', uid: 'u1', user: 'U', text: 'whatever it said', ts: 51 },
          { room: 'old', id: 'm3', uid: 'u1', user: 'U', text: 'new', ts: 52 },
        ]);
        assert.deepEqual(
          res.map((r) => [r.message.seq, r.message.ts, r.duplicate, r.conflict]),
          [
            [1, 11, true, false],
            [2, 12, true, false],
            [3, 52, false, false],
          ],
        );
        const [other] = await s.append([{ room: 'old', id: 'm1', uid: 'u1', user: 'U', text: 'hello', ts: 1 }]);
        assert.equal(other.conflict, true);
      } finally {
        await s.close();
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('works in memory', async () => {
    const s = new SqliteStore(':memory:');
    await s.init();
    const [r] = await s.append([{ room: 'general', id: 'a', uid: 'u', user: 'U', text: 'hi', ts: 1 }]);
    assert.equal(r.message.seq, 1);
    await s.close();
    await assert.rejects(s.getRoom('general'), /closed/);
  });

  it('methods before init() fail clearly', async () => {
    const s = new SqliteStore(':memory:');
    await assert.rejects(s.getRoom('general'), /init/);
    await s.close();
  });
});
