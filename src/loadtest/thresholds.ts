/**
 * Pass/fail thresholds: `--threshold "p99<100ms,loss==0"`. Each expression is `<metric><op><value>`
 * with op one of < <= > >= == !=; latency values take a unit (us, ms, s; default ms), percentages
 * may end with %. A violated threshold makes the exit code 1 so CI can gate on a run.
 *
 * Default checks apply on top of the user's thresholds, so that a run that lost messages or clients
 * never passes by accident: no delivery lost (`loss==0`, or the bound of `--max-loss`), none
 * duplicated or out of order, every client connected (`connect_failures==0`, or the bound of
 * `--max-connect-failures`). A `--threshold` on the same metric replaces its default check.
 */
import { OptionError } from './units.js';

/** Where a check comes from: `--threshold`, a default check, or a bound flag (--max-loss, --max-connect-failures). */
export type CheckSource = 'threshold' | 'default' | '--max-loss' | '--max-connect-failures';

export interface Threshold {
  expr: string;
  metric: MetricName;
  op: Op;
  value: number;
  /** Absent: `--threshold`. */
  source?: CheckSource;
}

/** A bound of --max-loss / --max-connect-failures: a count, or a percentage (of expected deliveries / of clients). */
export type Bound = { count: number } | { pct: number };

type Op = '<' | '<=' | '>' | '>=' | '==' | '!=';

/** What each metric reads from the summary (units: latencies in ms, rates per second, pct 0-100). */
export const METRICS = {
  p50: 'delivery latency p50 (ms)',
  p90: 'delivery latency p90 (ms)',
  p99: 'delivery latency p99 (ms)',
  p999: 'delivery latency p99.9 (ms)',
  max: 'delivery latency max (ms)',
  mean: 'delivery latency mean (ms)',
  loss: 'expected deliveries not delivered (count)',
  loss_pct: 'lost / expected deliveries (%)',
  delivered: 'deliveries of acknowledged messages (count)',
  expected: 'expected deliveries (count)',
  sent: 'messages sent (count)',
  acked: 'messages acknowledged (count)',
  send_failed: 'sends that failed (count)',
  duplicates: 'duplicate deliveries (count)',
  out_of_order: 'out-of-order deliveries (count)',
  connect_failures: 'clients whose connection failed (count)',
  connect_failures_pct: 'clients whose connection failed / clients (%)',
  connect_p99: 'connect time p99 (ms)',
  peak_connections: 'most clients connected at once',
  errors: 'errors of any kind (count)',
  reconnects: 'reconnects (count)',
  resumes: 'resumed sessions (count)',
  deliveries_per_s: 'mean deliveries per second',
  send_per_s: 'mean sends per second',
  gen_cpu: 'generator CPU (% of one core per process, max over processes)',
} as const;
export type MetricName = keyof typeof METRICS;

const LATENCY = new Set<MetricName>(['p50', 'p90', 'p99', 'p999', 'max', 'mean', 'connect_p99']);
const PERCENT = new Set<MetricName>(['loss_pct', 'gen_cpu', 'connect_failures_pct']);

export function parseThresholds(raw: string | string[]): Threshold[] {
  const parts = (Array.isArray(raw) ? raw : [raw]).flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean);
  return parts.map(parseOne);
}

function parseOne(expr: string): Threshold {
  const m = /^([a-z_0-9]+)\s*(<=|>=|==|!=|<|>)\s*(-?\d+(?:\.\d+)?)\s*(us|ms|s|%)?$/.exec(expr);
  if (!m) throw new OptionError(`--threshold: "${expr}" is not <metric><op><value>, e.g. p99<100ms or loss==0`);
  const metric = m[1] as MetricName;
  if (!(metric in METRICS)) {
    throw new OptionError(`--threshold: unknown metric "${m[1]}" (one of ${Object.keys(METRICS).join(', ')})`);
  }
  const unit = m[4];
  let value = Number(m[3]);
  if (unit && unit !== '%' && !LATENCY.has(metric)) throw new OptionError(`--threshold: "${expr}": ${metric} takes no time unit`);
  if (unit === '%' && !PERCENT.has(metric)) throw new OptionError(`--threshold: "${expr}": ${metric} is not a percentage`);
  if (unit === 'us') value /= 1000;
  if (unit === 's') value *= 1000;
  return { expr, metric, op: m[2] as Op, value };
}

export function compare(actual: number, op: Op, value: number): boolean {
  switch (op) {
    case '<':
      return actual < value;
    case '<=':
      return actual <= value;
    case '>':
      return actual > value;
    case '>=':
      return actual >= value;
    case '==':
      return actual === value;
    case '!=':
      return actual !== value;
  }
}

