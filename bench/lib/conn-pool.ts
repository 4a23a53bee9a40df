/**
 * The parent side of the connection generator: `procs` child processes (./conn-child.ts, each under
 * 19k sockets: the 20k open-file limit), pinned together to `cpus` with taskset (or unpinned), killed
 * when this process exits (lab.ts `track`). A job is split evenly over the children; each child takes
 * every source address of the list, starting at its own offset. The pool also says whether the
 * generator was the bottleneck: a child at >= 90% of a core, or all of them at >= 90% of the cores they
 * are pinned to.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ChildCommand, ChildReport, ConnJob, Tally } from './conn-child.js';
import { cpuSeconds, track, waitExit } from './lab.js';

const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'conn-child.js');
/** Sockets one child may hold (20,000 open files per process, minus some for the runtime). */
export const MAX_SOCKETS_PER_PROC = 19_000;

/** 127.0.0.2 .. 127.0.0.(1+n): local source addresses, ~28k ephemeral ports each. */
export function sourceAddresses(n: number): string[] {
  if (!Number.isInteger(n) || n < 1 || n > 254) throw new Error(`source addresses: 1..254, got ${n}`);
  return Array.from({ length: n }, (_, i) => `127.0.0.${2 + i}`);
}

export interface HoldResult extends Tally {
  /** Time from the first dial to the last handshake settled, slowest child. */
  spanMs: number;
}
export interface ChurnResult extends Tally {
  completed: number;
  latenciesMs: number[];
  /** CPU seconds of every child over the measurement window, and that window. */
  cpuS: number[];
  windowS: number;
}

interface Child {
  proc: ChildProcess;
  stderr: string[];
  reports: ChildReport[];
  waiters: ((r: ChildReport) => void)[];
}

function addTally(into: Tally, t: Tally): void {
  into.ready += t.ready;
  into.failed += t.failed;
  into.dropped += t.dropped;
  into.inFlight += t.inFlight;
  for (const [k, v] of Object.entries(t.codes)) into.codes[k] = (into.codes[k] ?? 0) + v;
}
const emptyTally = (): Tally => ({ ready: 0, failed: 0, dropped: 0, inFlight: 0, codes: {} });

export class ConnPool {
  private readonly children: Child[] = [];
  private latest = new Map<Child, Tally>();
  private started: Promise<void>[] = [];

