/**
 * The charts of one run, as vega-lite specs: latency percentiles over time, deliveries/s and
 * sends/s, sent vs received, connections (with errors and reconnects), CPU, latency histogram
 * and latency by percentile.
 */
import type { TopLevelSpec } from 'vega-lite';
import { emptyChart, HEIGHT, latencyScale, ninesLayout, SERIES_COLORS, WIDTH, windowNote, windows, X_TIME } from './chart-kit.js';
import type { Run } from './run-dir.js';

export interface ChartDef {
  /** PNG file name in the output directory. */
  file: string;
  /** Short caption for the HTML page. */
  caption: string;
  spec: TopLevelSpec;
}


export function latencyOverTime(run: Run): TopLevelSpec {
  const series = ['p50', 'p90', 'p99', 'max'] as const;
  const { window, points } = windows(run.timeseries, { p50_ms: 'max', p90_ms: 'max', p99_ms: 'max', max_ms: 'max' });
  const values = points.flatMap((r) => series.map((s) => ({ elapsed_s: r.elapsed_s, series: s, ms: r[`${s}_ms`] })).filter((v) => v.ms !== null));
  const title = { text: 'Delivery latency per second', subtitle: `${run.label}: latency of each second's deliveries${windowNote(window, 'worst second')}` };
  if (values.length === 0) return emptyChart(title.text, 'no deliveries were timed in timeseries.csv');
  const scale = latencyScale(values.map((v) => v.ms));
  return {
    title,
    width: WIDTH,
    height: HEIGHT,
    data: { values: scale.type === 'log' ? values.filter((v) => v.ms! > 0) : values },
    mark: { type: 'line', strokeWidth: 2 },
    encoding: {
      x: X_TIME,
      y: { field: 'ms', type: 'quantitative', title: scale.title, scale: scale.scale },
      color: { field: 'series', type: 'nominal', title: 'percentile', sort: [...series], scale: { domain: [...series], range: ['#2ca02c', '#1f77b4', '#ff7f0e', '#d62728'] } },
      strokeDash: { field: 'series', type: 'nominal', title: 'percentile', sort: [...series], scale: { domain: [...series], range: [[1, 0], [1, 0], [1, 0], [4, 3]] } },
    },
  };
}

export function throughput(run: Run): TopLevelSpec {
  const { window, points } = windows(run.timeseries, { deliveries_per_s: 'mean', send_per_s: 'mean' });
  return {
    title: { text: 'Throughput per second', subtitle: `${run.label}: deliveries received by all clients (top) and messages sent (bottom)${windowNote(window, 'mean')}` },
    data: { values: points },
    vconcat: [
      {
        width: WIDTH,
        height: 200,
        mark: { type: 'line', strokeWidth: 2, color: SERIES_COLORS[0] },
        encoding: { x: { ...X_TIME, title: null }, y: { field: 'deliveries_per_s', type: 'quantitative', title: 'deliveries per second' } },
      },
      {
        width: WIDTH,
        height: 120,
        mark: { type: 'line', strokeWidth: 2, color: SERIES_COLORS[1] },
        encoding: { x: X_TIME, y: { field: 'send_per_s', type: 'quantitative', title: 'messages sent per second' } },
      },
    ],
  };
}

export function sentVsReceived(run: Run): TopLevelSpec {
  const m = run.summary.messages;
  const fanout = m.sent > 0 ? m.expectedDeliveries / m.sent : null;
  const expectedLabel = fanout === null ? '' : `expected (sent x mean fan-out ${fanout.toFixed(2)})`;
  const top = run.timeseries.flatMap((r) => [
    { elapsed_s: r.elapsed_s, series: 'sent', n: r.sent },
    { elapsed_s: r.elapsed_s, series: 'acked', n: r.acked },
  ]);
  const bottom = run.timeseries.flatMap((r) => [
    { elapsed_s: r.elapsed_s, series: 'received', n: r.received },
    ...(fanout === null ? [] : [{ elapsed_s: r.elapsed_s, series: expectedLabel, n: r.sent * fanout }]),
  ]);
  return {
    title: { text: 'Sent vs received (cumulative)', subtitle: `${run.label}: a gap between the lines is messages in flight or lost` },
    vconcat: [
      {
        width: WIDTH,
        height: 170,
        data: { values: top },
        mark: { type: 'line', strokeWidth: 2 },
        encoding: {
          x: { ...X_TIME, title: null },
          y: { field: 'n', type: 'quantitative', title: 'messages' },
          color: { field: 'series', type: 'nominal', title: 'messages', scale: { domain: ['sent', 'acked'], range: [SERIES_COLORS[1]!, SERIES_COLORS[4]!] } },
          strokeDash: { field: 'series', type: 'nominal', title: 'messages', scale: { domain: ['sent', 'acked'], range: [[1, 0], [5, 3]] } },
        },
      },
      {
        width: WIDTH,
        height: 170,
        data: { values: bottom },
        mark: { type: 'line', strokeWidth: 2 },
        encoding: {
          x: X_TIME,
          y: { field: 'n', type: 'quantitative', title: 'deliveries' },
          color: { field: 'series', type: 'nominal', title: 'deliveries', scale: { domain: fanout === null ? ['received'] : ['received', expectedLabel], range: [SERIES_COLORS[0]!, '#999999'] } },
          strokeDash: { field: 'series', type: 'nominal', title: 'deliveries', scale: { domain: fanout === null ? ['received'] : ['received', expectedLabel], range: [[1, 0], [5, 3]] } },
        },
      },
    ],
    resolve: { scale: { color: 'independent', strokeDash: 'independent' } },
  };
}

