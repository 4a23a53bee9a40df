/**
 * `npm run bench:search`: full-text search latency (p50/p99) over 1,000,000 messages, on SQLite and on
 * PostgreSQL, measured through a real scale-chat server over WebSocket the way a client searches.
 *
 *   npx tsc -p . && npm run bench:search                # 1,000,000 messages in 100 rooms, both stores, 2 runs
 *   npm run bench:search -- --quick                     # 100,000 messages, 300 searches; prints only
 *   npm run bench:search -- --messages 200000 --backends sqlite
 *
 * Per store: the server starts once on an empty store (SQLite: a temp data dir; PostgreSQL: the history
 * benchmark's disposable cluster, `serve --postgres-url`) so its migrations make the schema and the
 * search index (SQLite 5: FTS5 kept by triggers; PostgreSQL 6: a generated tsvector column, GIN); a guest
 * creates 100 public rooms (s00..s99; `general` stays empty), the searcher registers an account and joins
 * every other one (50), the server stops; the rooms are bulk-filled in SQL (bench/lib/search-stores.ts:
 * texts of 6-20 words of a 5,000-word Zipf-like vocabulary by a deterministic hash, the same in both
 * stores, 1,000 authors, the rooms' last_seq moved to match), the matches of every search are counted
 * from the texts (a LIKE scan, not the index), and the store's own search statement is planned. Then
 * each run restarts the server (pinned to core 0) and a searching client pinned to core 1
 * (bench/lib/search-client.ts, the SDK's `search`) signs in as the searcher and asks a fixed seeded list
 * of 42 searches in turn, 6 of each kind (bench/lib/search-workload.ts): a rare word, a common word, two
 * words, a 3-4 letter prefix, a word in one room, a word from one author, two words best first;
 * --iterations of them on one connection, then the same number split over --connections concurrent
 * connections (each one request at a time). Every reply is checked: min(limit, matches) hits and `next`
 * when there are more, no hit from a room the searcher is not in, the asked room and author, each query
 * word a prefix of a word of the hit and `highlights` exactly those words, newest first by time. A wrong
 * reply fails the run. PostgreSQL itself is not pinned.
 *
 * Flags: --messages 1000000  --backends sqlite,postgres  --runs 2  --iterations 1000  --connections 10
 *        --limit 20 (1-50)  --warmup 10 (searches per connection, not counted)
 *        --max-seconds 600 (bound of each measured phase; SQLite at 1M spends ~0.3 s of the server's
 *        core per search on average, so 1,000 searches take ~5 min)  --slow-ms 50 (a kind whose p99 is above it gets
 *        its query plan shown in the section)  --cpu-prof <dir> (the measured servers write V8 CPU
 *        profiles to <dir>/<store>-run<N>/)  --quick  --docs <file> (default docs/benchmarks.md; a
 *        --quick run writes nothing without it)  --from-result <bench/results/search-*.json> (writes the
 *        section again from a raw result, measuring nothing)  --help
 * Writes bench/results/search-<stamp>.json and the "search" section of docs/benchmarks.md (once
 * bench/lib/doc.ts SECTIONS lists "search"; until then the section is printed).
 */
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { ChatClient, type ChatClientOptions } from '../src/client/index.js';
import { benchArgs } from './cli-args.js';
import { commandLine, DOC, SECTIONS, writeResult, writeSection } from './lib/doc.js';
import type { BackendName } from './lib/history-backend.js';
import { postgresMissing } from './lib/history-postgres.js';
import { cpuDuring, dropTemp, ROOT, startServer, stop, tempDir, type Server } from './lib/lab.js';
import { JsonChild } from './lib/perf-child.js';
import { FlagReader, usageExit } from './lib/perf-flags.js';
import { fmtMs, loadNote, publish } from './lib/perf-report.js';
import type { SearcherConfig, SearcherResult } from './lib/search-client.js';
import { searchSection, type BackendResult, type Phase, type SearchRun, type SearchWorkload } from './lib/search-doc.js';
import { postgresSearchBackend, sqliteSearchBackend, type SearchBackend } from './lib/search-stores.js';
import { ALL_ROOMS, MEMBER_ROOMS, ROOMS, SEARCH_KINDS, SEARCHER, searchList, vocabulary, type MatchCount, type SearchSpec } from './lib/search-workload.js';

