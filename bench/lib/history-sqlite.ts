/**
 * The SQLite backend of the history benchmark: the server's own database file in its data dir
 * (scale-chat.db, schema from the server's migrations), filled while the server is stopped by a
 * recursive CTE per chunk, all chunks in one transaction (rollback journal and synchronous=OFF for the
 * load, WAL again afterwards as the server runs it). No ANALYZE: the server never runs one.
 */
import Database from 'better-sqlite3';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { AUTHORS, FILL_CHUNK, firstTs, PAGE_KINDS, pageParams, pageSql, TEXT, TEXT_MIN, TEXT_SPREAD, TS_STEP_MS, type HistoryBackend, type PageKind } from './history-backend.js';

/** The server's database file in `dataDir` (src/server/engines.ts). */
export function sqliteFile(dataDir: string): string {
  return path.join(dataDir, 'scale-chat.db');
}

const INSERT = `
  WITH RECURSIVE g(n) AS (SELECT @from UNION ALL SELECT n + 1 FROM g WHERE n < @to)
  INSERT INTO messages (room, seq, id, uid, "user", text, ts, deleted)
  SELECT @room, n, printf('m%010d', n), printf('u%016x', n % ${AUTHORS}), 'user' || (n % ${AUTHORS}),
         substr(@text, 1, ${TEXT_MIN} + n % ${TEXT_SPREAD}), @t0 + n * ${TS_STEP_MS}, 0
    FROM g`;

export function sqliteBackend(dataDir: string): HistoryBackend {
  const file = sqliteFile(dataDir);
  const open = (): Database.Database => {
    if (!existsSync(file)) throw new Error(`no SQLite database at ${file}: the server has not migrated this data dir`);
    return new Database(file);
  };
  return {
    name: 'sqlite',
    serverArgs: [],
    async fill(room, messages, log) {
      const started = performance.now();
      const db = open();
      try {
        db.pragma('journal_mode = DELETE');
        db.pragma('synchronous = OFF');
        db.pragma('cache_size = -262144'); // 256 MiB
        const have = db.prepare<[string], { n: number }>('SELECT count(*) AS n FROM messages WHERE room = ?').get(room)!.n;
        if (have) throw new Error(`room ${room} already holds ${have} messages`);
        const insert = db.prepare(INSERT);
        const t0 = firstTs(messages);
        db.transaction(() => {
          for (let from = 1; from <= messages; from += FILL_CHUNK) {
            const to = Math.min(messages, from + FILL_CHUNK - 1);
            insert.run({ from, to, room, text: TEXT, t0 });
            log(`sqlite: ${to.toLocaleString('en')} / ${messages.toLocaleString('en')} messages (${((performance.now() - started) / 1000).toFixed(0)} s)`);
          }
          const moved = db.prepare('UPDATE rooms SET last_seq = ?, last_active = ? WHERE id = ?').run(messages, t0 + messages * TS_STEP_MS, room);
          if (moved.changes !== 1) throw new Error(`no room ${room} to fill`);
        })();
        db.pragma('journal_mode = WAL');
      } finally {
        db.close();
      }
      return { seconds: (performance.now() - started) / 1000, bytes: statSync(file).size };
    },
    async plans(room, seq, limit) {
      const db = open();
      try {
        const out = {} as Record<PageKind, string[]>;
        for (const kind of PAGE_KINDS) {
          const rows = db.prepare(`EXPLAIN QUERY PLAN ${pageSql(kind, () => '?')}`).all(...pageParams(kind, room, seq, limit)) as { detail: string }[];
          out[kind] = rows.map((r) => r.detail);
        }
        return out;
      } finally {
        db.close();
      }
    },
    async close() {},
  };
}
