/**
 * `npm run soak`: a long steady run at moderate load on one scale-chat node (--mode single) or on a
 * cluster (--mode cluster), sampling every few seconds each server process (RSS and open file
 * descriptors from /proc, heap and event-loop delay from its /metrics) and the database size, then a
 * chart and the verdicts: memory is flat once warm (no growth beyond the tolerance between the first and
 * last thirds of the warm window), per node, and latency does not drift (the last third's per-second
 * p99 within 1.5x + 5 ms of the first third's), and nothing was lost.
 *
 *   npx tsc -p . && npm run soak                       # 30 minutes, 500 clients, 0.5 msg/s each
 *   npm run soak -- --duration 3m --clients 200        # a short one
 *   npm run soak -- --mode cluster --duration 3m --clients 200 --rooms 20
 *
 * Single mode: the server (SQLite on a temp data dir) is pinned to core 0 and `scale-chat loadtest` to
 * core 1, as in the other benchmarks (bench/lib/lab.ts, bench/lib/perf-loadtest.ts); the database size
 * is that of its database and WAL files. Cluster mode: --nodes nodes on Redis and PostgreSQL behind
 * nginx running deploy/nginx.conf (bench/lib/soak-cluster.ts, the multi-node tests' helpers, nothing
 * pinned), the loadtest connecting through nginx; the database size is PostgreSQL's pg_database_size,
 * and Redis's used memory (INFO memory) is sampled beside. Every node gets its own verdicts and its own
 * line in the chart. (runLoadtest scrapes the first node, for its CPU window, every 2 s besides: its
 * event-loop delay, which each scrape resets, covers shorter intervals than the other nodes'.)
 * The verdicts are in bench/lib/soak-trend.ts. Exit code 1 when a verdict fails or the load test lost
 * messages.
 *
 * Flags: --mode single|cluster  --nodes 3 (cluster mode)  --duration 30m  --clients 500  --rooms 50
 *        --rate 0.5 (msgs/s per client)  --sample 5s
 *        --warm (default: 10% of the duration, at least 60 s but at most half of it; excluded from the verdicts)
 *        --rss-tolerance 16 (MB between the thirds; or 5% of the first third, whichever is larger)
 *        --heap-tolerance 8 (MB)  --gen-cpus (the loadtest's cores; default 1 in single mode, unpinned
 *        in cluster mode)  --out <dir> (default: a new temp dir)
 *        --help
 * Writes <out>/soak.json (every sample and the verdicts) and <out>/soak.png (the chart).
 */
