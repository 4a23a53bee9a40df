/**
 * History pages on PostgreSQL at scale: fills a fresh database (real PostgreSQL in a temp dir, as in the
 * tests) with N messages spread over R rooms, then times history pages read through PostgresStore, the way
 * a client's `history` request does (newest page, a page `before` a random seq, a page `after` one).
 *
 *   npm run build
 *   node dist/bench/pg-history.js                     # 10,000,000 messages in 1,000 rooms, 2,000 pages of 50
 *   node dist/bench/pg-history.js 1000000 100 500     # messages rooms pages
 *
 * Prints medians and p99 per page kind and the plan of one page (an index range scan of messages_pkey).
 */
import pg from 'pg';
import { PostgresStore } from '../src/server/store/postgres/store.js';
import { startPostgres } from '../test/helpers/postgres.js';

const N = Number(process.argv[2] ?? 10_000_000);
const ROOMS = Number(process.argv[3] ?? 1000);
const PAGES = Number(process.argv[4] ?? 2000);
const LIMIT = 50;

const pct = (xs: number[], p: number) => xs.slice().sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))];

async function main(): Promise<void> {
  const server = await startPostgres();
  try {
    const url = await server.createDatabase('history');
    const store = new PostgresStore(url, { poolSize: 4, statementTimeoutMs: 600_000 });
    await store.init();
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    const perRoom = Math.ceil(N / ROOMS);
    let t = performance.now();
    await c.query(`INSERT INTO rooms (id, kind, created_at, last_seq, last_active) SELECT 'room' || g, 'public', 0, $1, 0 FROM generate_series(1, $2) g`, [perRoom, ROOMS]);
    // Chunks of 1M rows keep each statement's memory bounded.
    for (let from = 0; from < N; from += 1_000_000) {
      const to = Math.min(N, from + 1_000_000) - 1;
      await c.query(
        `INSERT INTO messages (room, seq, id, uid, "user", text, ts)
         SELECT 'room' || (g % $1 + 1), g / $1 + 1, 'm' || g, 'u' || (g % 997), 'user', repeat('x', 60), 1700000000000 + g
           FROM generate_series($2::bigint, $3::bigint) g`,
        [ROOMS, from, to],
      );
    }
    await c.query('VACUUM ANALYZE messages');
    await c.query('VACUUM ANALYZE rooms');
    const size = (await c.query<{ s: string }>("SELECT pg_size_pretty(pg_total_relation_size('messages')) AS s")).rows[0].s;
    console.log(`filled ${N.toLocaleString('en')} messages in ${ROOMS} rooms (${size} with indexes) in ${((performance.now() - t) / 1000).toFixed(0)} s`);

    const plan = await c.query(`EXPLAIN (ANALYZE, BUFFERS) SELECT room, seq, id, uid, "user", text, ts FROM messages WHERE room = $1 AND seq < $2 ORDER BY seq DESC LIMIT $3`, ['room7', Math.floor(perRoom / 2), LIMIT + 1]);
    console.log(plan.rows.map((r) => `  ${r['QUERY PLAN']}`).join('\n'));

    const kinds: Record<string, number[]> = { newest: [], before: [], after: [] };
    for (let i = 0; i < PAGES; i++) {
      const room = `room${1 + Math.floor(Math.random() * ROOMS)}`;
      const seq = 1 + Math.floor(Math.random() * perRoom);
      for (const [kind, q] of [
        ['newest', { limit: LIMIT + 1 }],
        ['before', { before: seq, limit: LIMIT + 1 }],
        ['after', { after: seq, limit: LIMIT + 1 }],
      ] as const) {
        t = performance.now();
        await store.history(room, q);
        kinds[kind].push(performance.now() - t);
      }
    }
    for (const [kind, xs] of Object.entries(kinds)) {
      console.log(`history page (${kind}, ${LIMIT}): median ${pct(xs, 50).toFixed(2)} ms, p99 ${pct(xs, 99).toFixed(2)} ms over ${xs.length} pages`);
    }
    await c.end();
    await store.close();
  } finally {
    await server.cleanup();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
