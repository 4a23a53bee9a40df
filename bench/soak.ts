/**
 * `npm run soak`: a long steady run at moderate load on one scale-chat node, sampling the server every
 * few seconds (RSS and open file descriptors from /proc, heap and event-loop delay from its /metrics,
 * the size of its database files), then a chart and two verdicts: memory is flat once warm (no growth
 * beyond the tolerance between the first and last thirds of the warm window), and latency does not
 * drift (the last third's per-second p99 within 1.5x + 5 ms of the first third's).
 *
 *   npx tsc -p . && npm run soak                       # 30 minutes, 500 clients, 0.5 msg/s each
 *   npm run soak -- --duration 3m --clients 200        # a short one
 *
 * The server (SQLite on a temp data dir) is pinned to core 0 and `scale-chat loadtest` to core 1, as in
 * the other benchmarks (bench/lib/lab.ts, bench/lib/perf-loadtest.ts). The verdicts are in
 * bench/lib/soak-trend.ts. Exit code 1 when a verdict fails or the load test lost messages.
 *
 * Flags: --duration 30m  --clients 500  --rooms 50  --rate 0.5 (msgs/s per client)  --sample 5s
 *        --warm (default: 10% of the duration, at least 60 s, excluded from the verdicts)
 *        --rss-tolerance 16 (MB between the thirds; or 5% of the first third, whichever is larger)
 *        --heap-tolerance 8 (MB)  --gen-cpus 1  --out <dir> (default: a new temp dir)
 *        --help
 * Writes <out>/soak.json (every sample and the verdicts) and <out>/soak.png (the chart).
 * Not yet: the cluster mode (3 nodes behind nginx with Redis and PostgreSQL), issue 13.
 */