/** How a counter column relates to its summary total: running total, per-second count, or neither. */
export function counterKind(values: number[], total: number): 'cumulative' | 'per second' | 'as written' {
  if (values.length === 0) return 'as written';
  const monotonic = values.every((v, i) => i === 0 || v >= values[i - 1]!);
  if (monotonic && values[values.length - 1] === total) return 'cumulative';
  if (values.reduce((a, b) => a + b, 0) === total) return 'per second';
  return monotonic && total === 0 ? 'cumulative' : 'as written';
}

export function connections(run: Run): TopLevelSpec {
  const s = run.summary;
  const errorsTotal = Object.values(s.errors).reduce((a, b) => a + b, 0);
  const eKind = counterKind(run.timeseries.map((r) => r.errors), errorsTotal);
  const rKind = counterKind(run.timeseries.map((r) => r.reconnects), s.reconnects);
  const errLabel = `errors (${eKind})`;
  const recLabel = `reconnects (${rKind})`;
  const counters = run.timeseries.flatMap((r) => [
    { elapsed_s: r.elapsed_s, series: errLabel, n: r.errors },
    { elapsed_s: r.elapsed_s, series: recLabel, n: r.reconnects },
  ]);
  return {
    title: { text: 'Connections over time', subtitle: `${run.label}: target ${s.connections.target}, peak ${s.connections.peak}, ${s.connections.failures} failed connects` },
    vconcat: [
      {
        width: WIDTH,
        height: 200,
        layer: [
          {
            data: { values: run.timeseries.map((r) => ({ elapsed_s: r.elapsed_s, connected: r.connected })) },
            mark: { type: 'area', line: { color: SERIES_COLORS[0] }, color: '#c6dbef', opacity: 0.8 },
            encoding: { x: { ...X_TIME, title: null }, y: { field: 'connected', type: 'quantitative', title: 'open connections' } },
          },
          {
            data: { values: [{ target: s.connections.target, label: `target ${s.connections.target}` }] },
            mark: { type: 'rule', color: '#d62728', strokeDash: [6, 4] },
            encoding: { y: { field: 'target', type: 'quantitative' } },
          },
          {
            data: { values: [{ target: s.connections.target, label: `target ${s.connections.target}` }] },
            mark: { type: 'text', color: '#d62728', align: 'left', dx: 4, dy: -7, x: 0 },
            encoding: { y: { field: 'target', type: 'quantitative' }, text: { field: 'label', type: 'nominal' } },
          },
        ],
      },
      {
        width: WIDTH,
        height: 110,
        data: { values: counters },
        mark: { type: 'line', strokeWidth: 2, interpolate: 'step-after' },
        encoding: {
          x: X_TIME,
          y: { field: 'n', type: 'quantitative', title: 'count' },
          color: { field: 'series', type: 'nominal', title: null, scale: { domain: [errLabel, recLabel], range: ['#d62728', '#9467bd'] }, legend: { orient: 'top' } },
        },
      },
    ],
  };
}

