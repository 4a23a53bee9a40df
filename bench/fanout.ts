/**
 * Fan-out benchmark runner (a benchmark, not a test).
 *
 *   npx tsc -p . && npm run bench -- --clients 300,1000,2000 --rate 1 --duration 20
 *
 * For each N in --clients and each server in --servers (default: scale-chat,naive), in that order:
 *  - starts the server as a child pinned to core 0 (`taskset -c 0`): scale-chat from dist/src/cli/main.js
 *    on a fresh temp data dir (port 0; the port is read from its "scale-chat listening" log line), or
 *    the naive peer bench/peers/naive-ws.ts;
 *  - runs the load generator bench/fanout-gen.ts as a child pinned to core 1 (method documented there):
 *    N clients in `general`, R msgs/s each for D s, then a bounded wait for in-flight deliveries;
 *  - stops both (SIGTERM, then SIGKILL after a bound) and removes the temp dir.
 * Then prints the results table and writes it to bench/results/fanout-<date>.md.
 *
 * Options: --clients 300,1000,2000  --rate 1  --duration 20  --servers scale-chat,naive
 *          --connect-rate 500  --drain-wait 10  --text-bytes 32  --probes 64  --out bench/results
 *          --quiet-wait 60 (s to wait, before each point, for the machine to be idle: others' tests skew
 *          results)  --retries 2 (re-runs of a point during which other processes took > 10% of a core)
 * Every child is killed when this process exits, fails or is interrupted; children also exit by
 * themselves when their stdin closes (generator, naive peer) and have hard time limits.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { benchArgs } from './cli-args.js';

const here = path.dirname(fileURLToPath(import.meta.url)); // dist/bench
const root = path.resolve(here, '../..');

const flags = benchArgs(import.meta.url, ['clients', 'rate', 'duration', 'servers', 'connect-rate', 'drain-wait', 'text-bytes', 'probes', 'out', 'quiet-wait', 'retries']);
function arg(name: Parameters<typeof flags.str>[0], def: string): string {
  return flags.str(name) ?? def;
}
const clientsList = arg('clients', '300,1000,2000')
  .split(',')
  .map((s) => Number(s.trim()))
  .filter((n) => Number.isInteger(n) && n > 0);
const rate = Number(arg('rate', '1'));
const duration = Number(arg('duration', '20'));
const servers = arg('servers', 'scale-chat,naive')
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean) as ServerKind[];
const connectRate = Number(arg('connect-rate', '500'));
const drainWait = Number(arg('drain-wait', '10'));
const textBytes = Number(arg('text-bytes', '32'));
const probes = Number(arg('probes', '64'));
const outDir = path.resolve(root, arg('out', 'bench/results'));
const quietWait = Number(arg('quiet-wait', '60'));
const retries = Number(arg('retries', '2'));
type ServerKind = 'scale-chat' | 'naive';
for (const s of servers) if (s !== 'scale-chat' && s !== 'naive') throw new Error(`unknown server "${s}" (scale-chat|naive)`);
if (!clientsList.length || !(rate > 0) || !(duration > 0)) throw new Error('need --clients, --rate > 0, --duration > 0');

// ---------- child bookkeeping ----------
const children = new Set<ChildProcess>();
const tempDirs = new Set<string>();
function track(c: ChildProcess): ChildProcess {
  children.add(c);
  c.on('exit', () => children.delete(c));
  return c;
}
function killAll(): void {
  for (const c of children) {
    try {
      c.kill('SIGKILL');
    } catch {
      /* gone */
    }
  }
  for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
}
process.on('exit', killAll);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(sig, () => {
    console.error(`\nbench: ${sig}: stopping children`);
    killAll();
    process.exit(130);
  });
}
process.on('uncaughtException', (err) => {
  console.error('bench: fatal:', err);
  killAll();
  process.exit(1);
});
process.on('unhandledRejection', (err) => {
  console.error('bench: fatal:', err);
  killAll();
  process.exit(1);
});

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

async function stopChild(c: ChildProcess, graceMs: number): Promise<void> {
  if (c.exitCode !== null || c.signalCode !== null) return;
  c.kill('SIGTERM');
  if (!(await waitExit(c, graceMs))) {
    c.kill('SIGKILL');
    await waitExit(c, 2000);
  }
}

// ---------- servers ----------
interface Running {
  kind: ServerKind;
  proc: ChildProcess;
  port: number;
  dataDir?: string;
  /** Server log lines at warn level and above (scale-chat), or stderr lines. */
  problems: string[];
  exited: string | null;
}

