/**
 * Pass/fail thresholds: `--threshold "p99<100ms,loss==0"`. Each expression is `<metric><op><value>`
 * with op one of < <= > >= == !=; latency values take a unit (us, ms, s; default ms), percentages
 * may end with %. A violated threshold makes the exit code 1 so CI can gate on a run.
 */
import { OptionError } from './units.js';

export interface Threshold {
  expr: string;
  metric: MetricName;
  op: Op;
  value: number;
}

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
  if (unit === '%' && metric !== 'loss_pct' && metric !== 'gen_cpu') throw new OptionError(`--threshold: "${expr}": ${metric} is not a percentage`);
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

/**
 * Evaluates thresholds against metric values (null: not measured, e.g. no deliveries: such a
 * threshold fails, because nothing proves it holds).
 */
export function evaluate(thresholds: Threshold[], values: Record<MetricName, number | null>): { expr: string; ok: boolean; actual: number | null }[] {
  return thresholds.map((t) => {
    const actual = values[t.metric];
    return { expr: t.expr, ok: actual !== null && compare(actual, t.op, t.value), actual };
  });
}