  /** `cpus`: taskset core list for the children ("1"), "" for unpinned. */
  constructor(
    readonly procs: number,
    readonly cpus: string,
    maxLifetimeS = 1800,
  ) {
    if (!Number.isInteger(procs) || procs < 1 || procs > 64) throw new Error(`generator processes: 1..64, got ${procs}`);
    for (let i = 0; i < procs; i++) {
      const node = [process.execPath, CHILD, '--max-lifetime-s', String(maxLifetimeS)];
      const argv = cpus ? ['taskset', '-c', cpus, ...node] : node;
      const proc = track(spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] }));
      const c: Child = { proc, stderr: [], reports: [], waiters: [] };
      this.started.push(
        new Promise<void>((resolve, reject) => {
          const t = setTimeout(() => reject(new Error(`generator ${proc.pid}: not started within 15 s`)), 15_000);
          proc.once('message', () => (clearTimeout(t), resolve()));
        }),
      );
      proc.stderr!.on('data', (d: Buffer) => c.stderr.length < 20 && c.stderr.push(d.toString().slice(0, 300)));
      proc.on('message', (r: ChildReport) => {
        if (r.kind === 'progress') return void this.latest.set(c, r);
        const w = c.waiters.shift();
        if (w) w(r);
        else c.reports.push(r);
      });
      this.children.push(c);
    }
  }

  /** Resolves once every child has started (its boot is not counted in the CPU read after it). */
  ready(): Promise<void> {
    return Promise.all(this.started).then(() => undefined);
  }

  /** Total CPU seconds of the children so far (from /proc). */
  cpuSeconds(): number[] {
    return this.children.map((c) => (c.proc.exitCode === null && c.proc.pid ? cpuSeconds(c.proc.pid) : 0));
  }

  /** The sum of the children's latest progress reports. */
  progress(): Tally {
    const t = emptyTally();
    for (const p of this.latest.values()) addTally(t, p);
    return t;
  }

  private next(c: Child, timeoutMs: number): Promise<ChildReport> {
    const queued = c.reports.shift();
    if (queued) return Promise.resolve(queued);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`generator ${c.proc.pid}: no report within ${Math.round(timeoutMs / 1000)} s`)), timeoutMs);
      const onExit = (code: number | null) => {
        clearTimeout(timer);
        reject(new Error(`generator ${c.proc.pid} exited (${code}) before reporting: ${c.stderr.join(' ').trim() || 'no stderr'}`));
      };
      c.proc.once('exit', onExit);
      c.waiters.push((r) => {
        clearTimeout(timer);
        c.proc.off('exit', onExit);
        if (r.kind === 'fatal') reject(new Error(`generator ${c.proc.pid}: ${r.message}`));
        else resolve(r);
      });
    });
  }

  private jobFor(i: number, job: ConnJob, concurrency: number): ConnJob {
    const s = job.sources;
    const off = s.length ? Math.floor((i * s.length) / this.procs) : 0;
    return { ...job, concurrency, namePrefix: `${job.namePrefix}${i}x`, sources: [...s.slice(off), ...s.slice(0, off)] };
  }

  /** Splits `n` into `procs` near-equal parts. */
  private split(n: number): number[] {
    return this.children.map((_, i) => Math.floor(n / this.procs) + (i < n % this.procs ? 1 : 0));
  }

  /** Opens `total` connections and keeps the ready ones open; resolves once all are ready or failed. */
  async hold(total: number, job: ConnJob, timeoutMs: number): Promise<HoldResult> {
    await this.ready();
    const parts = this.split(total);
    if (Math.max(...parts) > MAX_SOCKETS_PER_PROC) throw new Error(`${Math.max(...parts)} sockets in one generator process (at most ${MAX_SOCKETS_PER_PROC}): use more processes`);
    const conc = this.split(Math.max(job.concurrency, this.procs));
    this.latest.clear();
    const replies = this.children.map((c, i) => {
      const cmd: ChildCommand = { cmd: 'hold', count: parts[i], timeoutMs, ...this.jobFor(i, job, Math.max(1, conc[i])) };
      c.proc.send(cmd);
      return this.next(c, timeoutMs + 15_000);
    });
    const out: HoldResult = { ...emptyTally(), spanMs: 0 };
    for (const r of await Promise.all(replies)) {
      if (r.kind !== 'held') throw new Error(`generator: expected "held", got "${r.kind}"`);
      addTally(out, r);
      out.spanMs = Math.max(out.spanMs, r.spanMs);
    }
    return out;
  }

  /** A closed loop of `job.concurrency` connect-handshake-terminate workers, split over the children. */
  async churn(job: ConnJob, warmupMs: number, durationMs: number): Promise<ChurnResult> {
    await this.ready();
    const conc = this.split(job.concurrency);
    const active = this.children.filter((_, i) => conc[i] > 0);
    const replies = active.map((c) => {
      const i = this.children.indexOf(c);
      const cmd: ChildCommand = { cmd: 'churn', warmupMs, durationMs, ...this.jobFor(i, job, conc[i]) };
      c.proc.send(cmd);
      return this.next(c, warmupMs + durationMs + job.handshakeTimeoutMs + 15_000);
    });
    const out: ChurnResult = { ...emptyTally(), completed: 0, latenciesMs: [], cpuS: [], windowS: durationMs / 1000 };
    for (const r of await Promise.all(replies)) {
      if (r.kind !== 'churned') throw new Error(`generator: expected "churned", got "${r.kind}"`);
      addTally(out, r);
      out.completed += r.completed;
      for (const l of r.latenciesMs) out.latenciesMs.push(l);
      out.cpuS.push(r.cpuS);
    }
    return out;
  }

  /** Closes every connection and ends the children (SIGKILL after 5 s). */
  async close(): Promise<void> {
    await Promise.all(
      this.children.map(async (c) => {
        if (c.proc.exitCode !== null) return;
        if (c.proc.connected) c.proc.send({ cmd: 'close' } satisfies ChildCommand);
        if (!(await waitExit(c.proc, 5000))) {
          c.proc.kill('SIGKILL');
          await waitExit(c.proc, 2000);
        }
      }),
    );
  }
}

/**
 * Was the generator the bottleneck? `cpuS`: each child's CPU seconds over `wallS`; `cpus`: the cores the
 * children were pinned to ("" unpinned). Returns the reason, or '' when it was not.
 */
export function generatorBottleneck(cpuS: number[], wallS: number, cpus: string): string {
  if (wallS <= 0) return '';
  const shares = cpuS.map((c) => c / wallS);
  const top = Math.max(0, ...shares);
  if (top >= 0.9) return `a generator process used ${Math.round(top * 100)}% of a core`;
  const cores = cpus ? cpuCount(cpus) : 0;
  const sum = shares.reduce((a, b) => a + b, 0);
  if (cores > 0 && sum >= 0.9 * cores) return `the generator processes used ${Math.round(sum * 100)}% of their ${cores} core(s)`;
  return '';
}

/** Cores in a taskset list ("1", "1-3", "1,3"). */
function cpuCount(list: string): number {
  let n = 0;
  for (const part of list.split(',')) {
    const [a, b] = part.split('-').map(Number);
    n += b === undefined ? 1 : b - a + 1;
  }
  return n;
}
