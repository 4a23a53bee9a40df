/**
 * `npm run bench:history`: history page latency (p50/p99) from one very large room, on SQLite and on
 * PostgreSQL, measured through a real scale-chat server over WebSocket the way a client pages.
 *
 *   npx tsc -p . && npm run bench:history               # 10,000,000 messages in one room, both stores, 2 runs
 *   npm run bench:history -- --quick                    # 200,000 messages, 300 iterations; prints only
 *   npm run bench:history -- --messages 1000000 --backends sqlite
 *
 * Per store: the server starts once on an empty store (SQLite: a temp data dir; PostgreSQL: a disposable
 * cluster from test/helpers/postgres.ts and `serve --postgres-url`) so its migrations make the schema, a
 * guest creates the public room `history`, the server stops; the room is bulk-filled in SQL (SQLite: a
 * recursive CTE per 1M rows, one transaction; PostgreSQL: INSERT ... SELECT generate_series per 1M rows,
 * then VACUUM ANALYZE) with its rooms row's last_seq/last_active moved to match, and the query plan of
 * each page kind is taken. Then each run restarts the server (pinned to core 0) on that store and
 * a paging client pinned to core 1 (bench/lib/history-client.ts, the SDK) asks, per iteration, the
 * newest page, a page `before` a random seq and a page `after` another (uniform over the room):
 * --iterations of them on one connection, then the same number split over --connections concurrent
 * connections (each one request at a time). Every page is checked (size, seqs, hasMore). PostgreSQL
 * itself is not pinned.
 *
 * Flags: --messages 10000000  --backends sqlite,postgres  --runs 2  --iterations 2000
 *        --connections 10  --limit 50  --warmup 20 (iterations per connection, not counted)
 *        --max-seconds 300 (bound of each measured phase)  --slow-ms 20 (a page kind whose p99 is above
 *        it gets its query plan shown in the section)  --cpu-prof <dir> (the measured servers write
 *        V8 CPU profiles to <dir>/<store>-run<N>/)  --quick  --docs <file> (default docs/benchmarks.md;
 *        a --quick run writes nothing without it)  --help
 * Writes bench/results/history-<stamp>.json and the "history" section of docs/benchmarks.md.
 */
import { cpus } from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { ChatClient, type ChatClientOptions } from '../src/client/index.js';
import { benchArgs } from './cli-args.js';
import { commandLine } from './lib/doc.js';
import type { BackendName, FillStats, HistoryBackend, PageKind } from './lib/history-backend.js';
import { historySection, type BackendResult, type HistoryRun, type HistoryWorkload, type Phase } from './lib/history-doc.js';
import { runPager } from './lib/history-pages.js';
import { postgresBackend, postgresMissing } from './lib/history-postgres.js';
import { sqliteBackend } from './lib/history-sqlite.js';
import { cpuDuring, dropTemp, startServer, stop, tempDir, type Server } from './lib/lab.js';
import { FlagReader, usageExit } from './lib/perf-flags.js';
import { fmtMs, publish } from './lib/perf-report.js';

const ROOM = 'history';

const a = benchArgs(import.meta.url, ['messages', 'backends', 'runs', 'iterations', 'connections', 'limit', 'warmup', 'max-seconds', 'slow-ms', 'cpu-prof', 'docs'], ['quick']);
const f = new FlagReader('bench:history', a.str);
const quick = a.bool('quick');
const limit = f.int('limit', 50, 1, 200);
const w: HistoryWorkload = {
  messages: f.int('messages', quick ? 200_000 : 10_000_000, 2 * limit + 1, 100_000_000),
  runs: f.int('runs', 2, 1, 10),
  iterations: f.int('iterations', quick ? 300 : 2000, 1, 1_000_000),
  connections: f.int('connections', 10, 1, 1000),
  limit,
  warmup: f.int('warmup', 20, 0, 10_000),
  maxSeconds: f.seconds('max-seconds', quick ? 60 : 300, 1, 3600),
  slowMs: f.num('slow-ms', 20, 0, 60_000),
};
const backends = f.str('backends', 'sqlite,postgres').split(',').map((s) => s.trim());
for (const b of backends) if (b !== 'sqlite' && b !== 'postgres') usageExit('bench:history', `--backends: sqlite and/or postgres, got "${b}"`);
const cpuProf = a.str('cpu-prof') ? path.resolve(a.str('cpu-prof')!) : undefined;
const docsFile = a.str('docs') ? path.resolve(a.str('docs')!) : undefined;
if (cpus().length < 2) usageExit('bench:history', 'needs 2 cores: the server on core 0, the paging client on core 1');

