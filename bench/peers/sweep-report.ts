/**
 * The analysis and the Markdown of `npm run bench:peers` (bench/peers.ts): which points of the sweep
 * qualify (p99 <= 100 ms, zero loss, every send acknowledged, every client connected, and the
 * generator not its own bottleneck), each target's best qualifying deliveries/s, what limited the
 * next step, the knee bisection, the ratios scale-chat / peer, and docs/benchmarks.md.
 */
import type { CpuStat } from './cpu-quota.js';


export const TARGETS = ['scale-chat', 'ws-naive', 'socketio'] as const;
export type Target = (typeof TARGETS)[number];
export const P99_LIMIT_MS = 100;
/** A server above this share of its core (or of its CPU quota) is taken as saturated itself. */
export const SERVER_BUSY_PCT = 90;

/** The fields of a loadtest summary.json this report reads. */
export interface PointSummary {
  connections: { peak: number; failures: number };
  messages: { sent: number; acked: number; sendFailed: number; expectedDeliveries: number; delivered: number; lost: number; duplicates: number };
  latencyMs: { p50: number | null; p99: number | null; max: number | null };
  throughput: { deliveriesPerSec: number };
  skippedSends: Record<string, number>;
  generator: { cpuPct: number; bottleneck: boolean; note?: string; procs?: number; perProcessCpuPct?: number[] };
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
  /** The server's CPU quota in cores (cgroup), absent or null: no quota (pinned to its own core). */
  quota?: number | null;
  /** The server's cgroup cpu.stat over the point (quota mode). */
  cgroup?: CpuStat;
  /** Added by the knee bisection (not one of the sweep's coarse counts). */
  knee?: boolean;
}

/** The share of one core the server may use at this point: its quota, else 1 core. */
export function coresOf(p: Point): number {
  return p.quota ?? 1;
}

/** Server CPU as a share of what it may use (its quota, else its core), in %. */
export function serverShare(p: Point): number | undefined {
  const c = p.summary?.server.cpuPct;
  return c === undefined ? undefined : (c / coresOf(p));
}

/** Periods in which the cgroup held the server back, % (quota mode). */
export function throttledPct(p: Point): number | undefined {
  const g = p.cgroup;
  return g && g.periods > 0 ? Math.round((g.throttled / g.periods) * 100) : undefined;
}

/** The server used (nearly) all it may use. */
export function serverBusy(p: Point): boolean {
  const share = serverShare(p);
  return share !== undefined && share >= SERVER_BUSY_PCT;
}

/** The p99/loss part of the verdict alone (what the server delivered), without the generator's flag. */
export function serviceFailures(p: Point): string[] {
  return failures(p).filter((f) => f !== GENERATOR_FAILURE);
}

export const GENERATOR_FAILURE = 'generator was the bottleneck';

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
  // The generator's own limit: the figures are its, not the server's, so the point cannot qualify.
  if (s.generator.bottleneck) out.push(GENERATOR_FAILURE);
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
    generatorLimited: above.length > 0 && above[0].summary?.generator.bottleneck === true && !serverBusy(above[0]) && above[0].summary.server.cpuPct !== undefined,
  };
}

/** The first point above the best one (the step that did not qualify), if any. */
export function nextAbove(points: Point[], b: Best): Point | undefined {
  if (!b.point) return undefined;
  return points.filter((p) => p.target === b.target && p.clients > b.point!.clients).sort((x, y) => x.clients - y.clients)[0];
}

/**
 * What stopped a point from qualifying, in words: the server at its quota (or core), the generator,
 * loss, latency (several can hold at once).
 */
export function limitOf(p: Point): string {
  const s = p.summary;
  if (!s) return p.error ?? 'no summary';
  const parts: string[] = [];
  const share = serverShare(p);
  const thr = throttledPct(p);
  const of = p.quota ? `its ${p.quota} CPU quota` : 'its core';
  if (serverBusy(p)) parts.push(`server at ${of} (${Math.round(share!)}%${thr !== undefined ? `, throttled in ${thr}% of periods` : ''})`);
  if (s.generator.bottleneck) {
    const per = s.generator.perProcessCpuPct;
    parts.push(`generator (${per?.length ? `processes at ${per.map((v) => `${v}%`).join(', ')} of a core` : `${s.generator.cpuPct}% of a core`})`);
  }
  const lossy = failures(p).filter((f) => /lost|not acked|skipped|connect failures|no deliveries/.test(f));
  if (lossy.length) parts.push(`loss (${lossy.join(', ')})`);
  if (s.latencyMs.p99 !== null && s.latencyMs.p99 > P99_LIMIT_MS) parts.push(`latency (p99 ${fmtMs(s.latencyMs.p99)} ms)`);
  if (!serverBusy(p) && share !== undefined && !s.generator.bottleneck) parts.push(`server at ${Math.round(share)}% of ${of}`);
  return parts.join('; ') || 'nothing: it qualified';
}

