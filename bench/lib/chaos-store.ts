/**
 * The store's final contents after a chaos run: every message row of the embedded node's SQLite
 * file (<data dir>/scale-chat.db, src/server/engines.ts), opened read-only once the server stopped.
 */
import path from 'node:path';
import Database from 'better-sqlite3';
import type { StoredMessage } from './chaos-history.js';

export function readStore(dataDir: string): StoredMessage[] {
  const db = new Database(path.join(dataDir, 'scale-chat.db'), { readonly: true, fileMustExist: true });
  try {
    return db.prepare('SELECT room, seq, id, uid, ts FROM messages ORDER BY room, seq').all() as StoredMessage[];
  } finally {
    db.close();
  }
}
