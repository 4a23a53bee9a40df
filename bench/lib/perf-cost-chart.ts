/**
 * The cost model of `npm run bench:cost` (bench/cost.ts): the least-squares line
 * `us per message = a + b x members` through the measured points, and its chart (server CPU per
 * message and per delivery against room size, every run as a point, the fitted model as a dashed
 * line), drawn with the load lab's renderer (vega-lite -> SVG -> PNG, src/loadtest/report/render.ts).
 */
import type { TopLevelSpec } from 'vega-lite';
import { SERIES_COLORS } from '../../src/loadtest/report/chart-kit.js';
import { specToPng } from '../../src/loadtest/report/render.js';

export interface CostPoint {
  members: number;
  run: number;
  usPerMessage: number;
}

export interface LinearFit {
  /** us per message at 0 members: the per-message fixed cost (commit, ack, parsing). */
  a: number;
  /** us per member: the per-delivery cost. */
  b: number;
  /** Coefficient of determination over the points. */
  r2: number;
}

/** Ordinary least squares of y on x. */
export function fitLine(points: readonly { x: number; y: number }[]): LinearFit {
  const n = points.length;
  const mx = points.reduce((s, p) => s + p.x, 0) / n;
  const my = points.reduce((s, p) => s + p.y, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (const p of points) {
    sxy += (p.x - mx) * (p.y - my);
    sxx += (p.x - mx) ** 2;
    syy += (p.y - my) ** 2;
  }
  const b = sxx > 0 ? sxy / sxx : 0;
  const a = my - b * mx;
  const sse = points.reduce((s, p) => s + (p.y - (a + b * p.x)) ** 2, 0);
  return { a, b, r2: syy > 0 ? 1 - sse / syy : 1 };
}

export function costSpec(points: readonly CostPoint[], fit: LinearFit, subtitle: readonly string[]): TopLevelSpec {
  const sizes = [...new Set(points.map((p) => p.members))].sort((x, y) => x - y);
  const measured = points.flatMap((p) => [
    { panel: 'per message', members: p.members, us: p.usPerMessage, run: `run ${p.run}` },
    { panel: 'per delivery', members: p.members, us: p.usPerMessage / p.members, run: `run ${p.run}` },
  ]);
  // The model drawn as a curve: 40 sizes spaced evenly on the log axis between the smallest and largest measured.
  const lo = sizes[0] ?? 1;
  const hi = sizes[sizes.length - 1] ?? lo;
  const curve = Array.from({ length: 40 }, (_, i) => lo * (hi / lo) ** (i / 39));
  const model = curve.flatMap((m) => [
    { panel: 'per message', members: m, us: fit.a + fit.b * m },
    { panel: 'per delivery', members: m, us: (fit.a + fit.b * m) / m },
  ]);
  const runs = [...new Set(measured.map((v) => v.run))];
  const panel = (name: string, title: string): object => ({
    width: 420,
    height: 300,
    title: { text: title, fontSize: 13 },
    layer: [
      {
        data: { values: model.filter((v) => v.panel === name) },
        mark: { type: 'line', strokeDash: [6, 3], color: '#555' },
        encoding: { x: { field: 'members', type: 'quantitative', scale: { type: 'log' }, title: 'room size (members)' }, y: { field: 'us', type: 'quantitative', scale: { type: 'log' }, title: 'server CPU (us, log scale)' } },
      },
      {
        data: { values: measured.filter((v) => v.panel === name) },
        mark: { type: 'point', filled: true, size: 70 },
        encoding: {
          x: { field: 'members', type: 'quantitative', scale: { type: 'log' } },
          y: { field: 'us', type: 'quantitative', scale: { type: 'log' } },
          color: { field: 'run', type: 'nominal', title: 'measured', scale: { domain: runs, range: SERIES_COLORS } },
          tooltip: [{ field: 'members' }, { field: 'us', format: '.1f' }, { field: 'run' }],
        },
      },
    ],
  });
  return {
    title: {
      text: `Server CPU per message = ${fit.a.toFixed(0)} us + ${fit.b.toFixed(2)} us x members`,
      subtitle: [...subtitle, 'Points: measured, one colour per run. Dashed: the least-squares model.'],
    },
    // The renderer's title block without its width limit (the model is in the title).
    config: { title: { fontSize: 16, anchor: 'start', offset: 12, subtitleFontSize: 12, subtitleColor: '#555', limit: 1000 } },
    hconcat: [panel('per message', 'per message (commit, ack and all deliveries)'), panel('per delivery', 'per delivery (per message / members)')],
  } as TopLevelSpec;
}

export function costChart(points: readonly CostPoint[], fit: LinearFit, subtitle: readonly string[]): Promise<Buffer> {
  return specToPng(costSpec(points, fit, subtitle));
}
