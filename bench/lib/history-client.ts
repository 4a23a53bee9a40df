/**
 * The paging client of the history benchmark, a child process (started by bench/lib/history-pages.ts):
 *
 *   node dist/bench/lib/history-client.js '<PagerConfig as JSON>'
 *
 * Connects `connections` guests with the SDK (presence off), each joins the room, then pages it: per
 * iteration the newest page, a page `before` a random seq and a page `after` another, one request in
 * flight per connection; the latency of a page is from the request to its reply, as the SDK's caller sees
 * it. Every page is checked against the room (limit messages, the expected seqs, `hasMore`). Prints one
 * line of JSON (PagerResult) and exits 0; exits 1 with the reason on stderr. Exits when its stdin closes
 * (the bench is gone) and has a hard deadline.
 */
import WebSocket from 'ws';
import { ChatClient, type ChatClientOptions, type MsgEvent } from '../../src/client/index.js';
import { PAGE_KINDS, type PageKind } from './history-backend.js';
import type { LatencyStats, PagerConfig, PagerResult } from './history-pages.js';
import { pct } from './lab.js';

const cfg = JSON.parse(process.argv[2] ?? 'null') as PagerConfig | null;
if (!cfg) {
  console.error('usage: history-client.js <PagerConfig JSON>');
  process.exit(2);
}
process.stdin.on('end', () => process.exit(3));
process.stdin.resume();
// Connecting and joining get 30 s; the measured part its maxSeconds (checked between pages).
setTimeout(() => {
  console.error(`history-client: hard deadline (${cfg.maxSeconds + 45} s) reached`);
  process.exit(1);
}, (cfg.maxSeconds + 45) * 1000).unref();

/** Uniform cursor with a full page on both sides. */
const cursor = (): number => cfg.limit + 1 + Math.floor(Math.random() * (cfg.lastSeq - 2 * cfg.limit));

/** What the page of `kind` at `seq` must hold: its first seq and its hasMore. */
function expected(kind: PageKind, seq: number): { first: number; hasMore: boolean } {
  if (kind === 'newest') return { first: cfg!.lastSeq - cfg!.limit + 1, hasMore: cfg!.lastSeq > cfg!.limit };
  if (kind === 'before') return { first: seq - cfg!.limit, hasMore: seq - cfg!.limit > 1 };
  return { first: seq + 1, hasMore: seq + cfg!.limit < cfg!.lastSeq };
}

function checkPage(kind: PageKind, seq: number, page: { messages: MsgEvent[]; hasMore: boolean }): string | null {
  const want = expected(kind, seq);
  const got = page.messages;
  const contiguous = got.every((m, i) => m.seq === want.first + i && m.room === cfg!.room);
  if (got.length === cfg!.limit && contiguous && page.hasMore === want.hasMore) return null;
  return `${kind}${kind === 'newest' ? '' : ` ${seq}`}: ${got.length} messages, seqs ${got[0]?.seq}..${got[got.length - 1]?.seq}, hasMore ${page.hasMore} (want ${cfg!.limit} from ${want.first}, hasMore ${want.hasMore})`;
}

function stats(xs: number[]): LatencyStats {
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

async function connect(i: number): Promise<ChatClient> {
  const client = new ChatClient({
    url: cfg!.url,
    WebSocket: WebSocket as unknown as ChatClientOptions['WebSocket'],
    auth: { kind: 'guest', name: `pager${i}` },
    presence: false,
    requestTimeoutMs: 10_000,
  });
  await client.connect();
  await client.join(cfg!.room);
  return client;
}

async function main(): Promise<void> {
  const c = cfg!;
  const clients = await Promise.all(Array.from({ length: c.connections }, (_, i) => connect(i)));
  const lat: Record<PageKind, number[]> = { newest: [], before: [], after: [] };
  const bad: string[] = [];
  let badPages = 0;
  let done = 0;
  let timedOut = false;
  let deadline = Infinity;
  const page = async (client: ChatClient, kind: PageKind, keep: boolean): Promise<void> => {
    const seq = cursor();
    const opts = kind === 'newest' ? { limit: c.limit } : kind === 'before' ? { before: seq, limit: c.limit } : { after: seq, limit: c.limit };
    const t0 = performance.now();
    const got = await client.history(c.room, opts);
    const ms = performance.now() - t0;
    const wrong = checkPage(kind, seq, got);
    if (wrong) {
      badPages++;
      if (bad.length < 5) bad.push(wrong);
    }
    if (keep) lat[kind].push(ms);
  };
  const share = (i: number) => Math.floor(c.iterations / c.connections) + (i < c.iterations % c.connections ? 1 : 0);

  await Promise.all(clients.map(async (client) => {
    for (let k = 0; k < c.warmup; k++) for (const kind of PAGE_KINDS) await page(client, kind, false);
  }));
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  deadline = t0 + c.maxSeconds * 1000;
  await Promise.all(clients.map(async (client, i) => {
    for (let k = 0; k < share(i); k++) {
      if (performance.now() > deadline) {
        timedOut = true;
        return;
      }
      for (const kind of PAGE_KINDS) await page(client, kind, true);
      done++;
    }
  }));
  const wallS = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  for (const client of clients) client.close();
  const kinds = Object.fromEntries(PAGE_KINDS.map((k) => [k, stats(lat[k])])) as Record<PageKind, LatencyStats>;
  const result: PagerResult = { kinds, iterations: done, wallS, clientCpuS: (cpu.user + cpu.system) / 1e6, timedOut, badPages, badExamples: bad };
  process.stdout.write(`${JSON.stringify(result)}\n`, () => process.exit(0));
}

main().catch((err) => {
  console.error(`history-client: ${(err as Error).stack ?? err}`);
  process.exit(1);
});
