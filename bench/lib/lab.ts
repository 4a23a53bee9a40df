/**
 * What every `npm run bench:<name>` script shares: its children (killed on exit, errors and signals),
 * one CPU cgroup (bench/peers/cpu-quota.ts) for the server under test, starting a target's server
 * (scale-chat on a temp data dir, or a peer) pinned to core 0 and, when asked, under a CPU quota,
 * stopping it (SIGTERM, or `kill -9`), a process's CPU time and RSS from /proc, and where results go:
 * bench/results/<name>-<stamp>.json and one section of docs/benchmarks.md (bench/lib/doc.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { inGroup, openCpuCgroup, type CpuCgroup } from '../peers/cpu-quota.js';

const here = path.dirname(fileURLToPath(import.meta.url)); // dist/bench/lib
export const ROOT = path.resolve(here, '../../..');
export const MAIN = path.join(ROOT, 'dist/src/cli/main.js');
const PEERS = path.resolve(here, '../peers');

export type Target = 'scale-chat' | 'ws-naive' | 'socketio';

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

const children = new Set<ChildProcess>();
const tempDirs = new Set<string>();
let cgroup: CpuCgroup | null = null;
let cgroupWhy = '';

function cleanup(): void {
  for (const c of children) c.kill('SIGKILL');
  for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
  if (cgroup) {
    const g = cgroup;
    cgroup = null;
    if (!g.remove(5000)) console.error(`bench: could not remove ${g.dir} (processes still in it: ${g.pids().join(' ') || 'none'}); remove it with rmdir`);
  }
}
process.on('exit', cleanup);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, () => process.exit(130));

/** Tracks a child so it is killed when this process exits. */
export function track<C extends ChildProcess>(c: C): C {
  children.add(c);
  c.on('exit', () => children.delete(c));
  return c;
}

/** A temp dir removed when this process exits (or by `dropTemp`). */
export function tempDir(prefix: string): string {
  const d = mkdtempSync(path.join(tmpdir(), prefix));
  tempDirs.add(d);
  return d;
}
export function dropTemp(d: string): void {
  rmSync(d, { recursive: true, force: true });
  tempDirs.delete(d);
}

/** The bench's CPU cgroup, opened once; null (with `quotaUnavailable()` saying why) when neither cgroup version is writable. */
export function benchCgroup(): CpuCgroup | null {
  if (cgroup || cgroupWhy) return cgroup;
  const g = openCpuCgroup();
  if ('group' in g) cgroup = g.group;
  else cgroupWhy = g.why;
  return cgroup;
}
export function quotaUnavailable(): string {
  return cgroupWhy;
}

export function waitExit(c: ChildProcess, ms: number): Promise<boolean> {
  if (c.exitCode !== null || c.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(false), ms);
    c.once('exit', () => {
      clearTimeout(t);
      resolve(true);
    });
  });
}

/** SIGTERM, then SIGKILL after 10 s. */
export async function stop(c: ChildProcess): Promise<void> {
  c.kill('SIGTERM');
  if (!(await waitExit(c, 10_000))) {
    c.kill('SIGKILL');
    await waitExit(c, 2000);
  }
}

export interface ServerOptions {
  /** CPU share of one core for the server (a cgroup quota); null or absent: no quota. */
  quota?: number | null;
  /** scale-chat: the data dir (kept; a restart on it resumes); absent: a fresh temp dir. */
  dataDir?: string;
  /** scale-chat: the port to listen on (0: any). */
  port?: number;
  /** More `serve` flags (scale-chat) or peer flags. */
  args?: string[];
  /** Pin to this core list (`taskset -c`); default "0"; "" for no pinning. */
  cpus?: string;
  /** Extra node flags, e.g. ['--cpu-prof', '--cpu-prof-dir=/tmp/p']. */
  nodeArgs?: string[];
}

export interface Server {
  target: Target;
  proc: ChildProcess;
  pid: number;
  port: number;
  /** WebSocket URL (scale-chat and ws-naive: /ws; Socket.IO: its own path). */
  url: string;
  /** http://host:port */
  http: string;
  dataDir?: string;
  stderr: string[];
  /** Null while the server runs; once it exited, that in words (its exit code and first stderr lines). */
  gone(): string | null;
}

