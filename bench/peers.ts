/**
 * `npm run bench:peers`: the same fan-out sweep against scale-chat and its two comparison peers
 * (bench/peers/ws-naive-server.ts, bench/peers/socketio.ts), then docs/benchmarks.md.
 *
 *   npx tsc -p . && npm run bench:peers                      # the full sweep (quotas 0.25 and 0.5 when cgroups allow)
 *   npm run bench:peers -- --cpu-quota 0.25,0.5              # the same, explicitly
 *   npm run bench:peers -- --quick                           # a short one (report in the runs dir)
 *   npm run bench:peers -- --seed-experiment                 # the seed's experiment: ws-naive and scale-chat at 0.25 CPU
 *   npm run bench:peers -- --counts 200,500 --duration 10s --targets scale-chat,socketio
 *
 * Quota mode (the default when a cgroup can be made): every target's server runs in the run's own
 * cgroup (`scale-chat-bench-<pid>` under the cgroup v2 root or the v1 cpu controller, detected; see
 * bench/peers/cpu-quota.ts) with a CPU quota of --cpu-quota cores, pinned to core 0 (`taskset -c 0`),
 * and `scale-chat loadtest --procs <--gen-procs>` runs unpinned on the rest of the machine. The
 * cgroup is removed at exit, on errors and on SIGINT/SIGTERM/SIGHUP. When no cgroup can be made the
 * runner says why and falls back to pinned mode: server on core 0, one generator process on core 1,
 * no quota (`--cpu-quota off` asks for that mode).
 *
 * For each quota and each target: a fresh server per point (scale-chat on a temp SQLite data dir),
 * N clients in one room, 1 msg/s each, --duration of sending; the summary.json of each point lands
 * in the runs dir. A point qualifies with p99 <= 100 ms, zero loss, every send acknowledged, every
 * client connected, and the generator not flagging itself as the bottleneck (summary.json
 * `generator.bottleneck`). The coarse counts run ascending until a target failed at --stop-after
 * counts in a row; then the knee is bisected: between the best qualifying point and the first
 * failure above it, the middle count is run until they are at most --knee-gap apart (in clients) or
 * --knee-points extra points were run. Before each point the runner waits (bounded) for the machine
 * to be quiet, measures the CPU other processes use during the point, and runs a point again (twice
 * at most) when they took more than 15% of a core, keeping the least disturbed attempt. No point
 * starts after --max-minutes.
 *
 * Flags: --counts 100,200,300,400,600,800,1000 (scale-chat; every target when --peer-counts is not given in pinned mode)
 *        --peer-counts 40,60,80,100,150,200,300 (ws-naive, socketio)  --duration 15s
 *        --cpu-quota 0.25,0.5 | off   --gen-procs 2 (quota mode)  --knee-gap 0.1  --knee-points 4
 *        --stop-after 2  --max-minutes 60  --quick (counts 100,300 / 40,80, 5s, report not in docs/)
 *        --targets scale-chat,ws-naive,socketio  --runs-dir <dir> (default: a new temp dir)
 *        --docs <file> (default docs/benchmarks.md; --no-docs: only the runs dir)  --quiet-wait 120
 *        --seed-experiment: only the seed's experiment: ws-naive and scale-chat under the first quota
 *        (default 0.25) at --seed-counts 80,120,160,240,320 clients, no knee search, a target stops
 *        after a point with p50 over 5 s; its points.json feeds the report's chart (--seed-from)
 *        --seed-from <runs dir>: the seed experiment to put in the report
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
import { writeSection } from './lib/doc.js';
import type { CpuCgroup, CpuStat } from './peers/cpu-quota.js';
import { benchCgroup, dropTemp, quotaUnavailable, sleep, startServer as startLabServer, stop, track } from './lib/lab.js';
import { seedChart } from './peers/seed-chart.js';
import { renderDoc, type SeedExperiment, type SweepMeta } from './peers/sweep-doc.js';
import { bestTable, failures, kneeBracket, TARGETS, type Point, type PointSummary, type Target } from './peers/sweep-report.js';

const here = path.dirname(fileURLToPath(import.meta.url)); // dist/bench
const root = path.resolve(here, '../..');
const MAIN = path.join(root, 'dist/src/cli/main.js');

function usage(msg: string): never {
  console.error(`bench:peers: ${msg}`);
  process.exit(2);
}

const args = benchArgs(
  import.meta.url,
  ['counts', 'peer-counts', 'duration', 'targets', 'runs-dir', 'docs', 'quiet-wait', 'report-only', 'repeats', 'load-before', 'cpu-quota', 'gen-procs', 'knee-gap', 'knee-points', 'stop-after', 'max-minutes', 'seed-counts', 'seed-from'],
  ['quick', 'no-docs', 'seed-experiment'],
);
const flag = args.str;

function countList(raw: string, name: string): number[] {
  const out = raw.split(',').map((x) => Number(x.trim()));
  if (out.length === 0 || out.some((n) => !Number.isInteger(n) || n < 2 || n > 18_000)) usage(`--${name}: comma-separated client counts in 2..18000`);
  return out.sort((a, b) => a - b);
}
function numFlag(name: Parameters<typeof flag>[0], def: number, min: number, max: number, int = false): number {
  const raw = flag(name);
  const v = raw === undefined ? def : Number(raw);
  if (!Number.isFinite(v) || v < min || v > max || (int && !Number.isInteger(v))) usage(`--${name}: ${int ? 'an integer' : 'a number'} in ${min}..${max}, got "${raw}"`);
  return v;
}

const quick = args.bool('quick');
const seedMode = args.bool('seed-experiment');
const duration = flag('duration') ?? (quick ? '5s' : '15s');
const durationS = /^(\d+)s$/.exec(duration) ? Number(duration.slice(0, -1)) : NaN;
if (!(durationS >= 1 && durationS <= 600)) usage('--duration: whole seconds, e.g. 15s (1s..600s)');
const targetsArg = (flag('targets') ?? (seedMode ? 'scale-chat,ws-naive' : TARGETS.join(','))).split(',').map((s) => s.trim()) as Target[];
for (const t of targetsArg) if (!TARGETS.includes(t)) usage(`--targets: one or more of ${TARGETS.join(', ')}, got "${t}"`);
const targets = TARGETS.filter((t) => targetsArg.includes(t));
const quietWait = numFlag('quiet-wait', 120, 0, 3600);
const kneeGap = numFlag('knee-gap', 0.1, 0.01, 1);
const kneePoints = numFlag('knee-points', 4, 0, 10, true);
const stopAfter = numFlag('stop-after', 2, 1, 10, true);
const maxMinutes = numFlag('max-minutes', 60, 1, 600);
const runsDir = path.resolve(flag('report-only') ?? flag('runs-dir') ?? mkdtempSync(path.join(tmpdir(), 'scale-chat-peers-')));
const docsFile = args.bool('no-docs') ? null : flag('docs') ? path.resolve(flag('docs')!) : quick || seedMode ? null : path.join(root, 'docs/benchmarks.md');
if (cpus().length < 2) usage('needs 2 cores: the server runs on core 0 and the generator on the other(s)');

const quotaArg = flag('cpu-quota');
const wantQuotas = quotaArg === 'off' ? [] : (quotaArg ?? (seedMode ? '0.25' : '0.25,0.5')).split(',').map((x) => Number(x.trim()));
if (wantQuotas.some((q) => !(q >= 0.01 && q <= cpus().length))) usage(`--cpu-quota: comma-separated CPU shares (e.g. 0.25,0.5) in 0.01..${cpus().length}, or off`);

// ---------- children and the cgroup: bench/lib/lab.ts (killed and removed on exit, errors and signals) ----------
let cgroup: CpuCgroup | null = null;

interface Server {
  proc: ChildProcess;
  url: string;
  stderr: string[];
  dataDir?: string;
}

/** A target's server on core 0, under `quota` of a core (the run's cgroup) or without one (pinned mode). */
async function startServer(target: Target, quota: number | null): Promise<Server> {
  if (quota !== null && !cgroup) throw new Error('a quota without a cgroup');
  const s = await startLabServer(target, { quota });
  return { proc: s.proc, url: s.url, stderr: s.stderr, dataDir: s.dataDir };
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
function loadtest(target: Target, url: string, clients: number, dir: string, genProcs: number, pinned: boolean): Promise<{ code: number | null; pid: number; tail: string }> {
  const lt = [
    MAIN, 'loadtest', '--quiet', '--name', `${target} ${clients}`, '--target', target, '--url', url,
    '--clients', String(clients), '--rooms', '1', '--rate', '1', '--duration', duration, '--out', dir, '--procs', String(genProcs),
    '--ack-timeout', '10s', '--drain-timeout', '10s', '--events-sample', '0.01', '--threshold', 'p99<=100ms,loss==0',
  ];
  return new Promise((resolve, reject) => {
    const child = pinned ? spawn('taskset', ['-c', '1', process.execPath, ...lt], { stdio: ['ignore', 'pipe', 'pipe'] }) : spawn(process.execPath, lt, { stdio: ['ignore', 'pipe', 'pipe'] });
    track(child);
    let out = '';
    child.stdout.on('data', (d) => (out = (out + d).slice(-4000)));
    child.stderr.on('data', (d) => (out = (out + d).slice(-4000)));
    const killer = setTimeout(() => child.kill('SIGKILL'), (durationS + 120 + clients / 500) * 1000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(killer);
      resolve({ code, pid: child.pid ?? -1, tail: out });
    });
  });
}

