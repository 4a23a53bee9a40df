/**
 * `npm run bench:peers`: the same fan-out sweep against scale-chat and its two comparison peers
 * (bench/peers/ws-naive-server.ts, bench/peers/socketio.ts), then docs/benchmarks.md.
 *
 *   npx tsc -p . && npm run bench:peers                      # the full sweep (~10-15 min)
 *   npm run bench:peers -- --quick                           # a short one (report in the runs dir)
 *   npm run bench:peers -- --counts 200,500 --duration 10s --targets scale-chat,socketio
 *
 * For each client count (ascending) and each target: a fresh server pinned to core 0
 * (`taskset -c 0`; scale-chat on a temp SQLite data dir), then `scale-chat loadtest` pinned to
 * core 1 (`taskset -c 1`): N clients in one room, 1 msg/s each, --duration of sending; the
 * summary.json of each point lands in the runs dir. A target that failed at two counts in a row is
 * not run at higher counts (it only gets slower and takes longer to time out). Before each point the
 * runner waits (bounded) for the machine to be quiet, measures the CPU other processes use during
 * the point, and runs a point again (twice at most) when they took more than 15% of a core, keeping
 * the least disturbed attempt.
 *
 * Flags: --counts 100,200,250,300,350,400,500,700,1000,1400  --duration 15s  --quick (counts 100,300, 5s, report not in docs/)
 *        --targets scale-chat,ws-naive,socketio  --runs-dir <dir> (default: a new temp dir)
 *        --docs <file> (default docs/benchmarks.md; --no-docs: only the runs dir)  --quiet-wait 120
 *        --report-only <runs dir>: write the report of an earlier sweep again (its points.json)
 *        --repeats <dir,dir>: earlier sweeps (their points.json) whose best points are listed beside
 *        this one's in the report, to show how much the figures move between sweeps
 *        --load-before <text>: with --report-only of a sweep saved in the first format (a bare list of
 *        points), the load average to print for it  --help: this text
 * Every child is killed when this process exits or is interrupted; peers also exit when their
 * stdin pipe closes, and every loadtest is bounded by its own timeouts plus a hard kill.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { renderCompare } from '../src/loadtest/report/index.js';
import { benchArgs } from './cli-args.js';
import { renderDoc } from './peers/sweep-doc.js';
import { bestTable, failures, TARGETS, type Point, type PointSummary, type Target } from './peers/sweep-report.js';

const here = path.dirname(fileURLToPath(import.meta.url)); // dist/bench
const root = path.resolve(here, '../..');
const MAIN = path.join(root, 'dist/src/cli/main.js');

function usage(msg: string): never {
  console.error(`bench:peers: ${msg}`);
  process.exit(2);
}

const args = benchArgs(import.meta.url, ['counts', 'duration', 'targets', 'runs-dir', 'docs', 'quiet-wait', 'report-only', 'repeats', 'load-before'], ['quick', 'no-docs']);
const flag = args.str;

const quick = args.bool('quick');
const counts = (flag('counts') ?? (quick ? '100,300' : '100,200,250,300,350,400,500,700,1000,1400')).split(',').map((s) => Number(s.trim()));
if (counts.length === 0 || counts.some((n) => !Number.isInteger(n) || n < 2 || n > 18_000)) usage('--counts: comma-separated client counts in 2..18000');
counts.sort((a, b) => a - b);
const duration = flag('duration') ?? (quick ? '5s' : '15s');
const durationS = /^(\d+)s$/.exec(duration) ? Number(duration.slice(0, -1)) : NaN;
if (!(durationS >= 1 && durationS <= 600)) usage('--duration: whole seconds, e.g. 15s (1s..600s)');
const targets = (flag('targets') ?? TARGETS.join(',')).split(',').map((s) => s.trim()) as Target[];
for (const t of targets) if (!TARGETS.includes(t)) usage(`--targets: one or more of ${TARGETS.join(', ')}, got "${t}"`);
const quietWait = Number(flag('quiet-wait') ?? '120');
const runsDir = path.resolve(flag('report-only') ?? flag('runs-dir') ?? mkdtempSync(path.join(tmpdir(), 'scale-chat-peers-')));
const docsFile = args.bool('no-docs') ? null : flag('docs') ? path.resolve(flag('docs')!) : quick ? null : path.join(root, 'docs/benchmarks.md');
if (cpus().length < 2) usage('needs 2 cores: the server runs on core 0 and the generator on core 1');

// ---------- children ----------
const children = new Set<ChildProcess>();
const tempDirs = new Set<string>();
function cleanup(): void {
  for (const c of children) c.kill('SIGKILL');
  for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
}
process.on('exit', cleanup);
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => process.exit(130));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function waitExit(c: ChildProcess, ms: number): Promise<boolean> {
  if (c.exitCode !== null || c.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(false), ms);
    c.once('exit', () => {
      clearTimeout(t);
      resolve(true);
    });
  });
}

async function stop(c: ChildProcess): Promise<void> {
  c.kill('SIGTERM');
  if (!(await waitExit(c, 10_000))) {
    c.kill('SIGKILL');
    await waitExit(c, 2000);
  }
  children.delete(c);
}

interface Server {
  proc: ChildProcess;
  url: string;
  stderr: string[];
}

async function startServer(target: Target): Promise<Server> {
  let args: string[];
  if (target === 'scale-chat') {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'scale-chat-peers-data-'));
    tempDirs.add(dataDir);
    args = [MAIN, 'serve', '--port', '0', '--host', '127.0.0.1', '--data-dir', dataDir, '--log-level', 'info', '--rate-per-sec', '1000', '--rate-burst', '2000', '--max-connections', '19000', '--max-connections-per-address', '0', '--guests-per-minute', '0'];
  } else {
    args = [path.join(here, 'peers', target === 'ws-naive' ? 'ws-naive-server.js' : 'socketio.js'), '--port', '0', '--host', '127.0.0.1'];
  }
  const proc = spawn('taskset', ['-c', '0', process.execPath, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  children.add(proc);
  const stderr: string[] = [];
  createInterface({ input: proc.stderr! }).on('line', (l) => stderr.length < 20 && stderr.push(l.slice(0, 300)));
  const port = await new Promise<number>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`${target}: no "listening" line within 15 s`)), 15_000);
    proc.once('exit', (code) => reject(new Error(`${target} exited (${code}) before listening: ${stderr.join(' | ')}`)));
    createInterface({ input: proc.stdout! }).on('line', (line) => {
      const m = /"msg":"[^"]*listening"/.test(line) ? /"port":(\d+)/.exec(line) : null;
      if (m) {
        clearTimeout(t);
        resolve(Number(m[1]));
      }
    });
  });
  proc.removeAllListeners('exit');
  const pathPart = target === 'socketio' ? '' : '/ws';
  return { proc, url: `ws://127.0.0.1:${port}${pathPart}`, stderr };
}

// ---------- other processes' CPU ----------
const TICK = 100; // USER_HZ on Linux
function cpuTicks(): Map<number, number> {
  const out = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const s = readFileSync(`/proc/${name}/stat`, 'utf8');
      const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
      out.set(Number(name), Number(f[11]) + Number(f[12]));
    } catch {
      // the process ended meanwhile
    }
  }
  return out;
}
/** CPU (% of one core) used between two snapshots by processes not in `mine`. */
function othersPct(a: Map<number, number>, b: Map<number, number>, ms: number, mine: Set<number>): number {
  let ticks = 0;
  for (const [pid, t] of b) if (!mine.has(pid)) ticks += t - (a.get(pid) ?? 0);
  return Math.max(0, Math.round((ticks / TICK / (ms / 1000)) * 100));
}
async function waitQuiet(): Promise<void> {
  const until = Date.now() + quietWait * 1000;
  for (;;) {
    const a = cpuTicks();
    await sleep(3000);
    const busy = othersPct(a, cpuTicks(), 3000, new Set([process.pid]));
    if (busy <= 10 || Date.now() >= until) return;
    console.error(`bench:peers: other processes use ${busy}% of a core: waiting for quiet (at most ${quietWait} s in all)`);
  }
}

