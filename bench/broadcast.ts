/**
 * `npm run bench:broadcast`: one message to every one of many connections; how long until the first
 * and the last connection has it.
 *
 *   npx tsc -p . && npm run bench:broadcast             # 10,000 connections, 20 broadcasts, 2 runs
 *   npm run bench:broadcast -- --quick                  # 1,000 connections, 5 broadcasts; prints only
 *
 * Each run: a fresh scale-chat server (SQLite, persistence on) pinned to core 0 without a quota;
 * --connections receivers spread over --procs child processes (bench/lib/perf-bcast-worker.ts,
 * pinned with --gen-cpus, at most 18,000 per process for the 20,000-file limit), each connection
 * bound to one of the --addrs local addresses (~28k ports each), a guest with `presence: false` in
 * `general` (every user's room: no joins, so no member events, and no presence diffs either: only the
 * message is measured). A sender connection in this process then sends --repeats messages to
 * `general`, one at a time, --gap apart (after an unmeasured warm-up one); each receiver stamps the
 * frame's arrival (us since the epoch, one clock for all processes). Per broadcast: the time from
 * the send call to the first, the median, the 99th percentile and the last connection; the sender's
 * ack time (after the commit); the server main thread's CPU and when it was done writing
 * (bench/lib/perf-busy.ts: its schedstat run time polled every ~1 ms). A broadcast during which the
 * receivers' processes kept their cores busy (>= 90%) and the last connection came over a quarter
 * of its time after the server was done writing is flagged: then the last times are the receivers'.
 *
 * Flags: --runs 2  --connections 10000  --repeats 20  --gap 1s  --procs (default: one per 5,000)
 *        --addrs 127.0.0.2-127.0.0.5  --connect-rate 1000  --gen-cpus 1 ("" for unpinned)
 *        --timeout 20s (per broadcast)  --quick  --docs <file> (default docs/benchmarks.md; a --quick
 *        run writes nothing without it)  --help
 * Writes bench/results/broadcast-<stamp>.json and the "broadcast" section of docs/benchmarks.md.
 */
import { cpus } from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { nowUs } from '../src/loadtest/slot.js';
import { benchArgs } from './cli-args.js';
import { commandLine, provenance } from './lib/doc.js';
import { pct, sleep, startServer, stop, type Server } from './lib/lab.js';
import { BusyWatch } from './lib/perf-busy.js';
import { JsonChild } from './lib/perf-child.js';
import { FlagReader, usageExit } from './lib/perf-flags.js';
import { fmt1, fmtInt, fmtMs, generatorLine, loadNote, mdTable, medianOf, publish } from './lib/perf-report.js';

const PER_PROC_MAX = 18_000;
const BUSY_PCT = 90;
/** Share of the last connection's time after the server was done writing beyond which busy receivers set the pace. */
const LAG_SHARE = 0.25;

/** The receivers, not the server, set this broadcast's pace: they were busy and the last frames came well after the server's writes. */
function receiverLimited(r: Round): boolean {
  return r.genBusyPct >= BUSY_PCT && r.lastMs - r.serverDoneMs > LAG_SHARE * r.lastMs;
}

const a = benchArgs(import.meta.url, ['runs', 'connections', 'repeats', 'gap', 'procs', 'addrs', 'connect-rate', 'gen-cpus', 'timeout', 'docs'], ['quick']);
const f = new FlagReader('bench:broadcast', a.str);
const quick = a.bool('quick');
const runs = f.int('runs', 2, 1, 10);
const connections = f.int('connections', quick ? 1000 : 10_000, 1, 200_000);
const repeats = f.int('repeats', quick ? 5 : 20, 1, 1000);
const gapS = f.seconds('gap', 1, 0, 60);
const procs = f.int('procs', Math.max(1, Math.ceil(connections / 5000)), Math.ceil(connections / PER_PROC_MAX), 64);
const connectRate = f.num('connect-rate', 1000, 1, 100_000);
const genCpus = f.str('gen-cpus', '1');
const timeoutS = f.seconds('timeout', 20, 1, 600);
const docsFile = a.str('docs') ? path.resolve(a.str('docs')!) : undefined;
const addrs = addressRange(f.str('addrs', '127.0.0.2-127.0.0.5'));
if (cpus().length < 2) usageExit('bench:broadcast', 'needs 2 cores: the server on core 0, the receivers on core 1');
/** Cores the receivers may use: those of --gen-cpus, or all but the server's. */
const genCores = genCpus ? cpuCount(genCpus) : cpus().length - 1;