function statDelta(a: CpuStat, b: CpuStat): CpuStat {
  return { periods: b.periods - a.periods, throttled: b.throttled - a.throttled, throttledMs: Math.round(b.throttledMs - a.throttledMs) };
}

interface Mode {
  quota: number | null;
  genProcs: number;
  pinnedGenerator: boolean;
}

async function runPoint(target: Target, clients: number, attempt: number, mode: Mode, tag: string): Promise<Point> {
  const dir = path.join(runsDir, `${tag}${target}-${String(clients).padStart(5, '0')}`);
  rmSync(dir, { recursive: true, force: true });
  await waitQuiet();
  const point: Point = { target, clients, dir, summary: null, othersPct: 0, attempts: attempt, quota: mode.quota };
  let server: Server | null = null;
  try {
    server = await startServer(target, mode.quota);
    const t0 = Date.now();
    const a = cpuTicks();
    const st0 = cgroup && mode.quota !== null ? cgroup.stat() : null;
    const run = await loadtest(target, server.url, clients, dir, mode.genProcs, mode.pinnedGenerator);
    if (st0 && cgroup) point.cgroup = statDelta(st0, cgroup.stat());
    point.othersPct = othersPct(a, cpuTicks(), Date.now() - t0, new Set([process.pid, server.proc.pid ?? -1, run.pid]));
    const file = path.join(dir, 'summary.json');
    if (existsSync(file)) point.summary = JSON.parse(readFileSync(file, 'utf8')) as PointSummary;
    else point.error = `loadtest exit ${run.code}, no summary: ${run.tail.trim().split('\n').slice(-3).join(' / ')}`;
    if (server.proc.exitCode !== null) point.error = `server exited (${server.proc.exitCode}) during the run: ${server.stderr.join(' | ')}`;
  } catch (err) {
    point.error = (err as Error).message;
  } finally {
    if (server) {
      await stop(server.proc);
      if (server.dataDir) dropTemp(server.dataDir);
    }
  }
  const f = failures(point);
  const s = point.summary;
  const thr = point.cgroup && point.cgroup.periods > 0 ? `, throttled ${Math.round((point.cgroup.throttled / point.cgroup.periods) * 100)}%` : '';
  console.log(
    `${mode.quota !== null ? `[cpu ${mode.quota}] ` : ''}${target.padEnd(10)} ${String(clients).padStart(5)} clients: ${s ? `${s.throughput.deliveriesPerSec.toLocaleString('en-US')} deliveries/s, p50 ${s.latencyMs.p50} p99 ${s.latencyMs.p99} ms, lost ${s.messages.lost}, server ${s.server.cpuPct ?? '?'}%${thr}, generator ${(s.generator.perProcessCpuPct ?? [s.generator.cpuPct]).join('+')}%${s.generator.bottleneck ? ' (BOTTLENECK)' : ''}` : point.error}; others ${point.othersPct}% -> ${f.length ? `fails (${f.join(', ')})` : 'qualifies'}`,
  );
  return point;
}