async function startServer(kind: ServerKind): Promise<Running> {
  let args: string[];
  let dataDir: string | undefined;
  if (kind === 'scale-chat') {
    dataDir = mkdtempSync(path.join(tmpdir(), 'scale-chat-bench-'));
    tempDirs.add(dataDir);
    args = [
      '-c', '0', process.execPath, path.join(root, 'dist/src/cli/main.js'), 'serve',
      '--port', '0', '--host', '127.0.0.1', '--data-dir', dataDir, '--log-level', 'info',
      '--rate-per-sec', '1000', '--rate-burst', '1000', '--max-connections', '30000', '--max-connections-per-address', '0', '--guests-per-minute', '0',
    ];
  } else {
    args = ['-c', '0', process.execPath, path.join(here, 'peers/naive-ws.js'), '--port', '0', '--host', '127.0.0.1'];
  }
  const proc = track(spawn('taskset', args, { stdio: ['pipe', 'pipe', 'pipe'] }));
  const r: Running = { kind, proc, port: 0, dataDir, problems: [], exited: null };
  proc.on('exit', (code, sig) => (r.exited = `exit ${code ?? sig}`));
  createInterface({ input: proc.stderr! }).on('line', (l) => {
    if (r.problems.length < 50) r.problems.push(`stderr: ${l.slice(0, 300)}`);
  });
  r.port = await new Promise<number>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`${kind}: no "listening" line within 15 s`)), 15_000);
    proc.once('exit', (code) => reject(new Error(`${kind} exited (${code}) before listening: ${r.problems.join(' | ')}`)));
    createInterface({ input: proc.stdout! }).on('line', (line) => {
      let j: { msg?: string; port?: number; level?: number };
      try {
        j = JSON.parse(line);
      } catch {
        return;
      }
      if (typeof j.msg === 'string' && /listening/.test(j.msg) && typeof j.port === 'number') {
        clearTimeout(t);
        resolve(j.port);
      } else if ((j.level ?? 0) >= 40 && r.problems.length < 50) r.problems.push(line.slice(0, 400));
    });
  });
  return r;
}

function procStatus(pid: number): { hwmMB: number; rssMB: number } {
  try {
    const s = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(s)?.[1] ?? NaN);
    return { hwmMB: kb('VmHWM') / 1024, rssMB: kb('VmRSS') / 1024 };
  } catch {
    return { hwmMB: NaN, rssMB: NaN };
  }
}

/** Busy share (0-100) of the whole machine over `ms` (from /proc/stat): others' processes, e.g. tests. */
async function machineBusy(ms: number): Promise<number> {
  const read = () => {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1, 9).map(Number);
    return { total: f.reduce((a, b) => a + b, 0), idle: f[3] + f[4] };
  };
  try {
    const a = read();
    await sleep(ms);
    const b = read();
    const total = b.total - a.total;
    return total > 0 ? ((total - (b.idle - a.idle)) / total) * 100 : 0;
  } catch {
    return 0;
  }
}

/** Waits (bounded by --quiet-wait s) until the machine is idle, so that other work does not skew a point. */
async function waitQuiet(): Promise<number> {
  const until = Date.now() + quietWait * 1000;
  let busy = await machineBusy(1000);
  while (busy > 10 && Date.now() < until) {
    console.error(`bench: machine ${busy.toFixed(0)}% busy with other processes: waiting for quiet (max ${quietWait} s)`);
    busy = await machineBusy(3000);
  }
  return busy;
}

// ---------- one point ----------
interface GenResult {
  clients: number;
  connected: number;
  connectMs: number;
  sendPhaseMs: number;
  drainMs: number;
  sent: number;
  acked: number;
  expected: number;
  received: number;
  delivered: number;
  missing: number;
  gaps: number;
  tailOpen: number;
  tailClosed: number;
  unacked: number;
  duplicates: number;
  reorders: number;
  badSeq: number;
  offeredDeliveriesPerSec: number;
  deliveriesPerSec: number;
  latencyMs: { p50: number | null; p90: number | null; p99: number | null; max: number | null; samples: number };
  ackLatencyMs: { p50: number | null; p99: number | null; max: number | null };
  genCpuPct: number;
  genCore: { busy: number; softirq: number };
  serverCore: { busy: number; softirq: number };
  genSaturated: boolean;
  serverSaturated: boolean;
  genLoopDelayP99Ms: number;
  maxSendLagMs: number;
  serverCpuPct: number;
  eventsPerFrame: number;
  closedDuringRun: number;
  firstCloseAtMs: number | null;
  closeCodes: Record<string, number>;
  errors: Record<string, number>;
  connectErrors: Record<string, number>;
  otherEvents: Record<string, number>;
}
interface Point {
  n: number;
  server: ServerKind;
  result: GenResult | null;
  failure?: string;
  serverHwmMB: number;
  serverProblems: string[];
  serverExited: string | null;
  /** Machine busy % just before the point (others' work). */
  busyBefore: number;
  attempts?: number;
}