const a = benchArgs(import.meta.url, ['messages', 'backends', 'runs', 'iterations', 'connections', 'limit', 'warmup', 'max-seconds', 'slow-ms', 'cpu-prof', 'docs', 'from-result'], ['quick']);
const f = new FlagReader('bench:search', a.str);
const quick = a.bool('quick');
const w: SearchWorkload = {
  messages: f.int('messages', quick ? 100_000 : 1_000_000, ROOMS, 100_000_000),
  runs: f.int('runs', 2, 1, 10),
  iterations: f.int('iterations', quick ? 300 : 1000, 1, 1_000_000),
  connections: f.int('connections', 10, 1, 1000),
  limit: f.int('limit', 20, 1, 50),
  warmup: f.int('warmup', 10, 0, 10_000),
  maxSeconds: f.seconds('max-seconds', quick ? 60 : 600, 1, 3600),
  slowMs: f.num('slow-ms', 50, 0, 60_000),
};
const backends = f.str('backends', 'sqlite,postgres').split(',').map((s) => s.trim());
for (const b of backends) if (b !== 'sqlite' && b !== 'postgres') usageExit('bench:search', `--backends: sqlite and/or postgres, got "${b}"`);
const cpuProf = a.str('cpu-prof') ? path.resolve(a.str('cpu-prof')!) : undefined;
const docsFile = a.str('docs') ? path.resolve(a.str('docs')!) : undefined;
const fromResult = a.str('from-result') ? path.resolve(a.str('from-result')!) : undefined;
if (cpus().length < 2) usageExit('bench:search', 'needs 2 cores: the server on core 0, the searching client on core 1');

const log = (line: string) => console.log(`bench:search: ${line}`);
const searches: SearchSpec[] = searchList(vocabulary());

function sdk(server: Server, auth: ChatClientOptions['auth']): ChatClient {
  return new ChatClient({ url: server.url, WebSocket: WebSocket as unknown as ChatClientOptions['WebSocket'], auth, presence: false });
}

/**
 * The server's own rows: a guest creates the public rooms, the searcher registers and joins every other
 * one (MEMBER_ROOMS). Returns the searcher's user id.
 */
async function setup(server: Server): Promise<string> {
  const creator = sdk(server, { kind: 'guest', name: 'founder' });
  try {
    await creator.connect();
    for (const room of ALL_ROOMS) await creator.create(room, 'public');
  } finally {
    creator.close();
  }
  const searcher = sdk(server, { kind: 'register', ...SEARCHER });
  try {
    await searcher.connect();
    for (const room of MEMBER_ROOMS) await searcher.join(room);
    const uid = searcher.user?.id;
    if (!uid) throw new Error('the searcher got no user id');
    return uid;
  } finally {
    searcher.close();
  }
}

async function phase(server: Server, be: SearchBackend, connections: number, matches: MatchCount[]): Promise<Phase> {
  const cfg: SearcherConfig = {
    url: server.url,
    ...SEARCHER,
    searches,
    matches: matches.map((m) => m.member),
    rooms: [...MEMBER_ROOMS, 'general'],
    limit: w.limit,
    iterations: w.iterations,
    connections,
    warmup: w.warmup,
    maxSeconds: w.maxSeconds,
  };
  const child = new JsonChild('search-client.js', [JSON.stringify(cfg)], '1');
  try {
    const db0 = be.dbCpuSeconds?.();
    const { result, cpuS } = await cpuDuring(server.pid, async () => (await child.next('result', (2 * w.maxSeconds + 90) * 1000)) as unknown as SearcherResult);
    if (result.badReplies) throw new Error(`${result.badReplies} search replies were wrong, e.g. ${result.badExamples.join('; ')}`);
    // Server CPU covers the whole phase: signing in and warm-up searches included.
    const asked = result.iterations + w.warmup * connections;
    const dbCpuS = db0 === undefined ? undefined : be.dbCpuSeconds!() - db0;
    return { connections, searcher: result, serverCpuS: cpuS, serverUsPerSearch: (cpuS * 1e6) / asked, dbCpuS, dbUsPerSearch: dbCpuS === undefined ? undefined : (dbCpuS * 1e6) / asked };
  } finally {
    await child.end();
  }
}