/** "0", "25" (a count) or "0.5%" (a percentage): the value of --max-loss / --max-connect-failures. */
export function parseBound(raw: string | number, what: string): Bound {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(%)?\s*$/.exec(String(raw));
  if (!m) throw new OptionError(`${what}: expected a count like 10 or a percentage like 0.5%, got "${raw}"`);
  const n = Number(m[1]);
  if (m[2]) {
    if (n > 100) throw new OptionError(`${what}: a percentage is at most 100%, got ${n}%`);
    return { pct: n };
  }
  if (!Number.isInteger(n)) throw new OptionError(`${what}: a count is a whole number (or end it with %), got ${n}`);
  return { count: n };
}

/** Metrics whose default check a user threshold on any of them replaces. */
const FAMILIES: { metrics: MetricName[]; bound?: 'maxLoss' | 'maxConnectFailures'; check: (b: Bound | null) => { expr: string; source: CheckSource } }[] = [
  {
    metrics: ['loss', 'loss_pct'],
    bound: 'maxLoss',
    check: (b) => (b === null ? { expr: 'loss==0', source: 'default' } : { expr: 'pct' in b ? `loss_pct<=${b.pct}%` : `loss<=${b.count}`, source: '--max-loss' }),
  },
  { metrics: ['duplicates'], check: () => ({ expr: 'duplicates==0', source: 'default' }) },
  { metrics: ['out_of_order'], check: () => ({ expr: 'out_of_order==0', source: 'default' }) },
  {
    metrics: ['connect_failures', 'connect_failures_pct'],
    bound: 'maxConnectFailures',
    check: (b) =>
      b === null
        ? { expr: 'connect_failures==0', source: 'default' }
        : { expr: 'pct' in b ? `connect_failures_pct<=${b.pct}%` : `connect_failures<=${b.count}`, source: '--max-connect-failures' },
  },
];

/**
 * Every check of a run: the user's thresholds, then the default checks. A default check is dropped
 * when a user threshold names one of its metrics; --max-loss / --max-connect-failures, when given,
 * always apply (they are the user's word too).
 */
export function checksOf(o: { thresholds: Threshold[]; maxLoss: Bound | null; maxConnectFailures: Bound | null }): Threshold[] {
  const named = new Set(o.thresholds.map((t) => t.metric));
  const out: Threshold[] = o.thresholds.map((t) => ({ ...t, source: t.source ?? 'threshold' }));
  for (const f of FAMILIES) {
    const bound = f.bound ? o[f.bound] : null;
    if (bound === null && f.metrics.some((m) => named.has(m))) continue;
    const { expr, source } = f.check(bound);
    out.push({ ...parseOne(expr), source });
  }
  return out;
}

export interface CheckResult {
  expr: string;
  ok: boolean;
  actual: number | null;
  source: CheckSource;
}

/**
 * Evaluates thresholds against metric values (null: not measured, e.g. no deliveries: such a
 * threshold fails, because nothing proves it holds).
 */
export function evaluate(thresholds: Threshold[], values: Record<MetricName, number | null>): CheckResult[] {
  return thresholds.map((t) => {
    const actual = values[t.metric];
    return { expr: t.expr, ok: actual !== null && compare(actual, t.op, t.value), actual, source: t.source ?? 'threshold' };
  });
}

/** Why a failed check failed, in words (the summary's `reasons` and the table's result line). */
export function reasonOf(c: CheckResult, v: { expected: number; clients: number }): string {
  const a = c.actual;
  const metric = /^[a-z_0-9]+/.exec(c.expr)?.[0] as MetricName | undefined;
  let what: string;
  if (a === null) what = `${metric ? METRICS[metric] : c.expr} was not measured`;
  else if (metric === 'loss') what = `${a} of ${v.expected} expected deliveries lost`;
  else if (metric === 'loss_pct') what = `${round(a)}% of ${v.expected} expected deliveries lost`;
  else if (metric === 'duplicates') what = `${a} duplicate deliveries`;
  else if (metric === 'out_of_order') what = `${a} deliveries out of order`;
  else if (metric === 'connect_failures') what = `${a} of ${v.clients} clients could not connect`;
  else if (metric === 'connect_failures_pct') what = `${round(a)}% of ${v.clients} clients could not connect`;
  else what = `${metric ? METRICS[metric] : 'actual'}: ${round(a)}`;
  const loosen = metric === 'loss' || metric === 'loss_pct' ? '--max-loss' : metric?.startsWith('connect_failures') ? '--max-connect-failures' : '--threshold';
  const from = c.source === 'default' ? `default check ${c.expr}; loosen with ${loosen}` : c.source === 'threshold' ? `threshold ${c.expr}` : `${c.source} check ${c.expr}`;
  return `${what} (${from})`;
}

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}