import { readdirSync, readFileSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { TopLevelSpec } from 'vega-lite';
import { specToPng } from '../src/loadtest/report/render.js';
import { benchArgs } from './cli-args.js';
import { clusterMissing, guardClusterExit } from './lib/cluster-procs.js';
import { dropTemp, rssBytes, startServer, stop, tempDir } from './lib/lab.js';
import { counterOf } from './lib/perf-sampler.js';
import { FlagReader, usageExit } from './lib/perf-flags.js';
import { runLoadtest, type LoadTarget } from './lib/perf-loadtest.js';
import { startSoakCluster } from './lib/soak-cluster.js';
import { drift, nodeVerdicts, type ProcSample, type SoakSample, type Trend } from './lib/soak-trend.js';

const NAME = 'soak';
const a = benchArgs(import.meta.url, ['mode', 'nodes', 'duration', 'clients', 'rooms', 'rate', 'sample', 'warm', 'rss-tolerance', 'heap-tolerance', 'gen-cpus', 'out']);
const f = new FlagReader(NAME, a.str);
const mode = f.str('mode', 'single');
if (mode !== 'single' && mode !== 'cluster') usageExit(NAME, `--mode: single or cluster, got "${mode}"`);
const cluster = mode === 'cluster';
if (!cluster && a.str('nodes') !== undefined) usageExit(NAME, '--nodes is for --mode cluster');
const nodeCount = cluster ? f.int('nodes', 3, 2, 8) : 1;
const durationS = f.seconds('duration', 30 * 60, 30, 24 * 3600);
const clients = f.int('clients', 500, 2, 18_000);
const rooms = f.int('rooms', 50, 1, 10_000);
const rate = f.num('rate', 0.5, 0.01, 100);
const sampleS = f.seconds('sample', 5, 1, 600);
// At most half the run: a short run's warm-up of 60 s would leave no samples to judge.
const warmS = f.seconds('warm', Math.min(Math.round(durationS / 2), Math.max(60, Math.round(durationS * 0.1))), 0, durationS);
const rssTolMb = f.num('rss-tolerance', 16, 0, 100_000);
const heapTolMb = f.num('heap-tolerance', 8, 0, 100_000);
const genCpus = f.str('gen-cpus', cluster ? '' : '1');
if (cluster) {
  const missing = clusterMissing();
  if (missing) usageExit(NAME, `--mode cluster: ${missing}`);
}
const out = a.str('out') ? path.resolve(a.str('out')!) : tempDir('scale-chat-soak-');
mkdirSync(out, { recursive: true });

const MB = 1024 * 1024;
const where = cluster ? `${nodeCount} nodes behind nginx (Redis, PostgreSQL)` : 'one node (SQLite)';

/** What the soak runs against: the load's target, the server processes it samples, and the stores. */
interface Rig {
  target: LoadTarget;
  /** The server processes, by node (single mode: one). */
  nodes: { name: string; http: string; pid(): number | undefined }[];
  stores(): Promise<Omit<SoakSample, 't' | 'nodes'>>;
  /** The database panel's title and series, and what the end-of-run line calls it. */
  db: { panel: string; series: string; what: string };
  close(): Promise<void>;
}

function dbMb(dir: string): number {
  let bytes = 0;
  for (const name of readdirSync(dir)) if (/\.db(-wal)?$/.test(name)) bytes += statSync(path.join(dir, name)).size;
  return bytes / MB;
}

async function singleRig(): Promise<Rig> {
  const server = await startServer('scale-chat');
  return {
    target: server,
    nodes: [{ name: 'server', http: server.http, pid: () => server.pid }],
    stores: async () => {
      try {
        return { dbMb: dbMb(server.dataDir!) };
      } catch {
        return { dbMb: NaN };
      }
    },
    db: { panel: 'database files (MB)', series: 'db + wal', what: 'database files' },
    async close() {
      await stop(server.proc);
      dropTemp(server.dataDir!);
    },
  };
}

let stopCluster: (() => Promise<void>) | null = null;

async function clusterRig(): Promise<Rig> {
  const c = await startSoakCluster({ nodes: nodeCount, flags: { maxConnections: clients + 1000 }, log: (m) => console.log(`soak: ${m}`) });
  stopCluster = c.cleanup;
  return {
    target: c.target,
    nodes: c.nodes.map((n, i) => ({ name: `node ${i + 1}`, http: n.http, pid: () => n.pid })),
    stores: async () => {
      const s = await c.stores();
      return { dbMb: s.pgMb, redisMb: s.redisMb, redisRssMb: s.redisRssMb };
    },
    db: { panel: 'PostgreSQL database (MB)', series: 'pg_database_size', what: 'PostgreSQL database' },
    close: c.cleanup,
  };
}

if (cluster) guardClusterExit('soak', () => stopCluster?.());

function openFds(pid: number): number {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return NaN;
  }
}

/** One server process now; null when its /metrics did not answer within 3 s or it is gone. */
async function probe(n: Rig['nodes'][number]): Promise<ProcSample | null> {
  try {
    const body = await (await fetch(`${n.http}/metrics`, { signal: AbortSignal.timeout(3000) })).text();
    const pid = n.pid();
    if (pid === undefined) return null;
    return {
      rssMb: rssBytes(pid) / MB,
      heapUsedMb: counterOf(body, 'scalechat_nodejs_heap_size_used_bytes') / MB,
      lagP99Ms: counterOf(body, 'scalechat_nodejs_eventloop_lag_p99_seconds') * 1000,
      lagMaxMs: counterOf(body, 'scalechat_nodejs_eventloop_lag_max_seconds') * 1000,
      openFds: openFds(pid),
      connections: counterOf(body, 'scalechat_connections'),
    };
  } catch {
    return null;
  }
}

