/**
 * The two stores of the search benchmark (bench/search.ts), on top of the history benchmark's backends
 * (./history-sqlite.ts: the server's database file in its data dir; ./history-postgres.ts: a disposable
 * PostgreSQL cluster, killed with this process, and the `serve --postgres-url` flags). Each is filled
 * while the server is stopped, in SQL, as history fills its room (../history.ts), the texts built by the
 * word picks of ./search-workload.ts from two temp tables (the Zipf bucket -> word table, and the word
 * positions 1..20): SQLite, one INSERT ... SELECT per chunk of 1M messages over a recursive CTE with a
 * subquery per message putting its words together, all in one transaction (rollback journal and
 * synchronous=OFF for the load, WAL again after); PostgreSQL, one INSERT ... SELECT per 250,000 messages
 * over generate_series, one row per word joined to the word table and aggregated per message (a subquery
 * per message is several times slower there), the foreign key trigger to rooms skipped with
 * session_replication_role = replica, then VACUUM ANALYZE. The search index fills itself as the
 * server's schema keeps it: SQLite's FTS5 triggers fire on each inserted row, PostgreSQL computes the
 * generated tsvector column and its GIN index on insert.
 *
 * `counts` counts every search's matches straight from the texts (./search-workload.ts countSql), the
 * expected answer of each reply. `plans` runs the server's own store in this process (src/server/store,
 * the same code `serve` runs), records the search statement it sends (SQL and parameters) and shows its
 * query plan (SQLite: EXPLAIN QUERY PLAN; PostgreSQL: EXPLAIN (ANALYZE, BUFFERS)), with the median time
 * of the store's `search` call alone over a few calls.
 */
import Database from 'better-sqlite3';
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { searchWords } from '../../src/server/store/search.js';
import { PostgresStore } from '../../src/server/store/postgres/store.js';
import { SqliteStore } from '../../src/server/store/sqlite/store.js';
import type { SearchQuery } from '../../src/server/store/store.js';
import { FILL_CHUNK, type BackendName, type FillStats } from './history-backend.js';
import { postgresBackend } from './history-postgres.js';
import { sqliteFile } from './history-sqlite.js';
import { median } from './lab.js';
import {
  ALL_ROOMS,
  authorSql,
  bucketSql,
  countSql,
  hashSql,
  postgresXor,
  readCounts,
  ROOMS,
  sqliteXor,
  TS_STEP_MS,
  vocabulary,
  wordCountSql,
  wordPositions,
  zipfRanks,
  firstTs,
  type MatchCount,
  type SearchSpec,
} from './search-workload.js';

export interface SearchFill extends FillStats {
  /** On-disk size of the search index alone (SQLite: the FTS5 tables and search_map; PostgreSQL: the GIN index), when known. */
  indexBytes?: number;
}

export interface SearchPlan {
  /** The search the plan is of. */
  spec: SearchSpec;
  plan: string[];
  /** Median of the store's `search` call alone, in this process (no server, no WebSocket). */
  storeMs: number;
}

export interface SearchBackend {
  readonly name: BackendName;
  /** `serve` flags selecting this store. */
  readonly serverArgs: string[];
  /** Fills the ROOMS rooms (created by the server, empty) with `messages` messages; the server must be stopped. */
  fill(messages: number, log: (line: string) => void): Promise<SearchFill>;
  /** Matches of each search, counted from the texts. */
  counts(list: readonly SearchSpec[]): Promise<MatchCount[]>;
  /** The plan of each search of `specs` as the server's store runs it for `uid` (limit + 1, as the hub asks). */
  plans(uid: string, specs: readonly SearchSpec[], limit: number): Promise<SearchPlan[]>;
  /** CPU seconds used so far by the database's own processes (PostgreSQL: the postmaster and its children, gone ones included); absent for SQLite (in the server). */
  dbCpuSeconds?(): number;
  close(): Promise<void>;
}