// ---------- one point ----------
function loadtest(target: Target, url: string, clients: number, dir: string): Promise<{ code: number | null; pid: number; tail: string }> {
  const args = [
    '-c', '1', process.execPath, MAIN, 'loadtest', '--quiet', '--name', `${target} ${clients}`, '--target', target, '--url', url,
    '--clients', String(clients), '--rooms', '1', '--rate', '1', '--duration', duration, '--out', dir,
    '--ack-timeout', '10s', '--drain-timeout', '10s', '--events-sample', '0.01', '--threshold', 'p99<=100ms,loss==0',
  ];
  return new Promise((resolve, reject) => {
    const child = spawn('taskset', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    let out = '';
    child.stdout.on('data', (d) => (out = (out + d).slice(-4000)));
    child.stderr.on('data', (d) => (out = (out + d).slice(-4000)));
    const killer = setTimeout(() => child.kill('SIGKILL'), (durationS + 120 + clients / 500) * 1000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(killer);
      children.delete(child);
      resolve({ code, pid: child.pid ?? -1, tail: out });
    });
  });
}

async function runPoint(target: Target, clients: number, attempt: number): Promise<Point> {
  const dir = path.join(runsDir, `${target}-${String(clients).padStart(5, '0')}`);
  rmSync(dir, { recursive: true, force: true });
  await waitQuiet();
  const point: Point = { target, clients, dir, summary: null, othersPct: 0, attempts: attempt };
  let server: Server | null = null;
  try {
    server = await startServer(target);
    const t0 = Date.now();
    const a = cpuTicks();
    const run = await loadtest(target, server.url, clients, dir);
    point.othersPct = othersPct(a, cpuTicks(), Date.now() - t0, new Set([process.pid, server.proc.pid ?? -1, run.pid]));
    const file = path.join(dir, 'summary.json');
    if (existsSync(file)) point.summary = JSON.parse(readFileSync(file, 'utf8')) as PointSummary;
    else point.error = `loadtest exit ${run.code}, no summary: ${run.tail.trim().split('\n').slice(-3).join(' / ')}`;
    if (server.proc.exitCode !== null) point.error = `server exited (${server.proc.exitCode}) during the run: ${server.stderr.join(' | ')}`;
  } catch (err) {
    point.error = (err as Error).message;
  } finally {
    if (server) await stop(server.proc);
    for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
    tempDirs.clear();
  }
  const f = failures(point);
  const s = point.summary;
  console.log(
    `${target.padEnd(10)} ${String(clients).padStart(5)} clients: ${s ? `${s.throughput.deliveriesPerSec.toLocaleString('en-US')} deliveries/s, p99 ${s.latencyMs.p99} ms, lost ${s.messages.lost}, server ${s.server.cpuPct ?? '?'}%, generator ${s.generator.cpuPct}%${s.generator.bottleneck ? ' (BOTTLENECK)' : ''}` : point.error}; others ${point.othersPct}% -> ${f.length ? `fails (${f.join(', ')})` : 'qualifies'}`,
  );
  return point;
}