/** Largest share of a core taken by other processes during the point (100 when there is no result). */
function skew(p: Point): number {
  const r = p.result;
  if (!r) return p.failure ? 0 : 100;
  const v = Math.max(foreign(r.serverCore, r.serverCpuPct), foreign(r.genCore, r.genCpuPct));
  return Number.isFinite(v) ? v : 0;
}

/** CPU on a core not used by the process pinned there (others' processes; kernel softirq excluded). */
function foreign(core: { busy: number; softirq: number }, proc: number): number {
  return Math.max(0, core.busy - core.softirq - proc);
}

async function runPoint(kind: ServerKind, n: number): Promise<Point> {
  console.error(`\n=== ${kind}, N=${n}, ${rate} msg/s each, ${duration} s ===`);
  const busyBefore = await waitQuiet();
  const srv = await startServer(kind);
  const point: Point = { n, server: kind, result: null, serverHwmMB: NaN, serverProblems: [], serverExited: null, busyBefore };
  try {
    const pid = srv.proc.pid!;
    const genArgs = [
      '-c', '1', process.execPath, path.join(here, 'fanout-gen.js'),
      '--url', `ws://127.0.0.1:${srv.port}/ws`, '--clients', String(n), '--rate', String(rate),
      '--duration', String(duration), '--connect-rate', String(connectRate), '--drain-wait', String(drainWait),
      '--server-pid', String(pid), '--text-bytes', String(textBytes), '--probes', String(probes), '--label', `${kind} N=${n}`,
    ];
    const gen = track(spawn('taskset', genArgs, { stdio: ['pipe', 'pipe', 'inherit'] }));
    let result: GenResult | null = null;
    createInterface({ input: gen.stdout! }).on('line', (line) => {
      if (line.startsWith('RESULT ')) result = JSON.parse(line.slice(7)) as GenResult;
    });
    const boundMs = ((n / connectRate) * 1000 + 15_000) + (duration * 1250 + 2000) + drainWait * 1000 + 30_000;
    const finished = await waitExit(gen, boundMs);
    if (!finished) {
      point.failure = `generator did not finish within ${Math.round(boundMs / 1000)} s: killed`;
      gen.kill('SIGKILL');
      await waitExit(gen, 2000);
    } else if (gen.exitCode !== 0) point.failure = `generator exited with ${gen.exitCode ?? gen.signalCode}`;
    point.result = result;
    point.serverHwmMB = procStatus(pid).hwmMB;
  } finally {
    point.serverExited = srv.exited;
    await stopChild(srv.proc, 12_000);
    point.serverProblems = srv.problems.filter((l) => !/signal received|draining|drained/.test(l));
    if (srv.dataDir) {
      rmSync(srv.dataDir, { recursive: true, force: true });
      tempDirs.delete(srv.dataDir);
    }
  }
  summarize(point);
  return point;
}

// ---------- formatting ----------
const fmtInt = (x: number) => Math.round(x).toLocaleString('en-US');
const fmtMs = (x: number | null | undefined) => (x === null || x === undefined ? '-' : x < 10 ? x.toFixed(2) : x < 100 ? x.toFixed(1) : fmtInt(x));
const fmtPct = (x: number) => (Number.isFinite(x) ? `${x.toFixed(0)}%` : '-');

function lossCell(r: GenResult): string {
  const unackedSends = r.sent - r.acked;
  const tail = unackedSends > 0 ? `; ${fmtInt(unackedSends)} of ${fmtInt(r.sent)} sends never acked` : '';
  return deliveryLoss(r) + tail;
}
function deliveryLoss(r: GenResult): string {
  if (r.missing === 0) return '0';
  const share = r.expected ? ` (${((r.missing / r.expected) * 100).toFixed(r.missing / r.expected < 0.001 ? 4 : 2)}%)` : '';
  const kinds: string[] = [];
  if (r.gaps) kinds.push(`${fmtInt(r.gaps)} gaps`);
  if (r.tailClosed) kinds.push(`${fmtInt(r.tailClosed)} on closed conns`);
  if (r.tailOpen) kinds.push(`${fmtInt(r.tailOpen)} late`);
  return `${fmtInt(r.missing)}${share}: ${kinds.join(', ')}`;
}