/** The store's query for a search, as the hub makes it (src/server/hub/handlers.ts: one more than the limit). */
function storeQuery(s: SearchSpec, limit: number): SearchQuery {
  return { words: searchWords(s.query), room: s.room, fromName: s.from, order: s.order, limit: limit + 1 };
}

/** The Zipf lookup table: bucket -> word. */
function lookupRows(): { buckets: number[]; words: string[] } {
  const vocab = vocabulary();
  const ranks = zipfRanks();
  return { buckets: ranks.map((_, b) => b), words: ranks.map((r) => vocab[r]) };
}

const PLAN_CALLS = 3;

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

// ---- SQLite -------------------------------------------------------------------------------------

function sqliteInsert(): string {
  const h = (n: string) => hashSql(n, sqliteXor);
  // The recursive CTE stores each row's columns: the hash is computed once per message. better-sqlite3
  // binds a JS number as REAL: cast, or (n - 1) / ROOMS would divide as REAL (fractional seqs).
  return `
  WITH RECURSIVE g(n, h) AS (SELECT CAST(@from AS INTEGER), ${h('CAST(@from AS INTEGER)')} UNION ALL SELECT n + 1, ${h('n + 1')} FROM g WHERE n < @to)
  INSERT INTO messages (room, seq, id, uid, "user", text, ts, deleted)
  SELECT printf('s%02d', (n - 1) % ${ROOMS}), (n - 1) / ${ROOMS} + 1, printf('m%010d', n), printf('u%016x', ${authorSql('h')}), 'user' || (${authorSql('h')}),
         (SELECT group_concat(v.w, ' ' ORDER BY k.k) FROM temp.bench_k k JOIN temp.bench_vocab v ON v.b = ${bucketSql('h', 'k')} WHERE k.k <= ${wordCountSql('h')}),
         CAST(@t0 AS INTEGER) + n * ${TS_STEP_MS}, 0
    FROM g`;
}

/** Each room's last_seq once filled with `messages` (message n is in room (n - 1) % ROOMS at seq (n - 1) / ROOMS + 1). */
function expectedLastSeq(messages: number, room: number): number {
  return Math.floor((messages - 1 - room) / ROOMS) + 1;
}

/** Throws unless the rooms hold what the fill meant to put there (their last_seq, whole numbers, and the message count). */
function verifyFill(rows: readonly { id: string; last_seq: unknown; n: unknown }[], messages: number): void {
  const total = rows.reduce((sum, r) => sum + Number(r.n), 0);
  if (total !== messages) throw new Error(`the fill left ${total} messages in the rooms, not ${messages}`);
  for (const r of rows) {
    const want = expectedLastSeq(messages, ALL_ROOMS.indexOf(r.id));
    if (Number(r.last_seq) !== want || Number(r.n) !== want) throw new Error(`room ${r.id}: last_seq ${r.last_seq} and ${r.n} messages after the fill, want ${want} (whole numbers)`);
  }
}
const VERIFY = `SELECT r.id, r.last_seq, (SELECT count(*) FROM messages m WHERE m.room = r.id) AS n FROM rooms r
                WHERE r.id IN (${ALL_ROOMS.map((r) => `'${r}'`).join(', ')})`;

/** Each room's last_seq / last_active as its messages say (both dialects). */
const MOVE_ROOMS = `UPDATE rooms SET last_seq = (SELECT max(seq) FROM messages m WHERE m.room = rooms.id),
                          last_active = (SELECT max(ts) FROM messages m WHERE m.room = rooms.id)
                    WHERE id IN (${ALL_ROOMS.map((r) => `'${r}'`).join(', ')})`;