export function cpu(run: Run): TopLevelSpec {
  const { window, points } = windows(run.timeseries, { gen_cpu_pct: 'mean', server_cpu_pct: 'mean' });
  const values = points.flatMap((r) => [
    ...(r.gen_cpu_pct === null ? [] : [{ elapsed_s: r.elapsed_s, series: 'load generator', pct: r.gen_cpu_pct }]),
    ...(r.server_cpu_pct === null ? [] : [{ elapsed_s: r.elapsed_s, series: 'server', pct: r.server_cpu_pct }]),
  ]);
  const g = run.summary.generator;
  const title = { text: 'CPU use', subtitle: `${run.label}: 100% = one core; generator ${g.procs} process(es)${g.bottleneck ? ' - GENERATOR WAS THE BOTTLENECK' : ''}${windowNote(window, 'mean')}` };
  if (values.length === 0) return emptyChart(title.text, 'no CPU samples in timeseries.csv');
  return {
    title,
    width: WIDTH,
    height: 200,
    data: { values },
    mark: { type: 'line', strokeWidth: 2 },
    encoding: {
      x: X_TIME,
      y: { field: 'pct', type: 'quantitative', title: 'CPU (% of one core)' },
      color: { field: 'series', type: 'nominal', title: 'process', scale: { domain: ['load generator', 'server'], range: [SERIES_COLORS[1]!, SERIES_COLORS[0]!] } },
    },
  };
}

export function latencyHistogram(run: Run): TopLevelSpec | null {
  const ev = run.events;
  if (!ev) return null;
  const title = 'Delivery latency histogram';
  if (ev.receivedRows === 0) return emptyChart(title, 'events.csv has no Received rows');
  const sampled = ev.receivedRows !== run.summary.messages.delivered ? ' (sampled)' : '';
  return {
    title: { text: title, subtitle: `${run.label}: ${ev.receivedRows.toLocaleString('en-US')} deliveries from events.csv${sampled}, log-spaced bins` },
    width: WIDTH,
    height: HEIGHT,
    data: { values: ev.bins },
    mark: { type: 'rect', color: SERIES_COLORS[0], stroke: 'white', strokeWidth: 0.5 },
    encoding: {
      x: { field: 'fromMs', type: 'quantitative', title: 'latency (ms, log scale)', scale: { type: 'log', nice: false } },
      x2: { field: 'toMs' },
      y: { field: 'count', type: 'quantitative', title: 'deliveries per bin' },
      tooltip: [{ field: 'fromMs' }, { field: 'toMs' }, { field: 'count' }],
    },
  };
}

/** Latency by percentile for one or more runs (summary.json's latencyCdf). */
export function latencyCdf(series: { label: string; cdf: { percentile: number; ms: number }[] }[], subtitle: string): TopLevelSpec {
  const layout = ninesLayout(series.flatMap((s) => s.cdf.map((p) => p.percentile)));
  const values = series.flatMap((s) => s.cdf.map((p) => ({ run: s.label, percentile: p.percentile, nines: layout.x(p.percentile), ms: p.ms })));
  const title = 'Delivery latency by percentile';
  if (values.length === 0) return emptyChart(title, 'summary.json has an empty latencyCdf');
  const scale = latencyScale(values.map((v) => v.ms));
  const labels = series.map((s) => s.label);
  return {
    title: { text: title, subtitle },
    width: WIDTH,
    height: HEIGHT,
    data: { values: scale.type === 'log' ? values.filter((v) => v.ms > 0) : values },
    mark: { type: 'line', strokeWidth: 2, point: Math.max(...series.map((x) => x.cdf.length)) <= 30 ? { size: 20 } : false },
    encoding: {
      x: { field: 'nines', type: 'quantitative', scale: { domain: layout.domain }, axis: layout.axis },
      y: { field: 'ms', type: 'quantitative', title: scale.title, scale: scale.scale },
      color: { field: 'run', type: 'nominal', title: 'run', scale: { domain: labels, range: SERIES_COLORS }, legend: labels.length > 1 ? {} : null },
      tooltip: [{ field: 'run' }, { field: 'percentile' }, { field: 'ms' }],
    },
  };
}

/** All charts of one run, in page order. */
export function runCharts(run: Run): ChartDef[] {
  const charts: ChartDef[] = [
    { file: 'latency-over-time.png', caption: 'Delivery latency percentiles per second', spec: latencyOverTime(run) },
    { file: 'latency-cdf.png', caption: 'Delivery latency by percentile (exact, from summary.json)', spec: latencyCdf([{ label: run.label, cdf: run.summary.latencyCdf }], `${run.label}: ${run.summary.latencyMs.count.toLocaleString('en-US')} timed deliveries`) },
  ];
  const hist = latencyHistogram(run);
  if (hist) charts.push({ file: 'latency-histogram.png', caption: 'Delivery latency histogram (from events.csv)', spec: hist });
  charts.push(
    { file: 'throughput.png', caption: 'Deliveries per second and messages sent per second', spec: throughput(run) },
    { file: 'sent-received.png', caption: 'Sent vs received over time (cumulative)', spec: sentVsReceived(run) },
    { file: 'connections.png', caption: 'Connections, errors and reconnects over time', spec: connections(run) },
    { file: 'cpu.png', caption: 'CPU use of the load generator and the server', spec: cpu(run) },
  );
  return charts;
}