/** Which side ran out of CPU at this point. */
function verdict(r: GenResult): string {
  const gen = `(${fmtPct(r.genCpuPct)} CPU + ${fmtPct(r.genCore.softirq)} softirq)`;
  if (r.genSaturated && r.serverSaturated) return `**YES: both saturated**: server and generator ${gen}`;
  if (r.genSaturated) return `**YES: generator saturated** ${gen}`;
  const late = r.genLoopDelayP99Ms > 250 ? `; **generator event loop p99 ${fmtInt(r.genLoopDelayP99Ms)} ms late**` : '';
  if (r.serverSaturated) return `no: server saturated${late}`;
  return late ? `borderline${late}` : 'no';
}
function contamination(r: GenResult): string {
  const s = foreign(r.serverCore, r.serverCpuPct);
  const g = foreign(r.genCore, r.genCpuPct);
  return s > 10 || g > 10 ? `other processes used ${fmtPct(s)} of the server core, ${fmtPct(g)} of the generator core` : '';
}

function summarize(p: Point): void {
  const r = p.result;
  if (!r) {
    console.error(`!!! ${p.server} N=${p.n}: no result (${p.failure ?? 'unknown'}); server: ${p.serverExited ?? 'running'}; ${p.serverProblems.slice(0, 5).join(' | ')}`);
    return;
  }
  console.error(
    `--- ${p.server} N=${p.n}: connect ${(r.connectMs / 1000).toFixed(1)} s, sent ${fmtInt(r.sent)}, acked ${fmtInt(r.acked)}, ` +
      `deliveries ${fmtInt(r.received)}/${fmtInt(r.expected)} expected, ${fmtInt(r.deliveriesPerSec)}/s steady (offered ${fmtInt(r.offeredDeliveriesPerSec)}/s), ` +
      `p50 ${fmtMs(r.latencyMs.p50)} ms p99 ${fmtMs(r.latencyMs.p99)} ms, loss ${lossCell(r)}, dups ${r.duplicates}, ` +
      `server CPU ${fmtPct(r.serverCpuPct)}, generator CPU ${fmtPct(r.genCpuPct)}`,
  );
  const cont = contamination(r);
  if (cont) console.error(`!!! ${p.server} N=${p.n}: ${cont}: this point is skewed by other work on the machine`);
  if (r.genLoopDelayP99Ms > 250) console.error(`!!! ${p.server} N=${p.n}: generator event loop p99 ${fmtInt(r.genLoopDelayP99Ms)} ms late: latencies include generator delay`);
  if (r.genSaturated) {
    console.error(
      `!!! GENERATOR SATURATED at ${p.server} N=${p.n}: generator CPU ${fmtPct(r.genCpuPct)} + ${fmtPct(r.genCore.softirq)} softirq on its core (event-loop delay p99 ${r.genLoopDelayP99Ms.toFixed(0)} ms): ` +
        (r.serverSaturated ? 'the server is saturated too: both limit this point' : 'this point measures the generator, not the server'),
    );
  }
  if (r.closedDuringRun || Object.keys(r.errors).length || p.serverProblems.length || p.failure) {
    console.error(`!!! ${p.server} N=${p.n}: closes ${JSON.stringify(r.closeCodes)} (first at ${r.firstCloseAtMs} ms), errors ${JSON.stringify(r.errors)}, ${p.failure ?? ''} server log: ${p.serverProblems.slice(0, 5).join(' | ')}`);
  }
}