const log = (line: string) => console.log(`bench:history: ${line}`);

/** A guest creates the public room (the server's own rows: room, membership), then leaves it empty. */
async function createRoom(server: Server): Promise<void> {
  const client = new ChatClient({
    url: server.url,
    WebSocket: WebSocket as unknown as ChatClientOptions['WebSocket'],
    auth: { kind: 'guest', name: 'historian' },
    presence: false,
  });
  try {
    await client.connect();
    await client.create(ROOM, 'public');
  } finally {
    client.close();
  }
}

async function phase(server: Server, connections: number): Promise<Phase> {
  const { result, cpuS } = await cpuDuring(server.pid, () =>
    runPager({ url: server.url, room: ROOM, lastSeq: w.messages, limit: w.limit, iterations: w.iterations, connections, warmup: w.warmup, maxSeconds: w.maxSeconds }),
  );
  if (result.badPages) throw new Error(`${result.badPages} pages did not hold what the room holds, e.g. ${result.badExamples.join('; ')}`);
  // Server CPU covers the whole phase: connecting, joining and warm-up pages included.
  const pages = (result.iterations + w.warmup * connections) * 3;
  return { connections, pager: result, serverCpuS: cpuS, serverUsPerPage: (cpuS * 1e6) / pages };
}

async function measure(be: HistoryBackend, dataDir: string, run: number): Promise<HistoryRun> {
  const nodeArgs = cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${path.join(cpuProf, `${be.name}-run${run}`)}`] : [];
  const server = await startServer('scale-chat', { dataDir, args: be.serverArgs, nodeArgs });
  try {
    const sequential = await phase(server, 1);
    const concurrent = await phase(server, w.connections);
    for (const [label, p] of [['1 connection', sequential], [`${w.connections} connections`, concurrent]] as const) {
      const k = p.pager.kinds;
      log(`${be.name} run ${run}, ${label}: ${(['newest', 'before', 'after'] as PageKind[]).map((kind) => `${kind} p50 ${fmtMs(k[kind].p50)} p99 ${fmtMs(k[kind].p99)} ms`).join(', ')}; ${p.pager.iterations} iterations in ${p.pager.wallS.toFixed(1)} s, server ${p.serverUsPerPage.toFixed(0)} us/page, client CPU ${((p.pager.clientCpuS / p.pager.wallS) * 100).toFixed(0)}%${p.pager.timedOut ? ' (stopped at --max-seconds)' : ''}`);
    }
    return { run, sequential, concurrent };
  } finally {
    await stop(server.proc);
  }
}

async function benchBackend(name: BackendName): Promise<BackendResult> {
  if (name === 'postgres') {
    const missing = postgresMissing();
    if (missing) return { name, skipped: missing };
  }
  const dataDir = tempDir('scale-chat-history-');
  const be = name === 'sqlite' ? sqliteBackend(dataDir) : await postgresBackend();
  try {
    const first = await startServer('scale-chat', { dataDir, args: be.serverArgs });
    try {
      await createRoom(first);
    } finally {
      await stop(first.proc);
    }
    log(`${name}: migrated by the server, room "${ROOM}" created; filling ${w.messages.toLocaleString('en')} messages`);
    const fill: FillStats = await be.fill(ROOM, w.messages, log);
    log(`${name}: filled in ${fill.seconds.toFixed(1)} s, ${(fill.bytes / 2 ** 20).toFixed(0)} MiB`);
    const plans = await be.plans(ROOM, Math.floor(w.messages / 2), w.limit);
    const runs: HistoryRun[] = [];
    for (let run = 1; run <= w.runs; run++) runs.push(await measure(be, dataDir, run));
    return { name, fill, plans, runs };
  } finally {
    await be.close();
    dropTemp(dataDir);
  }
}

async function main(): Promise<void> {
  const started = new Date();
  log(`${w.messages.toLocaleString('en')} messages in one room; ${backends.join(', ')}; ${w.runs} runs of ${w.iterations} iterations (x3 page kinds of ${w.limit}) on 1 and on ${w.connections} connections`);
  const results: BackendResult[] = [];
  for (const b of backends) results.push(await benchBackend(b as BackendName));
  const { markdown, result } = historySection(results, w, commandLine('history'), started);
  publish('history', markdown, result, { quick, docsFile });
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(`bench:history: ${(err as Error).stack ?? err}`);
    process.exit(1);
  },
);
