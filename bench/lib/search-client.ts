/**
 * The searching client of the search benchmark, a child process (started by bench/search.ts through
 * ./perf-child.ts JsonChild, pinned to core 1):
 *
 *   node dist/bench/lib/search-client.js '<SearcherConfig as JSON>'
 *
 * Connects `connections` SDK clients (presence off), each signed in as the searcher's account, then
 * searches the way a client does (`ChatClient.search`), one request in flight per connection: the
 * searches of the fixed list in turn (a shared counter, so the connections interleave the kinds),
 * `warmup` per connection first (not counted), then `iterations` in all; before them, 20 pings give the
 * server's round trip without a search (the floor under every figure on a shared machine). The latency of a search is from
 * the call to its reply as the SDK's caller sees it. Every reply is checked (./search-workload.ts
 * checkReply against the matches the texts hold). Prints `{"event":"result",...}` (SearcherResult) and
 * exits 0; a failure prints `{"event":"error","error":...}` and exits 1. Exits when its stdin closes
 * (the bench is gone) and has a hard deadline.
 */
import WebSocket from 'ws';
import { ChatClient, type ChatClientOptions } from '../../src/client/index.js';
import type { LatencyStats } from './history-pages.js';
import { pct } from './lab.js';
import { checkReply, SEARCH_KINDS, type Hit, type SearchKind, type SearchSpec } from './search-workload.js';

export interface SearcherConfig {
  url: string;
  name: string;
  password: string;
  searches: SearchSpec[];
  /** Matches of each search in the searcher's rooms (the texts' own count). */
  matches: number[];
  /** The rooms the searcher may get hits from. */
  rooms: string[];
  limit: number;
  iterations: number;
  connections: number;
  warmup: number;
  maxSeconds: number;
}

export interface SearcherResult {
  kinds: Record<SearchKind, LatencyStats>;
  overall: LatencyStats;
  /** Round trip of a `ping` on this server at the phase's start (p50 of PINGS, ms): the floor under every search. */
  pingP50: number;
  /** Measured searches slower than PROBE_DROP_MS: with the SDK's default reply probe, their connection would have been dropped and reconnected. */
  overProbe: number;
  /** Mean number of hits per reply, per kind. */
  hits: Record<SearchKind, number>;
  /** Measured searches completed (all connections). */
  iterations: number;
  wallS: number;
  /** The client's own CPU (user + system) over the measured part. */
  clientCpuS: number;
  timedOut: boolean;
  /** Replies that were wrong (see checkReply), with the first few; requests that failed count too. */
  badReplies: number;
  badExamples: string[];
}

const PINGS = 20;
/** The SDK's default reply probe (replyProbeMs 5000) drops a connection after twice that without a frame. */
const PROBE_DROP_MS = 10_000;

function emit(o: object): Promise<void> {
  return new Promise((resolve) => process.stdout.write(`${JSON.stringify(o)}\n`, () => resolve()));
}

const cfg = JSON.parse(process.argv[2] ?? 'null') as SearcherConfig | null;
if (!cfg) {
  console.error('usage: search-client.js <SearcherConfig JSON>');
  process.exit(2);
}
process.stdin.on('end', () => process.exit(3));
process.stdin.resume();
// Connecting gets 60 s; the measured part its maxSeconds (checked between searches); the warm-up up to as long.
setTimeout(() => {
  void emit({ event: 'error', error: `search-client: hard deadline (${2 * cfg.maxSeconds + 60} s) reached` }).then(() => process.exit(1));
}, (2 * cfg.maxSeconds + 60) * 1000).unref();

function latencyStats(xs: number[]): LatencyStats {
  const round = (v: number) => Math.round(v * 1000) / 1000;
  return {
    n: xs.length,
    p50: round(pct(xs, 50)),
    p99: round(pct(xs, 99)),
    p999: round(pct(xs, 99.9)),
    max: round(xs.length ? xs.reduce((a, b) => Math.max(a, b)) : NaN),
    mean: round(xs.reduce((a, b) => a + b, 0) / (xs.length || 1)),
  };
}