export function sqliteSearchBackend(dataDir: string): SearchBackend {
  const file = sqliteFile(dataDir);
  const open = (): Database.Database => {
    if (!existsSync(file)) throw new Error(`no SQLite database at ${file}: the server has not migrated this data dir`);
    return new Database(file);
  };
  return {
    name: 'sqlite',
    serverArgs: [],
    async fill(messages, log) {
      const started = performance.now();
      const db = open();
      let indexBytes: number | undefined;
      try {
        db.pragma('journal_mode = DELETE');
        db.pragma('synchronous = OFF');
        db.pragma('cache_size = -524288'); // 512 MiB
        const have = db.prepare<[], { n: number }>('SELECT count(*) AS n FROM messages').get()!.n;
        if (have) throw new Error(`the store already holds ${have} messages`);
        db.exec('CREATE TEMP TABLE bench_vocab (b INTEGER PRIMARY KEY, w TEXT NOT NULL); CREATE TEMP TABLE bench_k (k INTEGER PRIMARY KEY, mul INTEGER NOT NULL, inc INTEGER NOT NULL);');
        const { buckets, words } = lookupRows();
        const addWord = db.prepare('INSERT INTO temp.bench_vocab (b, w) VALUES (?, ?)');
        const addK = db.prepare('INSERT INTO temp.bench_k (k, mul, inc) VALUES (@k, @mul, @inc)');
        db.transaction(() => {
          buckets.forEach((b, i) => addWord.run(b, words[i]));
          for (const p of wordPositions()) addK.run(p);
        })();
        const insert = db.prepare(sqliteInsert());
        const t0 = firstTs(messages);
        db.transaction(() => {
          for (let from = 1; from <= messages; from += FILL_CHUNK) {
            const to = Math.min(messages, from + FILL_CHUNK - 1);
            insert.run({ from, to, t0 });
            log(`sqlite: ${to.toLocaleString('en')} / ${messages.toLocaleString('en')} messages (${((performance.now() - started) / 1000).toFixed(0)} s)`);
          }
          const moved = db.prepare(MOVE_ROOMS).run();
          if (moved.changes !== ROOMS) throw new Error(`${moved.changes} of the ${ROOMS} rooms to fill exist`);
          verifyFill(db.prepare<[], { id: string; last_seq: unknown; n: unknown }>(VERIFY).all(), messages);
          const fractional = db.prepare<[], { n: number }>("SELECT count(*) AS n FROM messages WHERE typeof(seq) <> 'integer' OR typeof(ts) <> 'integer'").get()!.n;
          if (fractional) throw new Error(`${fractional} messages got a seq or ts that is not an integer`);
        })();
        db.pragma('journal_mode = WAL');
        try {
          const r = db.prepare<[], { b: number | null }>("SELECT sum(pgsize) AS b FROM dbstat WHERE name LIKE 'messages_fts%' OR name LIKE 'search_map%' OR name = 'sqlite_autoindex_search_map_1'").get();
          indexBytes = r?.b ?? undefined;
        } catch {
          // no dbstat in this build
        }
      } finally {
        db.close();
      }
      return { seconds: (performance.now() - started) / 1000, bytes: statSync(file).size, indexBytes };
    },
    async counts(list) {
      const db = open();
      try {
        return readCounts(db.prepare(countSql(list)).get() as Record<string, unknown>, list.length);
      } finally {
        db.close();
      }
    },
    async plans(uid, specs, limit) {
      const store = new SqliteStore(file, { checkpointer: false });
      await store.init();
      try {
        // The statement the store prepares for a search, and the parameters it runs it with.
        const db = (store as unknown as { db: Database.Database }).db;
        const prepare = db.prepare.bind(db);
        let seen: { sql: string; args: unknown[] } | null = null;
        db.prepare = ((sql: string) => {
          const st = prepare(sql);
          if (sql.includes('messages_fts MATCH')) {
            const all = st.all.bind(st);
            st.all = ((...args: unknown[]) => {
              seen = { sql, args };
              return all(...(args as []));
            }) as typeof st.all;
          }
          return st;
        }) as typeof db.prepare;
        const out: SearchPlan[] = [];
        for (const spec of specs) {
          seen = null;
          const ms: number[] = [];
          for (let i = 0; i < PLAN_CALLS; i++) ms.push(await timed(() => store.search(uid, storeQuery(spec, limit))));
          const got = seen as { sql: string; args: unknown[] } | null;
          if (!got) throw new Error('the SQLite store ran no messages_fts MATCH statement for a search');
          const rows = prepare(`EXPLAIN QUERY PLAN ${got.sql}`).all(...(got.args as [])) as { detail: string }[];
          out.push({ spec, plan: rows.map((r) => r.detail), storeMs: median(ms) });
        }
        return out;
      } finally {
        await store.close();
      }
    },
    async close() {},
  };
}