function addressRange(spec: string): string[] {
  const m = /^(\d+\.\d+\.\d+\.)(\d+)(?:-\1?(\d+))?$/.exec(spec.trim());
  const from = m ? Number(m[2]) : NaN;
  const to = m?.[3] !== undefined ? Number(m[3]) : from;
  if (!m || !(from >= 1 && to >= from && to <= 254)) usageExit('bench:broadcast', `--addrs: a local address or a range like 127.0.0.2-127.0.0.5, got "${spec}"`);
  return Array.from({ length: to - from + 1 }, (_, i) => `${m[1]}${from + i}`);
}

function cpuCount(list: string): number {
  return list.split(',').reduce((n, part) => {
    const [lo, hi] = part.split('-').map(Number);
    return n + (hi === undefined ? 1 : hi - lo + 1);
  }, 0);
}

interface Round {
  k: number;
  firstMs: number;
  p50Ms: number;
  p99Ms: number;
  lastMs: number;
  ackMs: number;
  received: number;
  missing: number;
  /** The server's main-thread CPU over the broadcast (ns clock), ms. */
  serverCpuMs: number;
  /** When (ms after the send) the server's main thread last ran for more than 0.2 ms in a 1-ms poll: its writes were done. */
  serverDoneMs: number;
  /** The receivers' CPU over their receive span, % of the cores they may use. */
  genBusyPct: number;
}

/** The sender: one guest connection in `general`; `send(k)` resolves with its ack time (ms). */
class Sender {
  private acks = new Map<string, () => void>();
  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => {
      const s = data.toString('latin1');
      for (const [id, done] of this.acks) if (s.includes(`{"type":"ack","id":"${id}"`)) done();
    });
  }

  static async open(url: string, tag: string): Promise<Sender> {
    const ws = new WebSocket(url, { perMessageDeflate: false, maxPayload: 64 * 1024 * 1024 });
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('sender: no welcome within 15 s')), 15_000);
      ws.once('error', reject);
      ws.once('open', () => ws.send(JSON.stringify({ type: 'hello', v: 1, auth: { kind: 'guest', name: `bs${tag}` }, presence: false })));
      ws.on('message', function first(data: Buffer) {
        if (!data.toString('latin1').includes('"type":"welcome"')) return;
        ws.off('message', first);
        clearTimeout(t);
        resolve();
      });
    });
    return new Sender(ws);
  }

  /** Sends message k; returns the send time (us since the epoch) and a promise of the ack time in ms. */
  send(id: string, text: string): { atUs: number; ack: Promise<number> } {
    const ack = new Promise<number>((resolve) => {
      const t = setTimeout(() => resolve(NaN), timeoutS * 1000);
      this.acks.set(id, () => {
        clearTimeout(t);
        this.acks.delete(id);
        resolve((nowUs() - atUs) / 1000);
      });
    });
    const atUs = nowUs();
    this.ws.send(JSON.stringify({ type: 'send', id, room: 'general', text }));
    return { atUs, ack };
  }

  close(): void {
    this.ws.terminate();
  }
}