/** The best pass and the first failure above it: the knee lies between (null: no bracket). */
export function kneeBracket(points: Point[], target: Target, counts: number[]): { pass: number; fail: number; gap: number } | null {
  const b = bestOf(points, target, counts);
  const next = nextAbove(points, b);
  if (!b.point || !next) return null;
  return { pass: b.point.clients, fail: next.clients, gap: (next.clients - b.point.clients) / b.point.clients };
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
export function bestTable(points: Point[], counts: number[] | ((t: Target) => number[]), targets: readonly Target[]): { md: string; bests: Best[] } {
  const bests = targets.map((t) => bestOf(points, t, typeof counts === 'function' ? counts(t) : counts));
  const sc = bests.find((b) => b.target === 'scale-chat');
  const lines = [
    '| target | highest deliveries/s with p99 <= 100 ms and zero loss | at clients | p50 / p99 ms there | server CPU there | server CPU us per delivery there | what limited the next step | scale-chat / target |',
    '|---|---:|---:|---:|---:|---:|---|---:|',
  ];
  for (const b of bests) {
    const s = b.point?.summary;
    const next = nextAbove(points, b);
    const limit = !b.point ? '-' : next ? `${fmtInt(next.clients)} clients: ${limitOf(next)}` : 'not reached (highest count tested)';
    lines.push(
      `| ${b.target} | ${bestCell(b)} | ${b.point ? fmtInt(b.point.clients) : '-'} | ${s ? `${fmtMs(s.latencyMs.p50)} / ${fmtMs(s.latencyMs.p99)}` : '-'} | ${b.point ? cpuCell(b.point) : '-'} | ${fmtUs(usPerDelivery(s))} | ${limit.replace(/\|/g, '/')} | ${b.target === 'scale-chat' ? '1x' : sc ? ratio(sc, b) : '-'} |`,
    );
  }
  return { md: lines.join('\n'), bests };
}

/** Server CPU, % of one core, and of its quota when it had one. */
export function cpuCell(p: Point): string {
  const c = p.summary?.server.cpuPct;
  if (c === undefined) return '-';
  return p.quota ? `${c}% (${Math.round(c / p.quota)}% of quota)` : `${c}%`;
}

/** Every point of the sweep. */
export function sweepTable(points: Point[]): string {
  const lines = [
    '| target | clients | offered deliveries/s | deliveries/s | p50 ms | p99 ms | max ms | lost | sends acked | server CPU | throttled periods | server us/delivery | generator CPU per process | generator bottleneck | others\' CPU | verdict |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---|',
  ];
  const sorted = [...points].sort((a, b) => TARGETS.indexOf(a.target) - TARGETS.indexOf(b.target) || a.clients - b.clients);
  for (const p of sorted) {
    const s = p.summary;
    const f = failures(p);
    const verdict = f.length === 0 ? 'qualifies' : `fails: ${f.join(', ')}`;
    if (!s) {
      lines.push(`| ${p.target} | ${fmtInt(p.clients)}${p.knee ? ' (knee)' : ''} | ${fmtInt(p.clients * p.clients)} | - | - | - | - | - | - | - | - | - | - | - | ${p.othersPct}% | ${verdict.replace(/\|/g, '/')} |`);
      continue;
    }
    const m = s.messages;
    lines.push(
      `| ${p.target} | ${fmtInt(p.clients)}${p.knee ? ' (knee)' : ''} | ${fmtInt(p.clients * p.clients)} | ${fmtInt(s.throughput.deliveriesPerSec)} | ${fmtMs(s.latencyMs.p50)} | ${fmtMs(s.latencyMs.p99)} | ${fmtMs(s.latencyMs.max)} | ${fmtInt(m.lost)} | ${fmtInt(m.acked)} of ${fmtInt(m.sent)} | ${cpuCell(p)} | ${throttledPct(p) !== undefined ? `${throttledPct(p)}%` : '-'} | ${fmtUs(usPerDelivery(s))} | ${s.generator.perProcessCpuPct?.length ? s.generator.perProcessCpuPct.map((v) => `${v}%`).join(' + ') : `${s.generator.cpuPct}%`} | ${s.generator.bottleneck ? '**YES**' : 'no'} | ${p.othersPct}% | ${verdict} |`,
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
    const next = nextAbove(points, b);
    const s = next?.summary;
    if (!next || !s) continue;
    const both = s.generator.bottleneck && serverBusy(next);
    const who = both ? 'both near saturation, so that step is not the server\'s limit alone' : s.generator.bottleneck ? 'the generator, not the server, was saturated (the best figure is a lower bound)' : serverBusy(next) ? 'the server was the limit' : 'the server was the limit, short of its full CPU share (latency or loss before saturation)';
    out.push(`- ${b.target}, at the next count above its best (${fmtInt(next.clients)} clients): ${limitOf(next)}: ${who}.`);
  }
  return out;
}

/** Points where the generator flagged itself as the bottleneck, with its note. */
export function generatorNotes(points: Point[]): string[] {
  return points
    .filter((p) => p.summary?.generator.bottleneck)
    .map((p) => `- ${p.target}, ${fmtInt(p.clients)} clients: ${p.summary!.generator.note ?? 'flagged'}`);
}