// ---- PostgreSQL ---------------------------------------------------------------------------------

function postgresInsert(): string {
  // A word per row (message x position), joined to the word table by hash and put together per message:
  // several times faster than a subquery per message. OFFSET 0 keeps each subquery from being pulled up,
  // so the hash and the bucket are computed once per message and per word.
  return `
  INSERT INTO messages (room, seq, id, uid, "user", text, ts, deleted)
  SELECT 's' || lpad(((t.n - 1) % ${ROOMS})::text, 2, '0'), (t.n - 1) / ${ROOMS} + 1, 'm' || lpad(t.n::text, 10, '0'),
         'u' || lpad(to_hex(${authorSql('t.h')}), 16, '0'), 'user' || (${authorSql('t.h')}), t.text, $3::bigint + t.n * ${TS_STEP_MS}, false
    FROM (SELECT p.n, p.h, string_agg(v.w, ' ' ORDER BY p.k) AS text
            FROM (SELECT s.n, s.h, k.k, ${bucketSql('s.h', 'k')} AS b
                    FROM (SELECT n, ${hashSql('n', postgresXor)} AS h FROM generate_series($1::bigint, $2::bigint) AS n OFFSET 0) s
                    JOIN bench_k k ON k.k <= ${wordCountSql('s.h')} OFFSET 0) p
            JOIN bench_vocab v ON v.b = p.b
           GROUP BY p.n, p.h) t`;
}
/** Messages per INSERT on PostgreSQL: its per-word rows are sorted in memory (work_mem below). */
const PG_CHUNK = 250_000;

/** utime + stime (+ cutime + cstime: the children it waited for) of a process, seconds (USER_HZ 100; ./lab.ts cpuSeconds without the children). */
function procCpu(pid: number, waited: boolean): number {
  try {
    const st = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = st.slice(st.lastIndexOf(')') + 2).split(' ').map(Number);
    return (f[11] + f[12] + (waited ? f[13] + f[14] : 0)) / 100;
  } catch {
    return 0; // exited meanwhile: its time is in the postmaster's cutime from now on
  }
}

