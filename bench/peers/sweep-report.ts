/**
 * The analysis and the Markdown of `npm run bench:peers` (bench/peers.ts): which points of the sweep
 * qualify (p99 <= 100 ms, zero loss, every send acknowledged, every client connected), each target's
 * best qualifying deliveries/s, the ratios scale-chat / peer, and docs/benchmarks.md.
 */

export const TARGETS = ['scale-chat', 'ws-naive', 'socketio'] as const;
export type Target = (typeof TARGETS)[number];
export const P99_LIMIT_MS = 100;
/** A server above this share of its core is taken as saturated itself. */
export const SERVER_BUSY_PCT = 90;

/** The fields of a loadtest summary.json this report reads. */
export interface PointSummary {
  connections: { peak: number; failures: number };
  messages: { sent: number; acked: number; sendFailed: number; expectedDeliveries: number; delivered: number; lost: number; duplicates: number };
  latencyMs: { p50: number | null; p99: number | null; max: number | null };
  throughput: { deliveriesPerSec: number };
  skippedSends: Record<string, number>;
  generator: { cpuPct: number; bottleneck: boolean; note?: string };
  server: { cpuPct?: number };
}

export interface Point {
  target: Target;
  clients: number;
  /** Run directory (summary.json, timeseries.csv, events.csv). */
  dir: string;
  summary: PointSummary | null;
  /** Why the point has no summary (the run crashed, the server did not start...). */
  error?: string;
  /** CPU of other processes on the machine during the point, % of one core. */
  othersPct: number;
  /** Attempts made (a point disturbed by other processes is run again). */
  attempts: number;
}

/** Why a point does not qualify (empty: it does). */
export function failures(p: Point): string[] {
  const s = p.summary;
  if (!s) return [p.error ?? 'no summary'];
  const out: string[] = [];
  if (s.connections.failures > 0 || s.connections.peak < p.clients) out.push(`${s.connections.failures} connect failures`);
  if (s.messages.lost > 0) out.push(`${s.messages.lost.toLocaleString('en-US')} lost`);
  if (s.messages.acked < s.messages.sent) out.push(`${(s.messages.sent - s.messages.acked).toLocaleString('en-US')} sends not acked`);
  if (s.latencyMs.p99 === null) out.push('no deliveries');
  else if (s.latencyMs.p99 > P99_LIMIT_MS) out.push(`p99 ${fmtMs(s.latencyMs.p99)} ms`);
  const skipped = Object.values(s.skippedSends ?? {}).reduce((a, v) => a + v, 0);
  if (skipped > 0) out.push(`${skipped.toLocaleString('en-US')} sends skipped`);
  return out;
}

export interface Best {
  target: Target;
  point: Point | null;
  /** The best point is the highest count of the sweep: the real limit may be higher. */
  atTop: boolean;
  /**
   * The next point above the best one failed while the generator flagged itself as the bottleneck
   * and the server had CPU to spare (under SERVER_BUSY_PCT of its core): the generator, not the
   * server, ended the sweep.
   */
  generatorLimited: boolean;
}

export function bestOf(points: Point[], target: Target, counts: number[]): Best {
  const mine = points.filter((p) => p.target === target).sort((a, b) => a.clients - b.clients);
  let best: Point | null = null;
  for (const p of mine) if (failures(p).length === 0 && (!best || p.summary!.throughput.deliveriesPerSec > best.summary!.throughput.deliveriesPerSec)) best = p;
  const above = best ? mine.filter((p) => p.clients > best!.clients) : mine;
  return {
    target,
    point: best,
    atTop: best !== null && best.clients === Math.max(...counts),
    generatorLimited: above.length > 0 && above[0].summary?.generator.bottleneck === true && (above[0].summary.server.cpuPct ?? 100) < SERVER_BUSY_PCT,
  };
}

export function fmtMs(v: number | null | undefined): string {
  if (v === null || v === undefined) return '-';
  return v >= 100 ? Math.round(v).toLocaleString('en-US') : v >= 10 ? v.toFixed(1) : v.toFixed(2);
}

export function fmtInt(v: number | null | undefined): string {
  return v === null || v === undefined ? '-' : Math.round(v).toLocaleString('en-US');
}

/** Server CPU time per delivery in microseconds (null: CPU or deliveries unknown). */
export function usPerDelivery(s: PointSummary | null | undefined): number | null {
  if (!s || s.server.cpuPct === undefined || s.throughput.deliveriesPerSec <= 0) return null;
  return (s.server.cpuPct / 100) * 1e6 / s.throughput.deliveriesPerSec;
}

function fmtUs(v: number | null): string {
  return v === null ? '-' : v.toFixed(1);
}

function dps(b: Best): number | null {
  return b.point ? b.point.summary!.throughput.deliveriesPerSec : null;
}

/** scale-chat's best / the peer's best, e.g. "8.4x" ("-" when either has no qualifying point). */
export function ratio(a: Best, b: Best): string {
  const x = dps(a);
  const y = dps(b);
  if (x === null || y === null || y === 0) return '-';
  const r = x / y;
  const aLow = a.atTop || a.generatorLimited;
  const bLow = b.atTop || b.generatorLimited;
  const note = aLow && bLow ? ' (both figures are lower bounds)' : aLow ? ' (at least)' : bLow ? ' (at most)' : '';
  return `${r >= 10 ? r.toFixed(0) : r.toFixed(1)}x${note}`;
}

