/**
 * One `scale-chat loadtest` run against a target (a server started by bench/lib/lab.ts, or a cluster
 * behind nginx, bench/lib/soak-cluster.ts) as a child process (pinned with `taskset -c`, or unpinned),
 * while a ServerSampler (./perf-sampler.ts) measures the server pid's CPU (a cluster: one node's) over
 * the sending window. Returns the generator's summary.json (the fields these benchmarks read) and that
 * window. The loadtest does not scrape /metrics itself (`--metrics-url none`): the sampler is the one
 * scraper. Bounded: the child is killed after its own timeouts plus a margin.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { MAIN, track } from './lab.js';
import { ServerSampler, type SendWindow } from './perf-sampler.js';

/** The fields of summary.json (docs/loadtest.md) read here. */
export interface LoadSummary {
  connections: { peak: number; failures: number };
  messages: { sent: number; acked: number; expectedDeliveries: number; delivered: number; lost: number; duplicates: number; outOfOrder: number };
  latencyMs: { count: number; p50: number; p90: number; p99: number; p999: number; max: number } | null;
  throughput: { deliveriesPerSec: number; sendPerSec: number; window_s: number };
  skippedSends: Record<string, number>;
  generator: { procs: number; cpuPct: number; bottleneck: boolean; note?: string; perProcessCpuPct?: number[] };
  passed: boolean;
  reasons?: string[];
}

export interface LoadRun {
  summary: LoadSummary;
  window: SendWindow;
  /** The run's directory (summary.json, timeseries.csv, events.csv). */
  dir: string;
  exitCode: number | null;
}

export interface LoadRunOptions {
  /** loadtest flags besides --url, --out, --quiet, --metrics-url. */
  args: string[];
  /** Sending time in seconds (for the kill bound). */
  durationS: number;
  /** The generator's cores (`taskset -c`, e.g. "1"); "" for unpinned. */
  cpus: string;
  /** Where the run's files go (created by the loadtest). */
  dir: string;
  /** Connect phase allowance in seconds (for the kill bound). */
  connectS?: number;
}

/** What a load run drives; a lab `Server` is one. */
export interface LoadTarget {
  /** The WebSocket URL the clients connect to. */
  url: string;
  /** The process whose CPU and accepted messages make the sending window, and its http://host:port (its /metrics). */
  pid: number;
  http: string;
  /** Null while the target runs; why it does not, in words (checked after the run). */
  gone(): string | null;
}

export async function runLoadtest(target: LoadTarget, o: LoadRunOptions): Promise<LoadRun> {
  const node = [process.execPath, MAIN, 'loadtest', '--quiet', '--url', target.url, '--metrics-url', 'none', '--out', o.dir, ...o.args];
  // taskset execs node (same pid), so the child tracked and killed is the generator itself.
  const argv = o.cpus ? ['taskset', '-c', o.cpus, ...node] : node;
  const sampler = new ServerSampler(target.pid, `${target.http}/metrics`);
  sampler.start();
  const child = track(spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] }));
  let tail = '';
  const keep = (d: Buffer) => (tail = (tail + d.toString()).slice(-3000));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const boundMs = (o.durationS + (o.connectS ?? 60) + 90) * 1000;
  const exitCode = await new Promise<number | null>((resolve, reject) => {
    const killer = setTimeout(() => child.kill('SIGKILL'), boundMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(killer);
      resolve(code);
    });
  });
  const window = await sampler.stop();
  const file = path.join(o.dir, 'summary.json');
  if (!existsSync(file)) throw new Error(`loadtest exited ${exitCode} without a summary: ${tail.trim().split('\n').slice(-4).join(' / ')}`);
  const gone = target.gone();
  if (gone) throw new Error(`during the run, ${gone}`);
  if (!window) throw new Error(`the server accepted no message during the run (${sampler.samples.length} samples, ${sampler.failures} failed scrapes)`);
  return { summary: JSON.parse(readFileSync(file, 'utf8')) as LoadSummary, window, dir: o.dir, exitCode };
}

/** Why a run's numbers do not describe the server alone, in words (empty: they do). */
export function runCaveats(r: LoadRun): string[] {
  const s = r.summary;
  const out: string[] = [];
  if (s.generator.bottleneck) out.push(`generator bottleneck (${s.generator.note ?? `${s.generator.cpuPct}% CPU`})`);
  if (s.messages.lost > 0) out.push(`${s.messages.lost} deliveries lost`);
  if (s.messages.acked < s.messages.sent) out.push(`${s.messages.sent - s.messages.acked} sends not acked`);
  if (s.connections.failures > 0) out.push(`${s.connections.failures} clients failed to connect`);
  const skipped = Object.entries(s.skippedSends ?? {}).filter(([, n]) => n > 0);
  if (skipped.length) out.push(`sends skipped: ${skipped.map(([k, n]) => `${n} ${k}`).join(', ')}`);
  return out;
}