import { readdirSync, readFileSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { TopLevelSpec } from 'vega-lite';
import { specToPng } from '../src/loadtest/report/render.js';
import { benchArgs } from './cli-args.js';
import { dropTemp, rssBytes, startServer, stop, tempDir } from './lib/lab.js';
import { counterOf } from './lib/perf-sampler.js';
import { FlagReader } from './lib/perf-flags.js';
import { runLoadtest } from './lib/perf-loadtest.js';
import { drift, trend, type SoakSample, type Trend } from './lib/soak-trend.js';

const a = benchArgs(import.meta.url, ['duration', 'clients', 'rooms', 'rate', 'sample', 'warm', 'rss-tolerance', 'heap-tolerance', 'gen-cpus', 'out']);
const f = new FlagReader('soak', a.str);
const durationS = f.seconds('duration', 30 * 60, 30, 24 * 3600);
const clients = f.int('clients', 500, 2, 18_000);
const rooms = f.int('rooms', 50, 1, 10_000);
const rate = f.num('rate', 0.5, 0.01, 100);
const sampleS = f.seconds('sample', 5, 1, 600);
const warmS = f.seconds('warm', Math.max(60, Math.round(durationS * 0.1)), 0, durationS);
const rssTolMb = f.num('rss-tolerance', 16, 0, 100_000);
const heapTolMb = f.num('heap-tolerance', 8, 0, 100_000);
const genCpus = f.str('gen-cpus', '1');
const out = a.str('out') ? path.resolve(a.str('out')!) : tempDir('scale-chat-soak-');
mkdirSync(out, { recursive: true });

const MB = 1024 * 1024;

function dbMb(dir: string): number {
  let bytes = 0;
  for (const name of readdirSync(dir)) if (/\.db(-wal)?$/.test(name)) bytes += statSync(path.join(dir, name)).size;
  return bytes / MB;
}

function openFds(pid: number): number {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return NaN;
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

function chart(samples: SoakSample[], lat: { t: number; p99Ms: number }[]): TopLevelSpec {
  const rows = [
    ...samples.flatMap((s) => [
      { panel: 'memory (MB)', series: 'RSS', t: s.t / 60, v: s.rssMb },
      { panel: 'memory (MB)', series: 'heap used', t: s.t / 60, v: s.heapUsedMb },
      { panel: 'event-loop delay (ms)', series: 'p99', t: s.t / 60, v: s.lagP99Ms },
      { panel: 'open files', series: 'fds', t: s.t / 60, v: s.openFds },
      { panel: 'database files (MB)', series: 'db + wal', t: s.t / 60, v: s.dbMb },
    ]),
    ...lat.map((p) => ({ panel: 'delivery latency p99 per second (ms)', series: 'p99', t: p.t / 60, v: p.p99Ms })),
  ];
  return {
    title: { text: `Soak: ${clients} clients, ${rate} msg/s each, ${durationS >= 300 ? `${Math.round(durationS / 60)} min` : `${durationS} s`}`, subtitle: `warm-up (excluded from the verdicts): ${warmS} s` },
    data: { values: rows },
    facet: { row: { field: 'panel', type: 'nominal', title: null, sort: null } },
    spec: {
      width: 760,
      height: 140,
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

const fmtTrend = (name: string, t: Trend, unit: string) =>
  `${t.ok ? 'ok  ' : 'FAIL'} ${name}: first third ${t.first.toFixed(1)} ${unit}, last third ${t.last.toFixed(1)} ${unit} (growth ${t.growth.toFixed(1)}, slope ${t.perHour.toFixed(1)} ${unit}/h)`;

async function main(): Promise<void> {
  console.log(`soak: ${clients} clients in ${rooms} rooms, ${rate} msg/s each, ${durationS} s, sample every ${sampleS} s, warm-up ${warmS} s; files in ${out}`);
  const server = await startServer('scale-chat');
  const samples: SoakSample[] = [];
  let t0 = 0;
  let sampling = false;
  const sample = async () => {
    if (sampling || !t0) return;
    sampling = true;
    try {
      const body = await (await fetch(`${server.http}/metrics`, { signal: AbortSignal.timeout(3000) })).text();
      samples.push({
        t: (performance.now() - t0) / 1000,
        rssMb: rssBytes(server.pid) / MB,
        heapUsedMb: counterOf(body, 'scalechat_nodejs_heap_size_used_bytes') / MB,
        lagP99Ms: counterOf(body, 'scalechat_nodejs_eventloop_lag_p99_seconds') * 1000,
        lagMaxMs: counterOf(body, 'scalechat_nodejs_eventloop_lag_max_seconds') * 1000,
        openFds: openFds(server.pid),
        connections: counterOf(body, 'scalechat_connections'),
        dbMb: dbMb(server.dataDir!),
      });
    } catch {
      /* a missed sample (the server busy past 3 s) shows as a hole in the chart */
    } finally {
      sampling = false;
    }
  };
  const timer = setInterval(() => void sample(), sampleS * 1000);
  try {
    t0 = performance.now();
    const run = await runLoadtest(server, {
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
    const rss = trend(steady, warmS, (s) => s.rssMb, rssTolMb);
    const heap = trend(steady, warmS, (s) => s.heapUsedMb, heapTolMb);
    const fds = trend(steady, warmS, (s) => s.openFds, 10, 0);
    const latency = drift(lat, warmS);
    const m = run.summary.messages;
    const lossFree = m.lost === 0 && m.duplicates === 0 && m.acked === m.sent;
    const verdicts = { rss, heap, fds, latency, lossFree };
    const passed = rss.ok && heap.ok && fds.ok && latency.ok && lossFree;
    writeFileSync(path.join(out, 'soak.json'), JSON.stringify({ command: process.argv.slice(2), clients, rooms, rate, durationS, warmS, sendEndS, passed, verdicts, summary: run.summary, samples, latency: lat }, null, 2) + '\n');
    writeFileSync(path.join(out, 'soak.png'), await specToPng(chart(samples, allLat)));
    const last = samples.at(-1);
    console.log(`${samples.length} samples; messages: ${m.sent} sent, ${m.acked} acked, ${m.delivered} delivered, ${m.lost} lost, ${m.duplicates} duplicates`);
    console.log(fmtTrend('RSS', rss, 'MB'));
    console.log(fmtTrend('heap used', heap, 'MB'));
    console.log(fmtTrend('open fds', fds, ''));
    console.log(`${latency.ok ? 'ok  ' : 'FAIL'} latency drift: per-second p99 ${latency.first.toFixed(1)} ms in the first third, ${latency.last.toFixed(1)} ms in the last`);
    console.log(`${lossFree ? 'ok  ' : 'FAIL'} no loss: every send acked, delivered once`);
    if (last) console.log(`database files at the end: ${last.dbMb.toFixed(1)} MB for ${m.acked} messages`);
    console.log(`${passed ? 'PASSED' : 'FAILED'}: ${path.join(out, 'soak.json')}, ${path.join(out, 'soak.png')}`);
    process.exitCode = passed ? 0 : 1;
  } finally {
    clearInterval(timer);
    await stop(server.proc);
    dropTemp(server.dataDir!);
  }
}

await main();