async function measure(be: SearchBackend, dataDir: string, run: number, matches: MatchCount[]): Promise<SearchRun> {
  const nodeArgs = cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${path.join(cpuProf, `${be.name}-run${run}`)}`] : [];
  const server = await startServer('scale-chat', { dataDir, args: be.serverArgs, nodeArgs });
  try {
    const sequential = await phase(server, be, 1, matches);
    const concurrent = await phase(server, be, w.connections, matches);
    for (const [label, p] of [['1 connection', sequential], [`${w.connections} connections`, concurrent]] as const) {
      const k = p.searcher.kinds;
      log(
        `${be.name} run ${run}, ${label}: ${SEARCH_KINDS.map((kind) => `${kind} ${fmtMs(k[kind].p50)}/${fmtMs(k[kind].p99)}`).join(', ')} ms (p50/p99); ` +
          `all p50 ${fmtMs(p.searcher.overall.p50)} p99 ${fmtMs(p.searcher.overall.p99)} ms; ${p.searcher.iterations} searches in ${p.searcher.wallS.toFixed(1)} s, ` +
          `server ${(p.serverUsPerSearch / 1000).toFixed(1)} ms CPU/search${p.dbUsPerSearch === undefined ? '' : `, PostgreSQL ${(p.dbUsPerSearch / 1000).toFixed(1)} ms`}, client CPU ${((p.searcher.clientCpuS / p.searcher.wallS) * 100).toFixed(0)}%${p.searcher.timedOut ? ' (stopped at --max-seconds)' : ''}`,
      );
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
  const dataDir = tempDir('scale-chat-search-');
  const be = name === 'sqlite' ? sqliteSearchBackend(dataDir) : await postgresSearchBackend();
  try {
    // One guest creates every room: lift the per-user creation limit (10 an hour) for this setup only.
    const first = await startServer('scale-chat', { dataDir, args: [...be.serverArgs, '--rooms-created-per-hour', '0'] });
    let uid: string;
    try {
      uid = await setup(first);
    } finally {
      await stop(first.proc);
    }
    log(`${name}: migrated by the server, ${ROOMS} rooms created, the searcher in ${MEMBER_ROOMS.length}; filling ${w.messages.toLocaleString('en')} messages`);
    const fill = await be.fill(w.messages, log);
    log(`${name}: filled in ${fill.seconds.toFixed(1)} s, ${(fill.bytes / 2 ** 20).toFixed(0)} MiB`);
    const t0 = performance.now();
    const matches = await be.counts(searches);
    log(`${name}: matches of the ${searches.length} searches counted from the texts in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    const plans = await be.plans(uid, SEARCH_KINDS.map((k) => searches.find((s) => s.kind === k)!), w.limit);
    const runs: SearchRun[] = [];
    for (let run = 1; run <= w.runs; run++) runs.push(await measure(be, dataDir, run, matches));
    return { name, fill, matches, plans, runs };
  } finally {
    await be.close();
    dropTemp(dataDir);
  }
}

/** The section of docs/benchmarks.md, once bench/lib/doc.ts SECTIONS lists "search" (the writer keeps only those). */
const SECTION = SECTIONS.find(([n]) => (n as string) === 'search')?.[0];
const NO_SECTION = 'bench/lib/doc.ts SECTIONS has no "search" entry, so no docs file was changed';

/** --from-result: the section again from a raw result this script wrote (no measuring, no new JSON). */
function republish(file: string): void {
  const result = JSON.parse(readFileSync(file, 'utf8')) as { bench: string; command: string; started: string; load?: string; workload: SearchWorkload; searches: SearchSpec[]; backends: BackendResult[] };
  if (result.bench !== 'search') usageExit('bench:search', `--from-result: ${file} is not a bench:search result`);
  const { markdown } = searchSection(result.backends, result.searches, result.workload, result.command, new Date(result.started), result.load ?? '');
  const text = markdown.replace('{{RESULT}}', path.relative(ROOT, file));
  if (!SECTION) return void console.log(`\n${text}\n\nsearch: ${NO_SECTION} (the section is printed above)`);
  writeSection(SECTION, text, docsFile ?? DOC);
  console.log(`search: wrote the "search" section of ${docsFile ?? DOC} from ${file}`);
}

async function main(): Promise<void> {
  if (fromResult) return republish(fromResult);
  const started = new Date();
  const load = loadNote();
  log(`${w.messages.toLocaleString('en')} messages in ${ROOMS} rooms; ${backends.join(', ')}; ${w.runs} runs of ${w.iterations} searches (${searches.length} in turn, limit ${w.limit}) on 1 and on ${w.connections} connections`);
  const results: BackendResult[] = [];
  for (const b of backends) results.push(await benchBackend(b as BackendName));
  const { markdown, result } = searchSection(results, searches, w, commandLine('search'), started, load);
  if (SECTION) return publish(SECTION, markdown, result, { quick, docsFile });
  // Not listed yet: print the section, write the raw result (--from-result writes the section from it later).
  if (quick && !docsFile) return void console.log(`\n${markdown}\n\n(quick run: nothing written; --docs <file> writes the section there)`);
  const json = writeResult('search', result);
  console.log(`\n${markdown.replace('{{RESULT}}', json)}\n`);
  console.log(`search: wrote ${json}; ${NO_SECTION} (the section is printed above; \`--from-result ${json}\` writes it once the entry is there)`);
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(`bench:search: ${(err as Error).stack ?? err}`);
    process.exit(1);
  },
);