/** A point, run again (twice at most) when other processes disturbed it; the least disturbed attempt is kept. */
async function measured(t: Target, n: number, mode: Mode, tag: string): Promise<Point> {
  let p = await runPoint(t, n, 1, mode, tag);
  for (let attempt = 2; attempt <= 3 && p.othersPct > 15; attempt++) {
    console.error(`bench:peers: other processes took ${p.othersPct}% of a core during ${t} ${n}: running it again`);
    const again = await runPoint(t, n, attempt, mode, tag);
    p = again.othersPct <= p.othersPct ? again : { ...p, attempts: attempt };
  }
  return p;
}

function socketIoVersion(): string {
  try {
    return (JSON.parse(readFileSync(path.join(root, 'node_modules/socket.io/package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return '4';
  }
}

// ---------- the sweep ----------
function openQuotaMode(): { quotas: (number | null)[]; genProcs: number; cgroupVersion?: 1 | 2; fallback?: string } {
  if (wantQuotas.length === 0) return { quotas: [null], genProcs: 1 };
  const g = benchCgroup();
  if (!g) {
    const why = `no CPU cgroup could be made (${quotaUnavailable()}): falling back to pinned mode, without a quota (server on core 0, one generator process on core 1)`;
    console.error(`bench:peers: ${why}`);
    return { quotas: [null], genProcs: 1, fallback: why };
  }
  cgroup = g;
  console.log(`bench:peers: servers run in ${cgroup.dir} (cgroup v${cgroup.version}) with CPU quotas ${wantQuotas.join(', ')}, pinned to core 0; the generator is unpinned`);
  return { quotas: wantQuotas, genProcs: numFlag('gen-procs', 2, 1, 16, true), cgroupVersion: cgroup.version };
}

async function sweep(): Promise<{ meta: SweepMeta; points: Point[] }> {
  mkdirSync(runsDir, { recursive: true });
  const started = new Date();
  const deadline = started.getTime() + maxMinutes * 60_000;
  const loadBefore = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  const qm = openQuotaMode();
  const pinnedMode = qm.quotas[0] === null;
  const counts = countList(flag('counts') ?? (quick ? '100,300' : '100,200,300,400,600,800,1000'), 'counts');
  const peerCounts = flag('peer-counts') ? countList(flag('peer-counts')!, 'peer-counts') : pinnedMode && !quick ? counts : countList(quick ? '40,80' : '40,60,80,100,150,200,300', 'peer-counts');
  const countsOf = (t: Target) => (t === 'scale-chat' ? counts : peerCounts);
  console.log(`bench:peers: targets ${targets.join(', ')}; scale-chat counts ${counts.join(', ')}; peer counts ${peerCounts.join(', ')}; ${duration} each; knee gap ${kneeGap * 100}%; runs in ${runsDir}; load average ${loadBefore}`);
  const points: Point[] = [];
  const notRun: string[] = [];
  for (const quota of qm.quotas) {
    const mode: Mode = { quota, genProcs: qm.genProcs, pinnedGenerator: quota === null };
    const tag = quota === null ? '' : `cpu${quota}-`;
    const mine = () => points.filter((p) => p.quota === quota);
    for (const t of targets) {
      let failedInARow = 0;
      for (const n of countsOf(t)) {
        if (failedInARow >= stopAfter) break;
        if (Date.now() >= deadline) {
          notRun.push(`${t} at ${n} clients${quota !== null ? ` (cpu ${quota})` : ''}: the --max-minutes ${maxMinutes} budget was spent`);
          continue;
        }
        const p = await measured(t, n, mode, tag);
        points.push(p);
        failedInARow = failures(p).length ? failedInARow + 1 : 0;
      }
      // The knee: bisect between the best pass and the first failure above it.
      for (let k = 0; k < kneePoints && Date.now() < deadline; k++) {
        const br = kneeBracket(mine(), t, countsOf(t));
        if (!br || br.gap <= kneeGap) break;
        const mid = Math.round((br.pass + br.fail) / 2);
        if (mid <= br.pass || mid >= br.fail || mine().some((p) => p.target === t && p.clients === mid)) break;
        console.log(`bench:peers: knee of ${t}${quota !== null ? ` at cpu ${quota}` : ''} between ${br.pass} and ${br.fail} clients: running ${mid}`);
        points.push({ ...(await measured(t, mid, mode, tag)), knee: true });
      }
    }
  }
  const argv = process.argv.slice(2);
  const meta: SweepMeta = {
    started: started.toISOString(),
    ended: new Date().toISOString(),
    loadBefore,
    counts,
    peerCounts,
    targets,
    duration,
    command: `npm run bench:peers${argv.length ? ` -- ${argv.join(' ')}` : ''}`,
    quotas: qm.quotas.filter((q): q is number => q !== null),
    genProcs: qm.genProcs,
    ...(qm.cgroupVersion ? { cgroupVersion: qm.cgroupVersion } : {}),
    ...(qm.fallback ? { fallback: qm.fallback } : {}),
    kneeGap,
    kneePoints,
    stopAfter,
    notRun,
  };
  writeFileSync(path.join(runsDir, 'points.json'), JSON.stringify({ meta, points }, null, 2));
  return { meta, points };
}

/** The seed's experiment: ws-naive and scale-chat under one quota at rising counts (no knee search). */
async function seedExperiment(): Promise<void> {
  mkdirSync(runsDir, { recursive: true });
  const started = new Date();
  const deadline = started.getTime() + maxMinutes * 60_000;
  const qm = openQuotaMode();
  const quota = qm.quotas[0];
  const counts = countList(flag('seed-counts') ?? '80,120,160,240,320', 'seed-counts');
  const mode: Mode = { quota, genProcs: qm.genProcs, pinnedGenerator: quota === null };
  const points: Point[] = [];
  for (const t of targets) {
    for (const n of counts) {
      if (Date.now() >= deadline) break;
      const p = await measured(t, n, mode, 'seed-');
      points.push(p);
      if ((p.summary?.latencyMs.p50 ?? Infinity) > 5000) break;
    }
  }
  const seed: SeedExperiment = { started: started.toISOString(), ended: new Date().toISOString(), quota, genProcs: qm.genProcs, counts, duration, points, ...(qm.fallback ? { fallback: qm.fallback } : {}) };
  writeFileSync(path.join(runsDir, 'points.json'), JSON.stringify({ seed }, null, 2));
  const png = path.join(runsDir, 'seed-experiment.png');
  writeFileSync(png, await seedChart(seed));
  console.log(`bench:peers: the seed experiment is in ${runsDir}/points.json, its chart in ${png}; put it in the report with --seed-from ${runsDir}`);
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    usage(`cannot read ${file}: ${(err as Error).message}`);
  }
}

/** The runs of an earlier sweep (its points.json), to write the report again without running it. */
function readSweep(dir: string): { meta: SweepMeta; points: Point[] } {
  const file = path.join(dir, 'points.json');
  const doc = readJson(file);
  // The first format was the bare list of points: the sweep's facts then come from the summaries and the flags.
  if (Array.isArray(doc)) {
    const pts = doc as Point[];
    const times = pts.flatMap((p) => {
      const s = p.summary as (PointSummary & { startedAt?: string; endedAt?: string }) | null;
      return s?.startedAt && s.endedAt ? [s.startedAt, s.endedAt] : [];
    }).sort();
    const counts = flag('counts') ? countList(flag('counts')!, 'counts') : [...new Set(pts.map((p) => p.clients))].sort((a, b) => a - b);
    const meta: SweepMeta = {
      started: times[0] ?? new Date().toISOString(),
      ended: times[times.length - 1] ?? new Date().toISOString(),
      loadBefore: flag('load-before') ?? 'not recorded',
      counts,
      targets: targets.filter((t) => pts.some((p) => p.target === t)),
      duration,
      command: 'npm run bench:peers',
    };
    return { meta, points: pts };
  }
  const d = doc as { meta?: SweepMeta; points?: Point[] };
  if (!d || !Array.isArray(d.points) || !d.meta) usage(`${file} is not a bench:peers points.json`);
  return { meta: d.meta, points: d.points };
}

function readSeed(dir: string): SeedExperiment {
  const file = path.join(dir, 'points.json');
  const d = readJson(file) as { seed?: SeedExperiment };
  if (!d?.seed || !Array.isArray(d.seed.points)) usage(`${file} is not the points.json of a --seed-experiment run`);
  return d.seed;
}

async function report(meta: SweepMeta, points: Point[]): Promise<void> {
  const targets = meta.targets;
  const groups = meta.quotas?.length ? meta.quotas.map((q) => q as number | null) : [null];
  const docsBase = docsFile ? path.dirname(docsFile) : runsDir;
  const docsPngDir = docsFile ? path.join(docsBase, 'benchmarks') : runsDir;
  mkdirSync(docsPngDir, { recursive: true });
  const images: { file: string; caption: string; quota: number | null }[] = [];
  const rel = (f: string) => path.relative(docsBase, f).split(path.sep).join('/');
  const copy = (src: string | undefined, name: string, caption: string, quota: number | null) => {
    if (!src) return;
    copyFileSync(src, path.join(docsPngDir, name));
    images.push({ file: rel(path.join(docsPngDir, name)), caption, quota });
  };
  for (const q of groups) {
    const mine = points.filter((p) => (p.quota ?? null) === q);
    const withSummary = mine.filter((p) => p.summary);
    if (withSummary.length === 0) continue;
    const suffix = q === null ? '' : `-cpu${q}`;
    const all = await renderCompare(withSummary.map((p) => p.dir), path.join(runsDir, `compare-all${suffix}`));
    copy(all.pngs.find((f) => f.endsWith('compare-scaling.png')), `peers-scaling${suffix}.png`, `p99 latency and deliveries/s against the client count, one line per target (every point${q === null ? '' : ` at ${q} CPU`})`, q);
    const countsOf = (t: Target) => (t === 'scale-chat' ? meta.counts : meta.peerCounts ?? meta.counts);
    const bests = bestTable(mine, countsOf, targets).bests;
    const sideBySide = bests.flatMap((b) => (b.point?.summary ? [b.point.dir] : []));
    if (sideBySide.length) {
      const side = await renderCompare(sideBySide, path.join(runsDir, `compare-best${suffix}`));
      copy(side.pngs.find((f) => f.endsWith('compare-latency-cdf.png')), `peers-best-latency-cdf${suffix}.png`, `Delivery latency by percentile at each target's best qualifying point${q === null ? '' : ` at ${q} CPU`}`, q);
    }
  }
  const seedFrom = flag('seed-from');
  const seed = seedFrom ? readSeed(path.resolve(seedFrom)) : undefined;
  let seedImage: string | undefined;
  if (seed) {
    const file = path.join(docsPngDir, 'seed-experiment.png');
    writeFileSync(file, await seedChart(seed));
    seedImage = rel(file);
  }

  const doc = renderDoc({
    meta,
    points,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    node: process.version,
    socketIoVersion: socketIoVersion(),
    images,
    rendered: flag('report-only') || flag('repeats') ? `node dist/bench/peers.js ${process.argv.slice(2).join(' ')}` : undefined,
    repeats: (flag('repeats') ?? '').split(',').filter(Boolean).map((d) => ({ dir: path.resolve(d), ...readSweep(path.resolve(d)) })),
    ...(seed ? { seed, seedImage } : {}),
  });
  const out = docsFile ?? path.join(runsDir, 'benchmarks.md');
  if (docsFile) writeSection('peers', doc, docsFile);
  else writeFileSync(out, doc);
  console.log(`bench:peers: wrote ${out}${images.length ? ` and ${images.length + (seedImage ? 1 : 0)} charts in ${docsPngDir}` : ''}; run directories in ${runsDir}`);
}

async function main(): Promise<void> {
  if (seedMode) return seedExperiment();
  const from = flag('report-only');
  const { meta, points } = from ? readSweep(path.resolve(from)) : await sweep();
  await report(meta, points);
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(`bench:peers: ${(err as Error).stack ?? err}`);
    process.exit(1);
  },
);
