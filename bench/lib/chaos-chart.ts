/**
 * The chaos run's timeline chart: the injected faults as shaded bands over three panels that share
 * the time axis: acks per second, ack latency (p50 and p99 of the sends made in each second, log
 * scale) and connected clients. Built from the run's record alone (./chaos-history.ts), drawn with
 * the load lab's renderer (vega-lite -> SVG -> PNG, src/loadtest/report/render.ts).
 */
import type { TopLevelSpec } from 'vega-lite';
import { SERIES_COLORS } from '../../src/loadtest/report/chart-kit.js';
import { specToPng } from '../../src/loadtest/report/render.js';
import { FAULT_KINDS, type ChaosRecord, type FaultKind } from './chaos-history.js';
import { pct } from './lab.js';

export interface TimelineSecond {
  /** Seconds since the workload started. */
  t: number;
  acks: number;
  p50Ms: number | null;
  p99Ms: number | null;
  connected: number;
}

/** One row per second from the start of the workload to the end of the run. */
export function timeline(rec: ChaosRecord): TimelineSecond[] {
  const seconds = Math.max(1, Math.ceil((rec.endAt - rec.startAt) / 1000));
  const sec = (ms: number) => Math.floor((ms - rec.startAt) / 1000);
  const acks = new Array<number>(seconds).fill(0);
  const lat: number[][] = Array.from({ length: seconds }, () => []);
  for (const c of rec.clients)
    for (const s of c.sends) {
      if (s.outcome !== 'acked' || s.ackAt === undefined) continue;
      const a = sec(s.ackAt);
      if (a >= 0 && a < seconds) acks[a]++;
      const b = sec(s.at);
      if (b >= 0 && b < seconds) lat[b].push(s.ackAt - s.at);
    }
  // Connected at the end of each second: a client's state is its last transition so far.
  const connected = new Array<number>(seconds).fill(0);
  for (const c of rec.clients) {
    let up = false;
    let i = 0;
    const conn = [...c.conn].sort((x, y) => x[0] - y[0]);
    for (let s = 0; s < seconds; s++) {
      const end = rec.startAt + (s + 1) * 1000;
      while (i < conn.length && conn[i][0] <= end) up = conn[i++][1] === 'up';
      if (up) connected[s]++;
    }
  }
  return acks.map((n, s) => ({
    t: s,
    acks: n,
    p50Ms: lat[s].length ? pct(lat[s], 50) : null,
    p99Ms: lat[s].length ? pct(lat[s], 99) : null,
    connected: connected[s],
  }));
}

/** One color per fault kind, the same in every chart (tableau20's darker and lighter pairs, far apart). */
const FAULT_COLORS: Record<FaultKind, string> = {
  kill9: '#d62728',
  sigstop: '#9467bd',
  drop: '#17becf',
  slow: '#7f7f7f',
  redis: '#2ca02c',
  'redis-outage': '#8c564b',
  pg: '#1f77b4',
  rolling: '#ff7f0e',
  'partition-backends': '#e377c2',
  'partition-clients': '#bcbd22',
  loss: '#98df8a',
  delay: '#c5b0d5',
};

export function chaosSpec(rec: ChaosRecord, title: string, subtitle: string[]): TopLevelSpec {
  const rows = timeline(rec);
  const faults = rec.faults.map((f) => ({
    kind: f.kind,
    label: `#${f.n} ${f.kind}`,
    // Labels on three rows (px from the top), so that faults close in time do not overwrite each other.
    row: 2 + ((f.n - 1) % 3) * 12,
    from: (f.at - rec.startAt) / 1000,
    // A band at least a second wide, so an instant fault (drop) shows.
    to: Math.max((f.end - rec.startAt) / 1000, (f.at - rec.startAt) / 1000 + 1),
  }));
  const kinds = FAULT_KINDS.filter((k) => faults.some((f) => f.kind === k));
  // One explicit domain for every layer of every panel: a panel's own data (latency has no point for a
  // second without sends) must not shift its axis against the bands and the other panels.
  const xScale = { nice: false, domain: [0, rows.length] };
  const bands = {
    data: { values: faults },
    mark: { type: 'rect', opacity: 0.18 },
    encoding: {
      x: { field: 'from', type: 'quantitative', scale: xScale },
      x2: { field: 'to' },
      color: { field: 'kind', type: 'nominal', title: 'fault', scale: { domain: kinds, range: kinds.map((k) => FAULT_COLORS[k]) }, legend: { orient: 'top', columns: 6 } },
    },
  };
  const x = { field: 't', type: 'quantitative', title: 'seconds since the load started', scale: xScale };
  const panel = (height: number, layer: object[]): object => ({ width: 760, height, layer: [bands, ...layer] });
  const lineOf = (field: string, yTitle: string, color: string, scale?: object) => ({
    data: { values: rows.filter((r) => (r as unknown as Record<string, unknown>)[field] !== null) },
    mark: { type: 'line', strokeWidth: 1.3, color },
    encoding: { x, y: { field, type: 'quantitative', title: yTitle, ...(scale ? { scale } : {}) } },
  });
  const labels = {
    data: { values: faults },
    mark: { type: 'text', align: 'left', baseline: 'top', dx: 2, fontSize: 10, color: '#333' },
    encoding: { x: { field: 'from', type: 'quantitative', scale: xScale }, y: { field: 'row', type: 'quantitative', scale: null }, text: { field: 'label' } },
  };
  return {
    title: { text: title, subtitle },
    // The renderer's title block without its width limit (the verdicts are in the subtitle).
    config: { title: { fontSize: 16, anchor: 'start', offset: 12, subtitleFontSize: 12, subtitleColor: '#555', limit: 1000 } },
    vconcat: [
      panel(150, [lineOf('acks', 'acks per second', SERIES_COLORS[0]), labels]),
      panel(150, [lineOf('p99Ms', 'ack latency, ms (log): p99', '#d62728', { type: 'log' }), lineOf('p50Ms', 'p50', '#1f77b4', { type: 'log' })]),
      panel(120, [lineOf('connected', 'connected clients', SERIES_COLORS[3])]),
    ],
    resolve: { scale: { color: 'shared' } },
  } as TopLevelSpec;
}

export function chaosChart(rec: ChaosRecord, title: string, subtitle: string[]): Promise<Buffer> {
  return specToPng(chaosSpec(rec, title, subtitle));
}