/** The loadtest's seconds (timeseries.csv, docs/loadtest.md): per-second p99 and when sending ended. */
function loadSeconds(dir: string): { lat: { t: number; p99Ms: number }[]; sendEndS: number } {
  const [head, ...rows] = readFileSync(path.join(dir, 'timeseries.csv'), 'utf8').trim().split('\n');
  const cols = head.split(',');
  const [ti, pi, si] = ['elapsed_s', 'p99_ms', 'send_per_s'].map((c) => cols.indexOf(c));
  const parsed = rows.map((r) => r.split(',')).map((c) => ({ t: Number(c[ti]), p99Ms: Number(c[pi]), sending: Number(c[si]) > 0 }));
  const sendEndS = Math.max(0, ...parsed.filter((p) => p.sending).map((p) => p.t));
  return { lat: parsed.filter((p) => Number.isFinite(p.p99Ms) && p.p99Ms > 0).map(({ t, p99Ms }) => ({ t, p99Ms })), sendEndS };
}

const PROC_PANELS: [string, (p: ProcSample) => number][] = [
  ['RSS (MB)', (p) => p.rssMb],
  ['heap used (MB)', (p) => p.heapUsedMb],
  ['event-loop p99 (ms)', (p) => p.lagP99Ms],
  ['open files', (p) => p.openFds],
];
const LAT_PANEL = 'delivery p99 per s (ms)';
const REDIS_PANEL = 'Redis memory (MB)';

function chart(rig: Rig, samples: SoakSample[], lat: { t: number; p99Ms: number }[]): TopLevelSpec {
  const rows: { panel: string; series: string; t: number; v: number }[] = [];
  // A missed value (a node or store that did not answer in time) is left out of its line.
  const put = (panel: string, series: string, t: number, v: number | undefined) => {
    if (v !== undefined && Number.isFinite(v)) rows.push({ panel, series, t: t / 60, v });
  };
  for (const s of samples) {
    s.nodes.forEach((n, i) => {
      if (n) for (const [panel, v] of PROC_PANELS) put(panel, rig.nodes[i].name, s.t, v(n));
    });
    put(rig.db.panel, rig.db.series, s.t, s.dbMb);
    put(REDIS_PANEL, 'used_memory', s.t, s.redisMb);
    put(REDIS_PANEL, 'used_memory_rss', s.t, s.redisRssMb);
  }
  for (const p of lat) put(LAT_PANEL, 'p99', p.t, p.p99Ms);
  const [rss, heap, lag, fds] = PROC_PANELS.map(([p]) => p);
  const panels = [rss, heap, lag, LAT_PANEL, fds, rig.db.panel, REDIS_PANEL].filter((p) => rows.some((r) => r.panel === p));
  return {
    title: { text: `Soak: ${clients} clients, ${rate} msg/s each, ${durationS >= 300 ? `${Math.round(durationS / 60)} min` : `${durationS} s`}`, subtitle: `${where}; warm-up (excluded from the verdicts): ${warmS} s` },
    data: { values: rows },
    facet: { row: { field: 'panel', type: 'nominal', title: null, sort: panels } },
    spec: {
      width: 760,
      height: 130,
      mark: { type: 'line', strokeWidth: 1.2 },
      encoding: {
        x: { field: 't', type: 'quantitative', title: 'minutes' },
        y: { field: 'v', type: 'quantitative', title: null },
        color: { field: 'series', type: 'nominal', title: null },
      },
    },
    resolve: { scale: { y: 'independent' } },
  } as TopLevelSpec;
}

const mark = (ok: boolean) => (ok ? 'ok  ' : 'FAIL');
const fmtTrend = (name: string, t: Trend, unit: string) =>
  `${mark(t.ok)} ${name}: first third ${t.first.toFixed(1)} ${unit}, last third ${t.last.toFixed(1)} ${unit} (growth ${t.growth.toFixed(1)}, slope ${t.perHour.toFixed(1)} ${unit}/h)`;
const lastOf = (samples: SoakSample[], v: (s: SoakSample) => number | undefined) => samples.map(v).filter((x): x is number => x !== undefined && Number.isFinite(x)).at(-1) ?? NaN;