/** All CPU of a PostgreSQL cluster: its postmaster (with the backends it reaped) and the backends alive now. */
function clusterCpu(postmaster: number): number {
  let children: number[] = [];
  try {
    children = readFileSync(`/proc/${postmaster}/task/${postmaster}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    // no children file: the postmaster's own figure only
  }
  return procCpu(postmaster, true) + children.reduce((sum, pid) => sum + procCpu(pid, false), 0);
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

/** The disposable cluster and database of the history benchmark's PostgreSQL backend, filled the search benchmark's way. */
export async function postgresSearchBackend(): Promise<SearchBackend> {
  const cluster = await postgresBackend();
  const url = cluster.serverArgs[cluster.serverArgs.indexOf('--postgres-url') + 1];
  if (!url) {
    await cluster.close();
    throw new Error('the history PostgreSQL backend gave no --postgres-url');
  }
  const postmaster = await withClient(url, async (c) => {
    const dir = (await c.query<{ data_directory: string }>('SHOW data_directory')).rows[0].data_directory;
    return Number(readFileSync(path.join(dir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  });
  return {
    name: 'postgres',
    serverArgs: cluster.serverArgs,
    dbCpuSeconds: () => clusterCpu(postmaster),
    fill: (messages, log) =>
      withClient(url, async (c) => {
        const started = performance.now();
        const have = Number((await c.query<{ n: string }>('SELECT count(*) AS n FROM messages')).rows[0].n);
        if (have) throw new Error(`the store already holds ${have} messages`);
        await c.query('CREATE TEMP TABLE bench_vocab (b int PRIMARY KEY, w text NOT NULL); CREATE TEMP TABLE bench_k (k int PRIMARY KEY, mul bigint NOT NULL, inc bigint NOT NULL)');
        const { buckets, words } = lookupRows();
        await c.query('INSERT INTO bench_vocab (b, w) SELECT * FROM unnest($1::int[], $2::text[])', [buckets, words]);
        const ks = wordPositions();
        await c.query('INSERT INTO bench_k (k, mul, inc) SELECT * FROM unnest($1::int[], $2::bigint[], $3::bigint[])', [ks.map((p) => p.k), ks.map((p) => p.mul), ks.map((p) => p.inc)]);
        await c.query('ANALYZE bench_vocab; ANALYZE bench_k');
        const t0 = firstTs(messages);
        // The rooms exist: skip the per-row foreign key trigger of the bulk load (this session only).
        await c.query("SET session_replication_role = 'replica'");
        await c.query("SET maintenance_work_mem = '1GB'; SET work_mem = '512MB'; SET jit = off");
        const insert = postgresInsert();
        for (let from = 1; from <= messages; from += PG_CHUNK) {
          const to = Math.min(messages, from + PG_CHUNK - 1);
          await c.query(insert, [from, to, t0]);
          log(`postgres: ${to.toLocaleString('en')} / ${messages.toLocaleString('en')} messages (${((performance.now() - started) / 1000).toFixed(0)} s)`);
        }
        await c.query("SET session_replication_role = 'origin'");
        const moved = await c.query(MOVE_ROOMS);
        if (moved.rowCount !== ROOMS) throw new Error(`${moved.rowCount} of the ${ROOMS} rooms to fill exist`);
        verifyFill((await c.query<{ id: string; last_seq: unknown; n: unknown }>(VERIFY)).rows, messages);
        await c.query('VACUUM ANALYZE messages');
        await c.query('VACUUM ANALYZE rooms');
        await c.query('CHECKPOINT');
        const r = (await c.query<{ b: string; i: string }>("SELECT pg_total_relation_size('messages') AS b, pg_relation_size('messages_tsv') AS i")).rows[0];
        return { seconds: (performance.now() - started) / 1000, bytes: Number(r.b), indexBytes: Number(r.i) };
      }),
    counts: (list) => withClient(url, async (c) => readCounts((await c.query(countSql(list))).rows[0] as Record<string, unknown>, list.length)),
    async plans(uid, specs, limit) {
      const store = new PostgresStore(url, { poolSize: 1 });
      await store.init();
      try {
        // The search statement the store sends through its pool, and its parameters.
        const pool = store.pool as unknown as { query: (sql: string, params?: unknown[]) => Promise<pg.QueryResult> };
        const query = pool.query.bind(pool);
        let seen: { sql: string; params: unknown[] } | null = null;
        pool.query = (sql, params) => {
          if (typeof sql === 'string' && sql.includes('tsv @@')) seen = { sql, params: params ?? [] };
          return query(sql, params);
        };
        const out: SearchPlan[] = [];
        for (const spec of specs) {
          seen = null;
          const ms: number[] = [];
          for (let i = 0; i < PLAN_CALLS; i++) ms.push(await timed(() => store.search(uid, storeQuery(spec, limit))));
          const got = seen as { sql: string; params: unknown[] } | null;
          if (!got) throw new Error('the PostgreSQL store ran no tsv @@ statement for a search');
          const r = await query(`EXPLAIN (ANALYZE, BUFFERS) ${got.sql}`, got.params);
          out.push({ spec, plan: r.rows.map((row: Record<string, string>) => row['QUERY PLAN']), storeMs: median(ms) });
        }
        return out;
      } finally {
        await store.close();
      }
    },
    close: () => cluster.close(),
  };
}