async function broadcastOnce(server: Server, sender: Sender, workers: JsonChild[], tag: string, k: number): Promise<Round> {
  const watch = new BusyWatch(server.pid);
  watch.start();
  const { atUs, ack } = sender.send(`bc${tag}-${k}`, `broadcast ${k} to ${connections}`);
  /** The worker's report of broadcast k (a late report of an earlier one is dropped). */
  const gotK = async (w: JsonChild, ms: number) => {
    const until = Date.now() + ms;
    for (;;) {
      const l = await w.next('got', Math.max(1, until - Date.now()));
      if (l.k === k) return l;
    }
  };
  const lines = await Promise.all(
    workers.map(async (w) => {
      try {
        return await gotK(w, timeoutS * 1000);
      } catch (err) {
        if (w.proc.exitCode !== null) throw err;
        w.proc.stdin!.write(`flush ${k}\n`);
        return gotK(w, 5000);
      }
    }),
  );
  const { cpuMs: serverCpuMs, busyUntilMs: serverDoneMs } = watch.stop();
  const lat = lines.flatMap((l) => (l.times as number[]).map((t) => (t - atUs) / 1000)).sort((x, y) => x - y);
  const missing = lines.reduce((n, l) => n + (l.missing as number), 0);
  const busy = lines.reduce((n, l) => n + (l.busyPct as number), 0) / genCores;
  return { k, firstMs: lat[0] ?? NaN, p50Ms: pct(lat, 50), p99Ms: pct(lat, 99), lastMs: lat[lat.length - 1] ?? NaN, ackMs: await ack, received: lat.length, missing, serverCpuMs, serverDoneMs, genBusyPct: busy };
}

async function oneRun(run: number): Promise<Round[]> {
  const tag = Math.random().toString(36).slice(2, 6);
  const server = await startServer('scale-chat');
  const workers: JsonChild[] = [];
  let sender: Sender | null = null;
  try {
    const per = Math.ceil(connections / procs);
    for (let w = 0, first = 0; w < procs && first < connections; w++, first += per) {
      const count = Math.min(per, connections - first);
      workers.push(new JsonChild('perf-bcast-worker.js', ['--url', server.url, '--count', String(count), '--first', String(first), '--tag', tag, '--addrs', addrs.join(','), '--connect-rate', String(connectRate / procs), '--max-lifetime-s', String(Math.round(connections / connectRate + 120 + (repeats + 1) * (gapS + timeoutS)))], genCpus));
    }
    const t0 = performance.now();
    const ready = await Promise.all(workers.map((w) => w.next('ready', (connections / connectRate + 90) * 1000)));
    const failed = ready.reduce((n, l) => n + (l.failed as number), 0);
    if (failed > 0) throw new Error(`${failed} of ${connections} receivers could not connect`);
    console.log(`run ${run}: ${fmtInt(connections)} receivers connected in ${fmt1((performance.now() - t0) / 1000)} s over ${workers.length} processes`);
    sender = await Sender.open(server.url, tag);
    await sleep(1000);
    const rounds: Round[] = [];
    for (let k = 0; k <= repeats; k++) {
      const r = await broadcastOnce(server, sender, workers, tag, k);
      if (k > 0) {
        rounds.push(r);
        console.log(`run ${run} broadcast ${k}: first ${fmtMs(r.firstMs)} p50 ${fmtMs(r.p50Ms)} p99 ${fmtMs(r.p99Ms)} last ${fmtMs(r.lastMs)} ms, ack ${fmtMs(r.ackMs)} ms, ${r.missing ? `${r.missing} missing, ` : ''}server done at ${fmtMs(r.serverDoneMs)} ms, ${fmt1(r.serverCpuMs)} ms CPU, receivers ${fmt1(r.genBusyPct)}% busy`);
      }
      await sleep(gapS * 1000);
    }
    if (server.proc.exitCode !== null) throw new Error(`the server exited during the run: ${server.stderr.join(' | ')}`);
    return rounds;
  } finally {
    sender?.close();
    await Promise.all(workers.map((w) => w.end()));
    await stop(server.proc);
  }
}

