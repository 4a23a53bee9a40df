/**
 * The soak's verdicts, pure functions over its samples (bench/soak.ts): is memory flat once warm, and
 * does latency drift? A garbage-collected heap saw-tooths by tens of MB over minutes, so a regression
 * slope over a short run says little; the verdict compares the medians of the first and last thirds of
 * the warm window (robust to the saw-tooth), and the slope is reported beside it.
 */
import { fitLine } from './perf-cost-chart.js';
import { median } from './lab.js';

/** One server process at one sampling instant: RSS and fds from /proc, the rest from its /metrics. */
export interface ProcSample {
  rssMb: number;
  heapUsedMb: number;
  /** Event-loop delay over the last sample interval (prom-client resets it at each scrape). */
  lagP99Ms: number;
  lagMaxMs: number;
  openFds: number;
  connections: number;
}

/** One sampling instant: each node (single mode: the one server), and the stores. */
export interface SoakSample {
  /** Seconds since the load started. */
  t: number;
  /** By node; null where the node did not answer in time (a hole in its series). */
  nodes: (ProcSample | null)[];
  /** Database size: single mode the data dir's database and WAL files, cluster mode PostgreSQL's pg_database_size. */
  dbMb: number;
  /** Cluster mode: Redis `INFO memory` used_memory and used_memory_rss. */
  redisMb?: number;
  redisRssMb?: number;
}

/** Node `i`'s samples, each with its instant (the ones where it answered). */
export function nodeSeries(samples: readonly SoakSample[], i: number): (ProcSample & { t: number })[] {
  return samples.flatMap((s) => {
    const n = s.nodes[i];
    return n ? [{ t: s.t, ...n }] : [];
  });
}

export interface Trend {
  /** Median of the first and the last third of the warm window. */
  first: number;
  last: number;
  growth: number;
  /** Least-squares slope over the warm window, per hour. */
  perHour: number;
  ok: boolean;
}

/** The samples after the warm-up, split in thirds. */
export function thirds<T extends { t: number }>(samples: readonly T[], warmS: number): [T[], T[]] {
  const warm = samples.filter((s) => s.t >= warmS);
  const n = Math.floor(warm.length / 3);
  return [warm.slice(0, n), warm.slice(warm.length - n)];
}

/**
 * Flat when the last third's median exceeds the first third's by at most `tolerance` (absolute, in the
 * field's unit) or `relTolerance` of the first, whichever is larger.
 */
export function trend<T extends { t: number }>(samples: readonly T[], warmS: number, value: (s: T) => number, tolerance: number, relTolerance = 0.05): Trend {
  const [a, b] = thirds(samples, warmS);
  if (a.length < 2) return { first: NaN, last: NaN, growth: NaN, perHour: NaN, ok: false };
  const first = median(a.map(value));
  const last = median(b.map(value));
  const warm = samples.filter((s) => s.t >= warmS);
  const slope = fitLine(warm.map((s) => ({ x: s.t, y: value(s) }))).b;
  const growth = last - first;
  return { first, last, growth, perHour: slope * 3600, ok: growth <= Math.max(tolerance, relTolerance * Math.abs(first)) };
}

/** Latency drift: the last third's median per-second p99 against the first third's, allowed `factor` times plus `slackMs`. */
export function drift(points: readonly { t: number; p99Ms: number }[], warmS: number, factor = 1.5, slackMs = 5): Trend {
  const t = trend(points, warmS, (p) => p.p99Ms, 0, 0);
  return { ...t, ok: !Number.isNaN(t.first) && t.last <= t.first * factor + slackMs };
}

export interface NodeVerdicts {
  rss: Trend;
  heap: Trend;
  fds: Trend;
}

/** The memory verdicts of each of `nodes` nodes: RSS and heap within their tolerances (MB), open fds within 10. */
export function nodeVerdicts(samples: readonly SoakSample[], nodes: number, warmS: number, rssTolMb: number, heapTolMb: number): NodeVerdicts[] {
  return Array.from({ length: nodes }, (_, i) => {
    const s = nodeSeries(samples, i);
    return { rss: trend(s, warmS, (x) => x.rssMb, rssTolMb), heap: trend(s, warmS, (x) => x.heapUsedMb, heapTolMb), fds: trend(s, warmS, (x) => x.openFds, 10, 0) };
  });
}
