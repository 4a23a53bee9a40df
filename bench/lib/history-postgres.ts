/**
 * The PostgreSQL backend of the history benchmark: a disposable PostgreSQL cluster (test/helpers/postgres.ts:
 * initdb in a temp dir, fsync off), one database the server migrates (`serve --postgres-url`), filled while
 * the server is stopped by INSERT ... SELECT FROM generate_series in chunks (the foreign key trigger to the
 * room, which exists, skipped for the load with session_replication_role = replica), then VACUUM ANALYZE as
 * autovacuum would have done on a table that grew to this size. The cluster is killed and removed when
 * this process exits, however it exits (the helper itself only cleans up when asked).
 */
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { postgresMissing, startPostgres, type TestPostgres } from '../../test/helpers/postgres.js';
import { AUTHORS, FILL_CHUNK, firstTs, PAGE_KINDS, pageParams, pageSql, TEXT, TEXT_MIN, TEXT_SPREAD, TS_STEP_MS, type HistoryBackend, type PageKind } from './history-backend.js';

export { postgresMissing };

const INSERT = `
  INSERT INTO messages (room, seq, id, uid, "user", text, ts, deleted)
  SELECT $1, n, 'm' || lpad(n::text, 10, '0'), 'u' || lpad(to_hex(n % ${AUTHORS}), 16, '0'), 'user' || (n % ${AUTHORS}),
         substr($2, 1, ${TEXT_MIN} + (n % ${TEXT_SPREAD})::int), $3::bigint + n * ${TS_STEP_MS}, false
    FROM generate_series($4::bigint, $5::bigint) AS n`;

/** Kills the postmaster (its backends follow) and removes the cluster's dir if this process exits first. */
async function killOnExit(c: pg.Client): Promise<() => void> {
  const dataDir = (await c.query<{ data_directory: string }>('SHOW data_directory')).rows[0].data_directory;
  const pid = Number(readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  const hook = (): void => {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
    rmSync(path.dirname(dataDir), { recursive: true, force: true });
  };
  process.on('exit', hook);
  return () => process.off('exit', hook);
}

async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

export async function postgresBackend(): Promise<HistoryBackend> {
  const server: TestPostgres = await startPostgres();
  let unguard = (): void => {};
  try {
    const url = await server.createDatabase('history');
    unguard = await withClient(url, killOnExit);
    return {
      name: 'postgres',
      serverArgs: ['--postgres-url', url],
      fill: (room, messages, log) =>
        withClient(url, async (c) => {
          const started = performance.now();
          const have = Number((await c.query<{ n: string }>('SELECT count(*) AS n FROM messages WHERE room = $1', [room])).rows[0].n);
          if (have) throw new Error(`room ${room} already holds ${have} messages`);
          const t0 = firstTs(messages);
          // The room row exists: skip the per-row foreign key trigger of the bulk load (this session only).
          await c.query("SET session_replication_role = 'replica'");
          for (let from = 1; from <= messages; from += FILL_CHUNK) {
            const to = Math.min(messages, from + FILL_CHUNK - 1);
            await c.query(INSERT, [room, TEXT, t0, from, to]);
            log(`postgres: ${to.toLocaleString('en')} / ${messages.toLocaleString('en')} messages (${((performance.now() - started) / 1000).toFixed(0)} s)`);
          }
          await c.query("SET session_replication_role = 'origin'");
          const moved = await c.query('UPDATE rooms SET last_seq = $1, last_active = $2 WHERE id = $3', [messages, t0 + messages * TS_STEP_MS, room]);
          if (moved.rowCount !== 1) throw new Error(`no room ${room} to fill`);
          await c.query('VACUUM ANALYZE messages');
          await c.query('VACUUM ANALYZE rooms');
          await c.query('CHECKPOINT');
          const bytes = Number((await c.query<{ b: string }>("SELECT pg_total_relation_size('messages') AS b")).rows[0].b);
          return { seconds: (performance.now() - started) / 1000, bytes };
        }),
      plans: (room, seq, limit) =>
        withClient(url, async (c) => {
          const out = {} as Record<PageKind, string[]>;
          for (const kind of PAGE_KINDS) {
            const r = await c.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, BUFFERS) ${pageSql(kind, (i) => `$${i}`)}`, pageParams(kind, room, seq, limit));
            out[kind] = r.rows.map((row) => row['QUERY PLAN']);
          }
          return out;
        }),
      async close() {
        await server.cleanup();
        unguard();
      },
    };
  } catch (err) {
    await server.cleanup();
    unguard();
    throw err;
  }
}