async function main(): Promise<void> {
  const started = new Date();
  const load = loadNote();
  console.log(`bench:broadcast: ${fmtInt(connections)} connections over ${procs} processes (${genCpus ? `core ${genCpus}` : 'unpinned'}), ${repeats} broadcasts ${gapS} s apart, ${runs} runs${load}`);
  const byRun: Round[][] = [];
  for (let run = 1; run <= runs; run++) byRun.push(await oneRun(run));
  const all = byRun.flat();
  const dist = (rs: Round[], g: (r: Round) => number) => {
    const v = rs.map(g).filter(Number.isFinite).sort((x, y) => x - y);
    return `${fmtMs(pct(v, 50))} / ${fmtMs(pct(v, 99))} / ${fmtMs(v[v.length - 1])}`;
  };
  const rowOf = (label: string, rs: Round[]) => [
    label,
    dist(rs, (r) => r.firstMs),
    dist(rs, (r) => r.p50Ms),
    dist(rs, (r) => r.p99Ms),
    `**${dist(rs, (r) => r.lastMs)}**`,
    dist(rs, (r) => r.serverDoneMs),
    dist(rs, (r) => r.ackMs),
    fmt1(medianOf(rs, (r) => r.serverCpuMs)),
    fmt1(medianOf(rs, (r) => (r.serverCpuMs * 1000) / Math.max(1, r.received))),
    fmtInt(rs.reduce((n, r) => n + r.missing, 0)),
  ];
  const table = mdTable(
    ['', 'first connection (ms)', 'median connection (ms)', '99th pct connection (ms)', 'last connection (ms)', 'server done writing (ms)', 'sender ack (ms)', 'server main-thread CPU per broadcast (ms)', 'per delivery (us)', 'missing'],
    [...byRun.map((rs, i) => rowOf(`run ${i + 1} (${rs.length} broadcasts)`, rs)), rowOf('all runs', all)],
  );
  const busy = all.filter(receiverLimited);
  const genFlags = byRun.flatMap((rs, i) => {
    const n = rs.filter(receiverLimited).length;
    return n ? [{ run: i + 1, why: `${n} of ${rs.length} broadcasts: the receivers kept their core(s) >= ${BUSY_PCT}% busy and the last connection came over ${LAG_SHARE * 100}% of its time after the server was done writing` }] : [];
  });
  const cmd = commandLine('broadcast');
  const markdown = `## Broadcast to every connection (\`npm run bench:broadcast\`)

${provenance(cmd, started, load)}

Method: ${runs} run${runs > 1 ? 's' : ''}, each on a fresh server (SQLite, persistence on) pinned to core 0 without a quota. ${fmtInt(connections)} receiver connections in ${procs} child
process${procs > 1 ? 'es' : ''} ${genCpus ? `pinned to core ${genCpus}` : 'unpinned'}, bound to local addresses ${addrs[0]}-${addrs[addrs.length - 1]}, each a guest in \`general\` (every user's room: no joins, no member events)
that said \`hello\` with \`presence: false\`, so no presence diffs reach it: only the message is measured. One sender sends ${repeats} messages to
\`general\`, one at a time, ${gapS} s apart, after one unmeasured warm-up; each receiver stamps the frame's arrival (one clock for all processes).
Per broadcast: time from the send call to the first, median, 99th-percentile and last connection; the sender's ack (after the commit); the server's
main-thread CPU (its /proc schedstat run time, ns) and when it was done writing (the last ~1 ms poll in which that thread ran over 0.2 ms).
When the last connection comes well after "server done writing", the receivers' reading set the pace. Each cell is p50 / p99 / max over the
broadcasts of that row.

${table}

${generatorLine(genFlags, `The receivers were not the bottleneck in any broadcast (never both >= ${BUSY_PCT}% busy while reading and the last connection over ${LAG_SHARE * 100}% of its time after the server was done writing).`)}${busy.length ? ' In flagged broadcasts the last connection\'s time includes the receivers\' own queueing.' : ''}

No peer is measured: the issue names none for this figure, and it sets no target for it.

Raw result: \`{{RESULT}}\`.`;
  publish('broadcast', markdown, { bench: 'broadcast', command: cmd, started: started.toISOString(), workload: { connections, repeats, gapS, procs, addrs, connectRate, genCpus }, runs: byRun }, { quick, docsFile });
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(`bench:broadcast: ${(err as Error).stack ?? err}`);
    process.exit(1);
  },
);