function socketIoVersion(): string {
  try {
    return (JSON.parse(readFileSync(path.join(root, 'node_modules/socket.io/package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return '4';
  }
}

// ---------- the sweep ----------
interface SweepMeta {
  started: string;
  ended: string;
  loadBefore: string;
  counts: number[];
  targets: Target[];
  duration: string;
  command: string;
}

async function sweep(): Promise<{ meta: SweepMeta; points: Point[] }> {
  mkdirSync(runsDir, { recursive: true });
  const started = new Date();
  const loadBefore = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  console.log(`bench:peers: targets ${targets.join(', ')}; counts ${counts.join(', ')}; ${duration} each; runs in ${runsDir}; load average ${loadBefore}`);
  const points: Point[] = [];
  const failedInARow = new Map<Target, number>();
  for (const n of counts) {
    for (const t of targets) {
      if ((failedInARow.get(t) ?? 0) >= 2) continue;
      let p = await runPoint(t, n, 1);
      // Disturbed by other processes: run again (twice at most), keep the least disturbed attempt.
      for (let attempt = 2; attempt <= 3 && p.othersPct > 15; attempt++) {
        console.error(`bench:peers: other processes took ${p.othersPct}% of a core during ${t} ${n}: running it again`);
        const again = await runPoint(t, n, attempt);
        p = again.othersPct <= p.othersPct ? again : { ...p, attempts: attempt };
      }
      points.push(p);
      failedInARow.set(t, failures(p).length ? (failedInARow.get(t) ?? 0) + 1 : 0);
    }
  }
  const args = process.argv.slice(2);
  const meta: SweepMeta = {
    started: started.toISOString(),
    ended: new Date().toISOString(),
    loadBefore,
    counts,
    targets,
    duration,
    command: `npm run bench:peers${args.length ? ` -- ${args.join(' ')}` : ''}`,
  };
  writeFileSync(path.join(runsDir, 'points.json'), JSON.stringify({ meta, points }, null, 2));
  return { meta, points };
}

/** The runs of an earlier sweep (its points.json), to write the report again without running it. */
function readSweep(dir: string): { meta: SweepMeta; points: Point[] } {
  const file = path.join(dir, 'points.json');
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    usage(`cannot read ${file}: ${(err as Error).message}`);
  }
  // The first format was the bare list of points: the sweep's facts then come from the summaries and the flags.
  if (Array.isArray(doc)) {
    const pts = doc as Point[];
    const times = pts.flatMap((p) => {
      const s = p.summary as (PointSummary & { startedAt?: string; endedAt?: string }) | null;
      return s?.startedAt && s.endedAt ? [s.startedAt, s.endedAt] : [];
    }).sort();
    const meta: SweepMeta = {
      started: times[0] ?? new Date().toISOString(),
      ended: times[times.length - 1] ?? new Date().toISOString(),
      loadBefore: flag('load-before') ?? 'not recorded',
      counts: [...new Set(pts.map((p) => p.clients))].sort((a, b) => a - b),
      targets: targets.filter((t) => pts.some((p) => p.target === t)),
      duration,
      command: 'npm run bench:peers',
    };
    if (flag('counts')) meta.counts = counts;
    return { meta, points: pts };
  }
  const d = doc as { meta?: SweepMeta; points?: Point[] };
  if (!d || !Array.isArray(d.points) || !d.meta) usage(`${file} is not a bench:peers points.json`);
  return { meta: d.meta, points: d.points };
}

async function report(meta: SweepMeta, points: Point[]): Promise<void> {
  const { counts, targets } = meta;
  // Charts: the scaling chart over every run; latency and deliveries over time at each target's best point.
  const withSummary = points.filter((p) => p.summary);
  const chartsDir = path.join(runsDir, 'compare-all');
  const all = await renderCompare(withSummary.map((p) => p.dir), chartsDir);
  const bests = bestTable(points, counts, targets).bests;
  const sideBySide = bests.flatMap((b) => (b.point?.summary ? [b.point.dir] : []));
  const sideDir = path.join(runsDir, 'compare-best');
  const side = sideBySide.length ? await renderCompare(sideBySide, sideDir) : null;
  const docsPngDir = docsFile ? path.join(path.dirname(docsFile), 'benchmarks') : runsDir;
  mkdirSync(docsPngDir, { recursive: true });
  const images: { file: string; caption: string }[] = [];
  const copy = (src: string | undefined, name: string, caption: string) => {
    if (!src) return;
    copyFileSync(src, path.join(docsPngDir, name));
    images.push({ file: path.relative(docsFile ? path.dirname(docsFile) : runsDir, path.join(docsPngDir, name)).split(path.sep).join('/'), caption });
  };
  copy(all.pngs.find((f) => f.endsWith('compare-scaling.png')), 'peers-scaling.png', 'p99 latency and deliveries/s against the client count, one line per target (every point of the sweep)');
  copy(side?.pngs.find((f) => f.endsWith('compare-latency-cdf.png')), 'peers-best-latency-cdf.png', "Delivery latency by percentile at each target's best qualifying point");
  copy(side?.pngs.find((f) => f.endsWith('compare-deliveries.png')), 'peers-best-deliveries.png', "Deliveries per second during each target's best qualifying point");

  const doc = renderDoc({
    points,
    counts,
    targets,
    duration: meta.duration,
    started: new Date(meta.started),
    ended: new Date(meta.ended),
    loadBefore: meta.loadBefore,
    command: meta.command,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    node: process.version,
    socketIoVersion: socketIoVersion(),
    images,
    rendered: flag('report-only') || flag('repeats') ? `node dist/bench/peers.js ${process.argv.slice(2).join(' ')}` : undefined,
    repeats: (flag('repeats') ?? '').split(',').filter(Boolean).map((d) => ({ dir: path.resolve(d), ...readSweep(path.resolve(d)) })),
  });
  const out = docsFile ?? path.join(runsDir, 'benchmarks.md');
  writeFileSync(out, doc);
  console.log(`bench:peers: wrote ${out}${images.length ? ` and ${images.length} charts in ${docsPngDir}` : ''}; run directories in ${runsDir}`);
}

async function main(): Promise<void> {
  const from = flag('report-only');
  const { meta, points } = from ? readSweep(path.resolve(from)) : await sweep();
  await report(meta, points);
}

main().catch((err) => {
  console.error(`bench:peers: ${(err as Error).stack ?? err}`);
  process.exit(1);
});
