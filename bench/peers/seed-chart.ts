/**
 * The chart of "the seed's experiment, side by side" (`npm run bench:peers -- --seed-experiment`):
 * p50 and p99 delivery latency against the client count for ws-naive and scale-chat under the same
 * CPU quota, one room, drawn with the load lab's renderer (vega-lite -> SVG -> PNG,
 * src/loadtest/report/render.ts). The seed's own reading (p50 671 ms at 80 clients, its server in a
 * 0.25-CPU container) is marked as a separate point: it was not measured here.
 */
import type { TopLevelSpec } from 'vega-lite';
import { SERIES_COLORS } from '../../src/loadtest/report/chart-kit.js';
import { specToPng } from '../../src/loadtest/report/render.js';
import type { Point } from './sweep-report.js';

export interface SeedData {
  quota: number | null;
  genProcs: number;
  duration: string;
  points: Point[];
}

/** The seed's reading at 80 clients (its server limited to 0.25 CPU). */
export const SEED_READING = { clients: 80, p50Ms: 671 };

export function seedSpec(d: SeedData): TopLevelSpec {
  const values = d.points.flatMap((p) => {
    const s = p.summary;
    if (!s) return [];
    const row = (pct: string, ms: number | null) => (ms !== null && ms > 0 ? [{ target: p.target, clients: p.clients, percentile: pct, ms, series: `${p.target} ${pct}` }] : []);
    return [...row('p50', s.latencyMs.p50), ...row('p99', s.latencyMs.p99)];
  });
  const targets = [...new Set(values.map((v) => v.target))];
  const quota = d.quota === null ? 'Server: no quota, pinned to core 0' : `Server: ${d.quota} CPU quota, pinned to core 0`;
  return {
    title: {
      text: `The seed's experiment: one room, rising clients, ${d.quota === null ? 'no quota' : `${d.quota} CPU`}`,
      subtitle: [
        `${quota}. Generator: loadtest --procs ${d.genProcs}, unpinned. 1 msg/s per client, ${d.duration} per point.`,
        `Solid p50, dashed p99, dotted line 100 ms; diamond: the seed's own p50 at 80 clients (not measured here).`,
      ],
    },
    width: 900,
    height: 340,
    // The whole title block of the renderer's config, with no width limit (two subtitle lines of notes).
    config: { title: { fontSize: 16, anchor: 'start', offset: 12, subtitleFontSize: 12, subtitleColor: '#555', limit: 960 } },
    layer: [
      {
        data: { values },
        mark: { type: 'line', point: { size: 60, filled: true }, strokeWidth: 2 },
        encoding: {
          x: { field: 'clients', type: 'quantitative', title: 'clients in the room', scale: { zero: false } },
          y: { field: 'ms', type: 'quantitative', title: 'delivery latency (ms, log scale)', scale: { type: 'log' } },
          color: { field: 'target', type: 'nominal', title: 'server', scale: { domain: targets, range: SERIES_COLORS } },
          strokeDash: { field: 'percentile', type: 'nominal', title: 'percentile', legend: null, scale: { domain: ['p50', 'p99'], range: [[1, 0], [6, 3]] } },
          detail: { field: 'series' },
          tooltip: [{ field: 'target' }, { field: 'clients' }, { field: 'percentile' }, { field: 'ms' }],
        },
      },
      {
        data: { values: [{ y: 100 }] },
        mark: { type: 'rule', color: '#999', strokeDash: [2, 2] },
        encoding: { y: { field: 'y', type: 'quantitative' } },
      },
      {
        data: { values: [{ clients: SEED_READING.clients, ms: SEED_READING.p50Ms, label: `the seed: p50 ${SEED_READING.p50Ms} ms` }] },
        layer: [
          { mark: { type: 'point', shape: 'diamond', size: 140, filled: true, color: '#555' }, encoding: { x: { field: 'clients', type: 'quantitative' }, y: { field: 'ms', type: 'quantitative' } } },
          { mark: { type: 'text', align: 'left', dx: 10, fontSize: 12, color: '#555' }, encoding: { x: { field: 'clients', type: 'quantitative' }, y: { field: 'ms', type: 'quantitative' }, text: { field: 'label' } } },
        ],
      },
    ],
  } as TopLevelSpec;
}

export function seedChart(d: SeedData): Promise<Buffer> {
  return specToPng(seedSpec(d));
}