function bestCell(b: Best): string {
  if (!b.point) return 'none qualified';
  const marks = [b.atTop ? 'highest count tested' : '', b.generatorLimited ? 'next point generator-bound, server not saturated' : ''].filter(Boolean);
  return `**${fmtInt(dps(b))}**${marks.length ? ` (${marks.join('; ')}: a lower bound)` : ''}`;
}

/** The headline table: best qualifying point per target and the ratio scale-chat / target. */
export function bestTable(points: Point[], counts: number[], targets: readonly Target[]): { md: string; bests: Best[] } {
  const bests = targets.map((t) => bestOf(points, t, counts));
  const sc = bests.find((b) => b.target === 'scale-chat');
  const lines = [
    '| target | highest deliveries/s with p99 <= 100 ms and zero loss | at clients | p50 / p99 ms there | server CPU there | server CPU us per delivery there | scale-chat / target |',
    '|---|---:|---:|---:|---:|---:|---:|',
  ];
  for (const b of bests) {
    const s = b.point?.summary;
    lines.push(
      `| ${b.target} | ${bestCell(b)} | ${b.point ? fmtInt(b.point.clients) : '-'} | ${s ? `${fmtMs(s.latencyMs.p50)} / ${fmtMs(s.latencyMs.p99)}` : '-'} | ${s?.server.cpuPct !== undefined ? `${s.server.cpuPct}%` : '-'} | ${fmtUs(usPerDelivery(s))} | ${b.target === 'scale-chat' ? '1x' : sc ? ratio(sc, b) : '-'} |`,
    );
  }
  return { md: lines.join('\n'), bests };
}

/** Every point of the sweep. */
export function sweepTable(points: Point[]): string {
  const lines = [
    '| target | clients | offered deliveries/s | deliveries/s | p50 ms | p99 ms | max ms | lost | sends acked | server CPU | server us/delivery | generator CPU | generator bottleneck | others\' CPU | verdict |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---|',
  ];
  const sorted = [...points].sort((a, b) => TARGETS.indexOf(a.target) - TARGETS.indexOf(b.target) || a.clients - b.clients);
  for (const p of sorted) {
    const s = p.summary;
    const f = failures(p);
    const verdict = f.length === 0 ? 'qualifies' : `fails: ${f.join(', ')}`;
    if (!s) {
      lines.push(`| ${p.target} | ${fmtInt(p.clients)} | ${fmtInt(p.clients * p.clients)} | - | - | - | - | - | - | - | - | - | ${p.othersPct}% | ${verdict.replace(/\|/g, '/')} |`);
      continue;
    }
    const m = s.messages;
    lines.push(
      `| ${p.target} | ${fmtInt(p.clients)} | ${fmtInt(p.clients * p.clients)} | ${fmtInt(s.throughput.deliveriesPerSec)} | ${fmtMs(s.latencyMs.p50)} | ${fmtMs(s.latencyMs.p99)} | ${fmtMs(s.latencyMs.max)} | ${fmtInt(m.lost)} | ${fmtInt(m.acked)} of ${fmtInt(m.sent)} | ${s.server.cpuPct !== undefined ? `${s.server.cpuPct}%` : '-'} | ${fmtUs(usPerDelivery(s))} | ${s.generator.cpuPct}% | ${s.generator.bottleneck ? '**YES**' : 'no'} | ${p.othersPct}% | ${verdict} |`,
    );
  }
  return lines.join('\n');
}

/**
 * For each target, the first failing point above its best: were the server and the generator both
 * near saturation there? (Then the failure is not the server's alone.)
 */
export function limitNotes(points: Point[], bests: Best[]): string[] {
  const out: string[] = [];
  for (const b of bests) {
    if (!b.point) continue;
    const next = points.filter((p) => p.target === b.target && p.clients > b.point!.clients).sort((x, y) => x.clients - y.clients)[0];
    const s = next?.summary;
    if (!s) continue;
    const srv = s.server.cpuPct;
    const both = s.generator.bottleneck && srv !== undefined && srv >= SERVER_BUSY_PCT;
    out.push(
      `- ${b.target}, at the next count above its best (${fmtInt(next.clients)} clients), failed with p99 ${fmtMs(s.latencyMs.p99)} ms, the server at ${srv ?? '?'}% of its core and the generator at ${s.generator.cpuPct}%${both ? ': both near saturation, so that step is not the server\'s limit alone' : s.generator.bottleneck ? ': the generator, not the server, was saturated' : ': the server was the limit'}.`,
    );
  }
  return out;
}

/** Points where the generator flagged itself as the bottleneck, with its note. */
export function generatorNotes(points: Point[]): string[] {
  return points
    .filter((p) => p.summary?.generator.bottleneck)
    .map((p) => `- ${p.target}, ${fmtInt(p.clients)} clients: ${p.summary!.generator.note ?? 'flagged'}`);
}