async function connect(): Promise<ChatClient> {
  const client = new ChatClient({
    url: cfg!.url,
    WebSocket: WebSocket as unknown as ChatClientOptions['WebSocket'],
    auth: { kind: 'login', name: cfg!.name, password: cfg!.password },
    presence: false,
    // A slow search must be measured, not given up on: the bound is the phase's, and the reply probe is
    // off (by default the SDK drops a connection silent for 2 x 5 s while a request waits: counted below).
    requestTimeoutMs: (cfg!.maxSeconds + 30) * 1000,
    replyProbeMs: 0,
  });
  await client.connect();
  return client;
}

async function main(): Promise<void> {
  const c = cfg!;
  const member = new Set(c.rooms);
  const clients: ChatClient[] = [];
  for (let i = 0; i < c.connections; i++) clients.push(await connect()); // one login at a time: argon2 on the server's core
  const lat = Object.fromEntries(SEARCH_KINDS.map((k) => [k, [] as number[]])) as Record<SearchKind, number[]>;
  const hitCount = Object.fromEntries(SEARCH_KINDS.map((k) => [k, 0])) as Record<SearchKind, number>;
  const all: number[] = [];
  const bad: string[] = [];
  let badReplies = 0;
  let next = 0;
  const search = async (client: ChatClient, keep: boolean): Promise<void> => {
    const i = next++ % c.searches.length;
    const s = c.searches[i];
    const t0 = performance.now();
    let wrong: string | null;
    let n = 0;
    try {
      const reply = await client.search(s.query, { room: s.room, from: s.from, order: s.order, limit: c.limit });
      const ms = performance.now() - t0;
      n = reply.results.length;
      wrong = checkReply(s, c.limit, c.matches[i], member, reply as { results: Hit[]; next?: string });
      if (keep) {
        lat[s.kind].push(ms);
        all.push(ms);
        hitCount[s.kind] += n;
      }
    } catch (err) {
      wrong = `"${s.query}" (${s.kind}): ${(err as Error).message}`;
    }
    if (wrong) {
      badReplies++;
      if (bad.length < 5) bad.push(wrong);
    }
  };
  const pings: number[] = [];
  for (let k = 0; k < PINGS; k++) {
    const t = performance.now();
    await clients[0].ping();
    pings.push(performance.now() - t);
  }
  const share = (i: number) => Math.floor(c.iterations / c.connections) + (i < c.iterations % c.connections ? 1 : 0);

  const warmDeadline = performance.now() + c.maxSeconds * 1000;
  await Promise.all(clients.map(async (client) => {
    for (let k = 0; k < c.warmup && performance.now() < warmDeadline; k++) await search(client, false);
  }));
  next = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const deadline = t0 + c.maxSeconds * 1000;
  let done = 0;
  let timedOut = false;
  await Promise.all(clients.map(async (client, i) => {
    for (let k = 0; k < share(i); k++) {
      if (performance.now() > deadline) {
        timedOut = true;
        return;
      }
      await search(client, true);
      done++;
    }
  }));
  const wallS = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  for (const client of clients) client.close();
  const result: SearcherResult = {
    kinds: Object.fromEntries(SEARCH_KINDS.map((k) => [k, latencyStats(lat[k])])) as Record<SearchKind, LatencyStats>,
    overall: latencyStats(all),
    pingP50: latencyStats(pings).p50,
    overProbe: all.filter((ms) => ms > PROBE_DROP_MS).length,
    hits: Object.fromEntries(SEARCH_KINDS.map((k) => [k, lat[k].length ? hitCount[k] / lat[k].length : NaN])) as Record<SearchKind, number>,
    iterations: done,
    wallS,
    clientCpuS: (cpu.user + cpu.system) / 1e6,
    timedOut,
    badReplies,
    badExamples: bad,
  };
  await emit({ event: 'result', ...result });
  process.exit(0);
}

main().catch(async (err) => {
  await emit({ event: 'error', error: `search-client: ${(err as Error).stack ?? err}` });
  process.exit(1);
});
