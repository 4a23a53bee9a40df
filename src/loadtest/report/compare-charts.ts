/**
 * Charts that overlay several runs: latency by percentile, p99 per second, deliveries/s per
 * second, and p99 / deliveries/s against each run's client count (a sweep), one line per target kind.
 */
import type { TopLevelSpec } from 'vega-lite';
import { emptyChart, HEIGHT, latencyScale, SERIES_COLORS, WIDTH, windowFor, windowNote, windows, X_TIME } from './chart-kit.js';
import type { Run } from './run-dir.js';
import { latencyCdf, type ChartDef } from './run-charts.js';


function runColor(runs: Run[]) {
  const labels = runs.map((r) => r.label);
  return { field: 'run', type: 'nominal', title: 'run', sort: labels, scale: { domain: labels, range: SERIES_COLORS } } as const;
}

export function p99OverTime(runs: Run[]): TopLevelSpec {
  const window = windowFor(Math.max(...runs.map((r) => r.timeseries.length)));
  const values = runs.flatMap((run) => {
    const w = windows(run.timeseries, { p99_ms: 'max' }, window);
    return w.points.filter((r) => r.p99_ms !== null).map((r) => ({ run: run.label, elapsed_s: r.elapsed_s, ms: r.p99_ms! }));
  });
  const title = 'p99 delivery latency per second, by run';
  if (values.length === 0) return emptyChart(title, 'no run has timed deliveries in timeseries.csv');
  const scale = latencyScale(values.map((v) => v.ms));
  return {
    title: { text: title, subtitle: `each line is one run; 99% of that second's deliveries were faster${windowNote(window, 'worst second')}` },
    width: WIDTH,
    height: HEIGHT,
    data: { values: scale.type === 'log' ? values.filter((v) => v.ms > 0) : values },
    mark: { type: 'line', strokeWidth: 2 },
    encoding: { x: X_TIME, y: { field: 'ms', type: 'quantitative', title: `p99 ${scale.title}`, scale: scale.scale }, color: runColor(runs) },
  };
}

export function deliveriesOverTime(runs: Run[]): TopLevelSpec {
  const window = windowFor(Math.max(...runs.map((r) => r.timeseries.length)));
  const values = runs.flatMap((run) => {
    const w = windows(run.timeseries, { deliveries_per_s: 'mean' }, window);
    return w.points.map((r) => ({ run: run.label, elapsed_s: r.elapsed_s, v: r.deliveries_per_s }));
  });
  return {
    title: { text: 'Deliveries per second, by run', subtitle: `messages received by all clients in each second${windowNote(window, 'mean')}` },
    width: WIDTH,
    height: HEIGHT,
    data: { values },
    mark: { type: 'line', strokeWidth: 2 },
    encoding: { x: X_TIME, y: { field: 'v', type: 'quantitative', title: 'deliveries per second' }, color: runColor(runs) },
  };
}

export function scaling(runs: Run[]): TopLevelSpec {
  const values = runs
    .map((run) => ({
      run: run.label,
      kind: run.summary.target.kind,
      clients: run.summary.workload.clients,
      p99: run.summary.latencyMs.p99,
      dps: run.summary.throughput.deliveriesPerSec,
    }))
    .sort((a, b) => a.clients - b.clients);
  const clients = values.map((v) => v.clients).filter((c) => c > 0);
  const logX = clients.length > 0 && Math.max(...clients) / Math.min(...clients) >= 20;
  const kinds = [...new Set(values.map((v) => v.kind))];
  const x = { field: 'clients', type: 'quantitative', title: `clients${logX ? ' (log scale)' : ''}`, scale: logX ? { type: 'log' as const } : { zero: false } } as const;
  const color = { field: 'kind', type: 'nominal', title: 'target', scale: { domain: kinds, range: SERIES_COLORS } } as const;
  const p99 = values.filter((v) => v.p99 !== null);
  const yScale = latencyScale(p99.map((v) => v.p99));
  return {
    title: { text: 'Latency and throughput against client count', subtitle: 'one point per run (its summary.json); lines join runs of the same target' },
    vconcat: [
      {
        width: WIDTH,
        height: 220,
        data: { values: yScale.type === 'log' ? p99.filter((v) => v.p99! > 0) : p99 },
        mark: { type: 'line', point: { size: 60, filled: true }, strokeWidth: 2 },
        encoding: { x: { ...x, title: null }, y: { field: 'p99', type: 'quantitative', title: `p99 ${yScale.title}`, scale: yScale.scale }, color, tooltip: [{ field: 'run' }, { field: 'clients' }, { field: 'p99' }] },
      },
      {
        width: WIDTH,
        height: 220,
        data: { values },
        mark: { type: 'line', point: { size: 60, filled: true }, strokeWidth: 2 },
        encoding: { x, y: { field: 'dps', type: 'quantitative', title: 'deliveries per second (mean)' }, color, tooltip: [{ field: 'run' }, { field: 'clients' }, { field: 'dps' }] },
      },
    ],
  };
}

/** All comparison charts, in page order. */
export function compareCharts(runs: Run[]): ChartDef[] {
  return [
    { file: 'compare-scaling.png', caption: 'p99 latency and deliveries/s against the client count of each run', spec: scaling(runs) },
    { file: 'compare-latency-cdf.png', caption: 'Delivery latency by percentile, one line per run', spec: latencyCdf(runs.map((r) => ({ label: r.label, cdf: r.summary.latencyCdf })), 'exact percentiles from each run\'s summary.json') },
    { file: 'compare-p99-over-time.png', caption: 'p99 delivery latency per second, one line per run', spec: p99OverTime(runs) },
    { file: 'compare-deliveries.png', caption: 'Deliveries per second, one line per run', spec: deliveriesOverTime(runs) },
  ];
}
