/**
 * The search process (see searcher.ts): its own read-only connection to the database file, one query at
 * a time. Full-text queries over a large history can take a second; here they never stall the event loop
 * that serves every connection. A process rather than a thread: a query runs inside SQLite's C code,
 * which a worker thread's terminate() cannot interrupt, while a process can always be killed.
 */
import Database from 'better-sqlite3';

const file = process.argv[2];
const db = new Database(file, { readonly: true, fileMustExist: true });
db.pragma('busy_timeout = 5000');
// The statements differ by which filters a query has: a few dozen shapes at most.
const statements = new Map<string, Database.Statement>();

process.on('message', (m: { n: number; sql: string; params: Record<string, unknown> }) => {
  try {
    let st = statements.get(m.sql);
    if (!st) {
      if (statements.size >= 256) statements.clear();
      statements.set(m.sql, (st = db.prepare(m.sql)));
    }
    process.send!({ n: m.n, rows: st.all(m.params) });
  } catch (err) {
    process.send!({ n: m.n, error: (err as Error).message });
  }
});
// The server went away (or closed the store): so does this process.
process.on('disconnect', () => process.exit(0));