async function main(): Promise<void> {
  console.log(`soak: ${where}; ${clients} clients in ${rooms} rooms, ${rate} msg/s each, ${durationS} s, sample every ${sampleS} s, warm-up ${warmS} s; files in ${out}`);
  const rig = cluster ? await clusterRig() : await singleRig();
  const samples: SoakSample[] = [];
  let t0 = 0;
  let sampling = false;
  const sample = async () => {
    if (sampling || !t0) return;
    sampling = true;
    try {
      const t = (performance.now() - t0) / 1000;
      const [nodes, stores] = await Promise.all([Promise.all(rig.nodes.map(probe)), rig.stores()]);
      samples.push({ t, nodes, ...stores });
    } finally {
      sampling = false;
    }
  };
  const timer = setInterval(() => void sample(), sampleS * 1000);
  try {
    t0 = performance.now();
    const run = await runLoadtest(rig.target, {
      dir: path.join(out, 'load'),
      durationS,
      cpus: genCpus,
      connectS: clients / 300 + 30,
      args: ['--name', 'soak', '--clients', String(clients), '--rooms', String(rooms), '--rate', String(rate), '--duration', `${durationS}s`, '--events-sample', '0', '--ack-timeout', '15s', '--drain-timeout', '15s'],
    });
    clearInterval(timer);
    // The verdicts look at the sending window only: the clients leaving at the end is not a trend.
    const { lat: allLat, sendEndS } = loadSeconds(run.dir);
    const steady = samples.filter((s) => s.t <= sendEndS);
    const lat = allLat.filter((p) => p.t <= sendEndS);
    const perNode = nodeVerdicts(steady, rig.nodes.length, warmS, rssTolMb, heapTolMb);
    const latency = drift(lat, warmS);
    const m = run.summary.messages;
    const lossFree = m.lost === 0 && m.duplicates === 0 && m.acked === m.sent;
    const verdicts = { nodes: perNode.map((v, i) => ({ name: rig.nodes[i].name, ...v })), latency, lossFree };
    const passed = perNode.every((v) => v.rss.ok && v.heap.ok && v.fds.ok) && latency.ok && lossFree;
    writeFileSync(
      path.join(out, 'soak.json'),
      JSON.stringify({ command: process.argv.slice(2), mode, nodes: nodeCount, clients, rooms, rate, durationS, warmS, sendEndS, passed, verdicts, summary: run.summary, samples, latency: lat }, null, 2) + '\n',
    );
    writeFileSync(path.join(out, 'soak.png'), await specToPng(chart(rig, samples, allLat)));
    console.log(`${samples.length} samples; messages: ${m.sent} sent, ${m.acked} acked, ${m.delivered} delivered, ${m.lost} lost, ${m.duplicates} duplicates`);
    // One line per node per verdict; single mode names no node.
    const who = (i: number) => (cluster ? `${rig.nodes[i].name} ` : '');
    for (const [key, label, unit] of [['rss', 'RSS', 'MB'], ['heap', 'heap used', 'MB'], ['fds', 'open fds', '']] as const) {
      perNode.forEach((v, i) => console.log(fmtTrend(`${who(i)}${label}`, v[key], unit)));
    }
    console.log(`${mark(latency.ok)} latency drift: per-second p99 ${latency.first.toFixed(1)} ms in the first third, ${latency.last.toFixed(1)} ms in the last`);
    console.log(`${mark(lossFree)} no loss: every send acked, delivered once`);
    const db = lastOf(samples, (s) => s.dbMb);
    if (Number.isFinite(db)) console.log(`${rig.db.what} at the end: ${db.toFixed(1)} MB for ${m.acked} messages`);
    if (cluster) console.log(`Redis at the end: used_memory ${lastOf(samples, (s) => s.redisMb).toFixed(1)} MB, used_memory_rss ${lastOf(samples, (s) => s.redisRssMb).toFixed(1)} MB`);
    console.log(`${passed ? 'PASSED' : 'FAILED'}: ${path.join(out, 'soak.json')}, ${path.join(out, 'soak.png')}`);
    process.exitCode = passed ? 0 : 1;
  } finally {
    clearInterval(timer);
    await rig.close();
  }
}

await main();