/** The flags that lift scale-chat's per-client abuse limits for a load generator on loopback. */
export const SCALE_CHAT_BENCH_FLAGS = ['--rate-per-sec', '1000', '--rate-burst', '2000', '--max-connections', '19000', '--max-connections-per-address', '0', '--guests-per-minute', '0'];

export async function startServer(target: Target, o: ServerOptions = {}): Promise<Server> {
  let args: string[];
  let dataDir: string | undefined;
  if (target === 'scale-chat') {
    dataDir = o.dataDir ?? tempDir('scale-chat-bench-data-');
    args = [MAIN, 'serve', '--port', String(o.port ?? 0), '--host', '127.0.0.1', '--data-dir', dataDir, '--log-level', 'info', ...SCALE_CHAT_BENCH_FLAGS, ...(o.args ?? [])];
  } else {
    args = [path.join(PEERS, target === 'ws-naive' ? 'ws-naive-server.js' : 'socketio.js'), '--port', String(o.port ?? 0), '--host', '127.0.0.1', ...(o.args ?? [])];
  }
  const cpusList = o.cpus ?? '0';
  const node = [process.execPath, ...(o.nodeArgs ?? []), ...args];
  const argv = cpusList ? ['taskset', '-c', cpusList, ...node] : node;
  const quota = o.quota ?? null;
  let cmd = { cmd: argv[0], args: argv.slice(1) };
  if (quota !== null) {
    const g = benchCgroup();
    if (!g) throw new Error(`a CPU quota was asked for but no cgroup is writable: ${cgroupWhy}`);
    g.setQuota(quota);
    cmd = inGroup(g, argv);
  }
  const proc = track(spawn(cmd.cmd, cmd.args, { stdio: ['pipe', 'pipe', 'pipe'] }));
  const stderr: string[] = [];
  createInterface({ input: proc.stderr! }).on('line', (l) => stderr.length < 20 && stderr.push(l.slice(0, 300)));
  const port = await new Promise<number>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`${target}: no "listening" line within 30 s`)), 30_000);
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
  proc.on('exit', () => children.delete(proc));
  if (quota !== null && !cgroup!.pids().includes(proc.pid ?? -1)) throw new Error(`${target}: the server (pid ${proc.pid}) is not in ${cgroup!.dir}`);
  const pathPart = target === 'socketio' ? '' : '/ws';
  const gone = () => (proc.exitCode === null ? null : `the server exited (${proc.exitCode}): ${stderr.join(' | ')}`);
  return { target, proc, pid: proc.pid ?? -1, port, url: `ws://127.0.0.1:${port}${pathPart}`, http: `http://127.0.0.1:${port}`, dataDir, stderr, gone };
}

/** `kill -9` the server and wait for it to be gone. */
export async function kill9(s: Server): Promise<void> {
  s.proc.kill('SIGKILL');
  await waitExit(s.proc, 5000);
}

const TICK_S = 0.01; // USER_HZ 100 on Linux

/** User+system CPU seconds of a process (and its exited children it waited for not included). */
export function cpuSeconds(pid: number): number {
  const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) * TICK_S;
}

/** Resident set size of a process, bytes. */
export function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

/** CPU used by `pid` while `fn` runs: seconds, and the share of one core. */
export async function cpuDuring<T>(pid: number, fn: () => Promise<T>): Promise<{ result: T; cpuS: number; wallS: number; pct: number }> {
  const c0 = cpuSeconds(pid);
  const t0 = performance.now();
  const result = await fn();
  const wallS = (performance.now() - t0) / 1000;
  const cpuS = cpuSeconds(pid) - c0;
  return { result, cpuS, wallS, pct: wallS > 0 ? (cpuS / wallS) * 100 : 0 };
}

/** Percentile (nearest rank) of numbers; NaN for none. */
export function pct(xs: readonly number[], p: number): number {
  if (!xs.length) return NaN;
  const s = xs.slice().sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((s.length * p) / 100) - 1))];
}

/** The middle value; the mean of the two middle ones for an even count (two runs: their mean). */
export function median(xs: readonly number[]): number {
  if (!xs.length) return NaN;
  const s = xs.slice().sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}
