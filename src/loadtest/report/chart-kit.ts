/**
 * Building blocks shared by the single-run and comparison charts: sizes, the percentile
 * ("nines") axis used by latency CDFs, and a log/linear choice for latency axes.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { TimeseriesRow } from './timeseries.js';

export const WIDTH = 760;
export const HEIGHT = 280;
/** The x axis of every over-time chart. */
export const X_TIME = { field: 'elapsed_s', type: 'quantitative', title: 'elapsed time (s)', axis: { format: ',~f' }, scale: { nice: false } } as const;

export const SERIES_COLORS = ['#1f77b4', '#ff7f0e', '#d62728', '#2ca02c', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

/** Percentile -> "nines" (-log10 of the fraction above it): 50% -> 0.3, 90% -> 1, 99% -> 2, 99.9% -> 3. */
export function nines(percentile: number): number {
  return Math.max(0, -Math.log10(1 - Math.min(percentile, 99.9999) / 100));
}

/**
 * Places latency-by-percentile points on a "nines" axis. The 100th percentile (the maximum) has
 * no finite position: it goes half a decade right of the highest other point, labelled "max".
 */
export function ninesLayout(percentiles: number[]): { x(percentile: number): number; axis: object; domain: [number, number] } {
  const finite = percentiles.filter((p) => p < 100).map(nines);
  const top = finite.length ? Math.max(...finite) : 0;
  const maxPos = Math.max(1, Math.ceil(top * 2) / 2) + 0.5;
  const ticks = [0, Math.log10(2), 1, 2, 3, 4, 5, 6].filter((v) => v <= top + 1e-9);
  if (percentiles.some((p) => p >= 100)) ticks.push(maxPos);
  return {
    x: (p) => (p >= 100 ? maxPos : nines(p)),
    domain: [0, maxPos],
    axis: {
      title: 'percentile (log scale of the fraction above)',
      values: ticks,
      labelExpr: `datum.value >= ${maxPos - 1e-6} ? 'max' : datum.value < 0.01 ? '0%' : format(100 - 100 * pow(10, -datum.value), '.4~f') + '%'`,
      grid: true,
    },
  };
}

/** Latency spans orders of magnitude when max/min > 100: then a log axis (rounded to powers of ten, so the top has a label) keeps the low percentiles visible. */
export function latencyScale(values: Iterable<number | null>): { type: 'log' | 'linear'; title: string; scale: { type: 'log' | 'linear'; nice?: boolean } } {
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    if (v === null || v <= 0) continue;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return max / min > 100
    ? { type: 'log', title: 'latency (ms, log scale)', scale: { type: 'log', nice: true } }
    : { type: 'linear', title: 'latency (ms)', scale: { type: 'linear' } };
}

/** A placeholder chart that says why there is nothing to draw (keeps the report layout uniform). */
export function emptyChart(title: string, why: string): TopLevelSpec {
  return {
    title: { text: title, subtitle: why },
    width: WIDTH,
    height: 60,
    data: { values: [{ x: 0, text: why }] },
    mark: { type: 'text', fontSize: 14, color: '#777' },
    encoding: { text: { field: 'text', type: 'nominal' } },
  };
}

/** Most points an over-time line gets; longer runs are summarized in windows of several seconds. */
export const MAX_POINTS = 600;

/**
 * Groups a long timeseries into windows of `window` consecutive seconds so a line stays readable.
 * `columns` says how each column is summarized ('max' for latencies = the worst second, 'mean' for rates).
 * The default window keeps at most MAX_POINTS points; pass `window` to use one size across runs.
 */
export function windows<K extends keyof TimeseriesRow>(
  rows: TimeseriesRow[],
  columns: Record<K, 'max' | 'mean'>,
  window = windowFor(rows.length),
): { window: number; points: ({ elapsed_s: number } & Record<K, number | null>)[] } {
  const points: ({ elapsed_s: number } & Record<K, number | null>)[] = [];
  for (let i = 0; i < rows.length; i += window) {
    const chunk = rows.slice(i, i + window);
    const point = { elapsed_s: chunk[chunk.length - 1]!.elapsed_s } as { elapsed_s: number } & Record<K, number | null>;
    for (const [col, how] of Object.entries(columns) as [K, 'max' | 'mean'][]) {
      const vals = chunk.map((r) => r[col]).filter((v): v is TimeseriesRow[K] & number => typeof v === 'number');
      (point as Record<K, number | null>)[col] = vals.length === 0 ? null : how === 'max' ? Math.max(...vals) : vals.reduce((a, b) => a + b, 0) / vals.length;
    }
    points.push(point);
  }
  return { window, points };
}

export function windowFor(rows: number): number {
  return Math.max(1, Math.ceil(rows / MAX_POINTS));
}

/** Subtitle suffix for windowed charts. */
export function windowNote(window: number, how: string): string {
  return window > 1 ? ` (${how} of each ${window}-s window)` : '';
}
