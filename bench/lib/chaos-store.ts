/**
 * The store's final contents after a chaos run: every message row, from the embedded node's SQLite
 * file (<data dir>/scale-chat.db, src/server/engines.ts) opened read-only once the server stopped,
 * or from the cluster's PostgreSQL database (the same `messages` columns) once the nodes stopped.
 */
import path from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import type { StoredMessage } from './chaos-history.js';

export function readStore(dataDir: string): StoredMessage[] {
  const db = new Database(path.join(dataDir, 'scale-chat.db'), { readonly: true, fileMustExist: true });
  try {
    return db.prepare('SELECT room, seq, id, uid, ts FROM messages ORDER BY room, seq').all() as StoredMessage[];
  } finally {
    db.close();
  }
}

/** seq and ts are BIGINT (node-postgres returns those as strings): cast to float8, exact for these values. */
export async function readPgStore(url: string): Promise<StoredMessage[]> {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000, statement_timeout: 60_000 });
  c.on('error', () => {});
  await c.connect();
  try {
    const r = await c.query<StoredMessage>('SELECT room, seq::float8 AS seq, id, uid, ts::float8 AS ts FROM messages ORDER BY room, seq');
    return r.rows;
  } finally {
    await c.end().catch(() => {});
  }
}