function table(points: Point[], command: string): string {
  const L: string[] = [];
  const date = new Date().toISOString();
  const cpu = cpus()[0]?.model ?? '?';
  L.push(`# Fan-out benchmark, ${date}`);
  L.push('');
  L.push(`Command: \`${command}\``);
  L.push('');
  L.push(
    `Setup: ${cpus().length} x ${cpu}, Node ${process.version}, loopback. Server pinned to core 0, load generator (one process) to core 1. ` +
      `Every client in \`general\`, ${rate} msg/s each for ${duration} s (text ${textBytes} B), ` +
      `sender included in the fan-out, so offered deliveries/s = N x N x ${rate}. ` +
      `Latency: send -> receipt, measured on up to ${probes} clients spread over the N. ` +
      `Deliveries/s, CPU: over the steady window (from max(1/R, min(2 s, D/5)) after the first send, when every client has started, to 1/R before the last scheduled send, when none has finished). ` +
      `Loss: acked messages not received by some client after a bounded wait (${drainWait} s max), ` +
      `split into gaps (seq skipped: lost), late (not arrived at the deadline) and on closed conns; ` +
      `sends the server had not acked by the deadline are listed apart (they are not in "expected"). ` +
      `Saturated: a process >= 90% of its core, or process + the core's softirq (/proc/stat) >= 95%; other processes on the core are reported apart. ` +
      `"generator-bound?" says when the generator core was saturated (then the generator limits the point, alone or with the server), and flags a generator event loop > 250 ms late (p99: latencies then include generator delay). ` +
      `scale-chat: --rate-per-sec 1000 --rate-burst 1000 --max-connections 30000, fresh SQLite data dir; ` +
      `naive: bench/peers/naive-ws.ts (JSON.stringify + ws.send per recipient, no batching).`,
  );
  L.push('');
  L.push('| N | server | offered deliv/s | deliveries/s | p50 ms | p99 ms | loss | server CPU | generator CPU | generator-bound? |');
  L.push('|---:|---|---:|---:|---:|---:|---|---:|---:|---|');
  for (const p of points) {
    const r = p.result;
    if (!r) {
      L.push(`| ${p.n} | ${p.server} | - | - | - | - | FAILED: ${p.failure ?? ''} | - | - | - |`);
      continue;
    }
    L.push(
      `| ${p.n} | ${p.server} | ${fmtInt(r.offeredDeliveriesPerSec)} | ${fmtInt(r.deliveriesPerSec)} | ${fmtMs(r.latencyMs.p50)} | ${fmtMs(r.latencyMs.p99)} | ${lossCell(r)} | ` +
        `${fmtPct(r.serverCpuPct)} | ${fmtPct(r.genCpuPct)} | ${verdict(r)}${contamination(r) ? ` (SKEWED: ${contamination(r)})` : ''} |`,
    );
  }
  const ns = [...new Set(points.map((p) => p.n))];
  const get = (n: number, s: ServerKind) => points.find((p) => p.n === n && p.server === s)?.result ?? null;
  if (servers.includes('scale-chat') && servers.includes('naive')) {
    L.push('');
    L.push('Ratio scale-chat / naive (deliveries/s: higher is better for scale-chat; latency: lower is better):');
    L.push('');
    L.push('| N | deliveries/s ratio | p50 ratio | p99 ratio | server CPU ratio |');
    L.push('|---:|---:|---:|---:|---:|');
    const ratio = (a: number | null, b: number | null) => (a !== null && b !== null && b > 0 ? `${(a / b).toPrecision(3)}x` : '-');
    for (const n of ns) {
      const a = get(n, 'scale-chat');
      const b = get(n, 'naive');
      if (!a || !b) continue;
      L.push(`| ${n} | ${ratio(a.deliveriesPerSec, b.deliveriesPerSec)} | ${ratio(a.latencyMs.p50, b.latencyMs.p50)} | ${ratio(a.latencyMs.p99, b.latencyMs.p99)} | ${ratio(a.serverCpuPct, b.serverCpuPct)} |`);
    }
  }
  L.push('');
  L.push('Details:');
  L.push('');
  L.push('| N | server | connect s | sent | acked | expected | received | duplicates | p90 ms | max ms | ack p50/p99 ms | events/frame | gen loop p99 ms | max send lag ms | core busy srv/gen (softirq) | other procs srv/gen core | server peak RSS MB | closes | errors |');
  L.push('|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|');
  for (const p of points) {
    const r = p.result;
    if (!r) continue;
    const closes = Object.entries(r.closeCodes).map(([k, v]) => `${k}: ${v}`).join(', ') || '-';
    const errs = [...Object.entries(r.errors), ...Object.entries(r.connectErrors)].map(([k, v]) => `${k}: ${v}`).join(', ') || '-';
    L.push(
      `| ${p.n} | ${p.server} | ${(r.connectMs / 1000).toFixed(1)} | ${fmtInt(r.sent)} | ${fmtInt(r.acked)} | ${fmtInt(r.expected)} | ${fmtInt(r.received)} | ${r.duplicates} | ` +
        `${fmtMs(r.latencyMs.p90)} | ${fmtMs(r.latencyMs.max)} | ${fmtMs(r.ackLatencyMs.p50)}/${fmtMs(r.ackLatencyMs.p99)} | ${r.eventsPerFrame.toFixed(1)} | ` +
        `${r.genLoopDelayP99Ms.toFixed(0)} | ${fmtInt(r.maxSendLagMs)} | ${fmtPct(r.serverCore.busy)}/${fmtPct(r.genCore.busy)} (${fmtPct(r.serverCore.softirq)}/${fmtPct(r.genCore.softirq)}) | ` +
        `${fmtPct(foreign(r.serverCore, r.serverCpuPct))}/${fmtPct(foreign(r.genCore, r.genCpuPct))} | ${fmtInt(p.serverHwmMB)} | ${closes} | ${errs} |`,
    );
  }
  const notes = points.filter(
    (p) => p.serverProblems.length || p.failure || p.busyBefore > 10 || (p.attempts ?? 1) > 1 || (p.result && (p.result.unacked || p.result.reorders || p.result.badSeq || contamination(p.result))),
  );
  if (notes.length) {
    L.push('');
    L.push('Notes:');
    L.push('');
    for (const p of notes) {
      const r = p.result;
      const bits: string[] = [];
      if (p.failure) bits.push(p.failure);
      if ((p.attempts ?? 1) > 1) bits.push(`best of ${p.attempts} attempts (others' work skewed the earlier ones)`);
      if (p.busyBefore > 10) bits.push(`machine ${fmtPct(p.busyBefore)} busy with other work when the point started`);
      if (r && contamination(r)) bits.push(contamination(r));
      if (r?.unacked) bits.push(`${r.unacked} receipts of never-acked seqs`);
      if (r?.reorders) bits.push(`${r.reorders} out-of-order receipts`);
      if (r?.badSeq) bits.push(`${r.badSeq} unparsable seqs`);
      if (p.serverProblems.length) bits.push(`server log: ${p.serverProblems.slice(0, 3).map((l) => '`' + l.replace(/`/g, "'").slice(0, 250) + '`').join('; ')}`);
      L.push(`- ${p.server} N=${p.n}: ${bits.join('; ')}`);
    }
  }
  if (points.some((p) => p.result?.genSaturated)) {
    L.push('');
    L.push('**The generator core was saturated on the points marked YES above: there the generator limits the result (alone, or together with the server when both are marked).**');
  }
  return L.join('\n') + '\n';
}

// ---------- main ----------
async function main(): Promise<void> {
  for (const f of [path.join(root, 'dist/src/cli/main.js'), path.join(here, 'fanout-gen.js'), path.join(here, 'peers/naive-ws.js')]) {
    if (!existsSync(f)) throw new Error(`${f} missing: run \`npx tsc -p .\` first`);
  }
  const command = `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim();
  const points: Point[] = [];
  for (const n of clientsList) {
    for (const s of servers) {
      try {
        // A point skewed by other processes (> 10% of either core) is run again, at most --retries times;
        // the least skewed attempt is kept.
        let best: Point | null = null;
        for (let attempt = 0; attempt <= retries; attempt++) {
          if (attempt) {
            console.error(`bench: ${s} N=${n} was skewed by other work on the machine: attempt ${attempt + 1}/${retries + 1}`);
            await sleep(1500);
          }
          const p = await runPoint(s, n);
          p.attempts = attempt + 1;
          if (!best || skew(p) < skew(best)) best = p;
          if (skew(p) <= 10) break;
        }
        points.push(best!);
      } catch (err) {
        console.error(`!!! ${s} N=${n}: ${(err as Error).message}`);
        points.push({ n, server: s, result: null, failure: (err as Error).message, serverHwmMB: NaN, serverProblems: [], serverExited: null, busyBefore: NaN });
      }
      await sleep(1500);
    }
  }
  const md = table(points, command);
  mkdirSync(outDir, { recursive: true });
  const day = new Date().toISOString().slice(0, 10);
  let file = path.join(outDir, `fanout-${day}.md`);
  for (let k = 2; existsSync(file); k++) file = path.join(outDir, `fanout-${day}-${k}.md`);
  writeFileSync(file, md);
  process.stdout.write('\n' + md);
  console.error(`\nwritten to ${path.relative(root, file)}`);
  if (points.some((p) => p.result?.genSaturated)) console.error('!!! GENERATOR SATURATED on some points: see the table');
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error('bench failed:', err);
    killAll();
    process.exit(1);
  },
);
