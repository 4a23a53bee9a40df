/**
 * summary.json (format version 1, the contract with `scale-chat report`): merges the workers' exact
 * results, computes loss against the acked seqs, latency percentiles and CDF from the merged HDR
 * histograms, throughput over the sending window, the generator-bottleneck verdict, thresholds and
 * the default checks (no loss, no duplicates, no reordering, every client connected).
 */
import { AckedSet, computeLoss, type LossTotals } from './accounting.js';
import { addEncoded, cdf, newHistogram, percentiles, type Percentiles } from './histograms.js';
import type { WorkerResult } from './ipc.js';
import { workloadOf, type LoadOptions } from './options.js';
import type { MetricsScraper } from './scrape.js';
import { checksOf, evaluate, reasonOf, type CheckResult, type MetricName } from './thresholds.js';
import type { Row, TickMerger } from './tick-merger.js';

/** A process above this share of one core over the sending window is probably the bottleneck. */
export const BOTTLENECK_CPU_PCT = 90;

export interface RunFacts {
  options: LoadOptions;
  tag: string;
  startedAt: Date;
  endedAt: Date;
  /** Epoch ms of the sending window (ramp: the whole ramp). */
  sendStart: number;
  sendEnd: number;
  results: WorkerResult[];
  ticks: TickMerger;
  scraper: MetricsScraper;
  eventsSample: number;
  /** Set when the run did not complete normally. */
  aborted?: string;
}

export interface Summary {
  [k: string]: unknown;
  messages: { sent: number; acked: number; expectedDeliveries: number; delivered: number; lost: number; duplicates: number; outOfOrder: number } & Record<string, number>;
  latencyMs: Percentiles;
  /** The user's thresholds and the default checks (`source: "default"`), in that order. */
  thresholds: CheckResult[];
  passed: boolean;
  /** Why the run failed, in words (absent when it passed). */
  reasons?: string[];
  generator: { procs: number; cpuPct: number; bottleneck: boolean; note?: string } & Record<string, unknown>;
}

function sumOf(results: WorkerResult[], f: (r: WorkerResult) => number): number {
  return results.reduce((a, r) => a + f(r), 0);
}

function mergeCounts(results: WorkerResult[], f: (r: WorkerResult) => Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of results) for (const [k, v] of Object.entries(f(r))) out[k] = (out[k] ?? 0) + v;
  return out;
}

function windowRows(rows: Row[], from: number, to: number): Row[] {
  return rows.filter((r) => r.at > from && r.at <= to + 999);
}

/** Is the generator the bottleneck? (busy process, sends behind schedule, event loop stalls) */
function verdict(facts: RunFacts, skipped: Record<string, number>): { cpuPct: number; bottleneck: boolean; note?: string; perProcessCpuPct: number[] } {
  const { ticks, sendStart, sendEnd } = facts;
  const secs = windowRows(ticks.rows, sendStart, sendEnd).map((r) => r.sec);
  // CPU over wall time of the window's ticks (a late tick covers more than a second: weighted right).
  const per = ticks.cpuByWorker.map((series) => {
    let cpuUs = 0;
    let wallMs = 0;
    for (const s of secs) {
      const v = series[s];
      if (!v) continue;
      cpuUs += v.cpuUs;
      wallMs += v.wallMs;
    }
    return wallMs > 0 ? Math.round(cpuUs / 10 / wallMs) : 0;
  });
  const total = per.reduce((a, v) => a + v, 0);
  const reasons: string[] = [];
  per.forEach((pct, w) => {
    if (pct >= BOTTLENECK_CPU_PCT) reasons.push(`process ${w} used ${pct}% of a core while sending`);
  });
  const behind = skipped.generator_behind ?? 0;
  if (behind > 0) reasons.push(`${behind} sends were skipped because the generator fell more than 1 s behind its schedule`);
  const stalls = windowRows(ticks.rows, sendStart, sendEnd).filter((r) => r.loopP99Max > 200).length;
  if (stalls >= 3) reasons.push(`its event loop stalled over 200 ms (p99) in ${stalls} seconds`);
  const bottleneck = reasons.length > 0;
  const out: { cpuPct: number; bottleneck: boolean; note?: string; perProcessCpuPct: number[] } = { cpuPct: total, bottleneck, perProcessCpuPct: per };
  if (bottleneck) out.note = `the generator may be the bottleneck: ${reasons.join('; ')}. Use more --procs (and cores) before reading these numbers as the server's.`;
  return out;
}

export function buildSummary(facts: RunFacts): { summary: Summary; loss: LossTotals } {
  const { options: o, results, ticks, scraper } = facts;
  const ackedByRoom = new Map<string, number[][]>();
  for (const r of results) {
    for (const [room, seqs] of Object.entries(r.acked_seqs)) {
      const l = ackedByRoom.get(room);
      if (l) l.push(seqs);
      else ackedByRoom.set(room, [seqs]);
    }
  }
  const acked = new Map<string, AckedSet>();
  for (const [room, lists] of ackedByRoom) acked.set(room, new AckedSet(lists));
  const loss = computeLoss((function* () {
    for (const r of results) yield* r.tracks;
  })(), acked);

  const latency = newHistogram();
  const connect = newHistogram();
  for (const r of results) {
    addEncoded(latency, r.latency);
    addEncoded(connect, r.connect);
  }
  const lat = percentiles(latency);
  const con = percentiles(connect);
  const skipped = mergeCounts(results, (r) => r.skipped);
  const errors = mergeCounts(results, (r) => r.errors);
  const sent = sumOf(results, (r) => r.sent);
  const ackedN = sumOf(results, (r) => r.acked);
  const windowS = Math.max(0.001, (facts.sendEnd - facts.sendStart) / 1000);
  const rows = ticks.rows;
  const peakRow = rows.reduce((a, r) => Math.max(a, r.connectedMax), 0);
  const peakWorkers = sumOf(results, (r) => r.peakConnected);
  const gen = verdict(facts, skipped);
  const serverCpu = scraper.cpuMean(facts.sendStart, facts.sendEnd);
  const errorsTotal = Object.values(errors).reduce((a, v) => a + v, 0);

  const summary: Summary = {
    version: 1,
    ...(o.name ? { name: o.name } : {}),
    startedAt: facts.startedAt.toISOString(),
    endedAt: facts.endedAt.toISOString(),
    runTag: facts.tag,
    target: { urls: o.urls, kind: o.target },
    workload: workloadOf(o, facts.eventsSample),
    connections: {
      target: o.clients,
      peak: Math.min(peakRow || peakWorkers, peakWorkers),
      failures: sumOf(results, (r) => r.connectFailures),
      connectedEver: sumOf(results, (r) => r.connectedEver),
      leftByRamp: sumOf(results, (r) => r.leaves),
      connectMs: { p50: con.p50, p99: con.p99, max: con.max },
    },
    messages: {
      sent,
      acked: ackedN,
      sendFailed: sumOf(results, (r) => r.sendFailed),
      expectedDeliveries: loss.expected,
      delivered: loss.delivered,
      lost: loss.lost,
      duplicates: loss.duplicates,
      outOfOrder: loss.outOfOrder,
      receivedUnacked: loss.receivedUnacked,
      received: sumOf(results, (r) => r.received),
      foreign: sumOf(results, (r) => r.foreign),
      repeatedAcks: loss.repeatedAcks,
      clientRoomsWithLoss: loss.tracksWithLoss,
    },
    ...(o.editRatio + o.reactRatio > 0 ? { changes: compareStates(results) } : {}),
    skippedSends: skipped,
    latencyMs: lat,
    latencyCdf: cdf(latency),
    throughput: {
      deliveriesPerSec: Math.round(loss.delivered / windowS),
      sendPerSec: Math.round(sent / windowS),
      // A row whose tick fired late holds more than a second of deliveries: divided by its real length.
      peakDeliveriesPerSec: rows.reduce((a, r) => Math.max(a, Math.round(r.deliveriesPerSec / Math.max(1, r.intervalS))), 0),
      window_s: Math.round(windowS * 1000) / 1000,
    },
    reconnects: sumOf(results, (r) => r.reconnects),
    resumes: sumOf(results, (r) => r.resumes),
    errors,
    generator: { procs: o.procs, ...gen },
    server: {
      ...(serverCpu !== undefined ? { cpuPct: serverCpu } : {}),
      ...(scraper.summary() ? { metrics: scraper.summary() } : {}),
    },
    events: { sample: facts.eventsSample, sentRows: sumOf(results, (r) => r.eventRows.sent), receivedRows: sumOf(results, (r) => r.eventRows.received) },
    thresholds: [],
    passed: true,
  };
  if (facts.aborted) summary.aborted = facts.aborted;

  const m = summary.messages;
  const values: Record<MetricName, number | null> = {
    p50: lat.p50,
    p90: lat.p90,
    p99: lat.p99,
    p999: lat.p999,
    max: lat.max,
    mean: lat.mean,
    loss: m.lost,
    loss_pct: m.expectedDeliveries > 0 ? (m.lost / m.expectedDeliveries) * 100 : 0,
    delivered: m.delivered,
    expected: m.expectedDeliveries,
    sent: m.sent,
    acked: m.acked,
    send_failed: m.sendFailed,
    duplicates: m.duplicates,
    out_of_order: m.outOfOrder,
    connect_failures: (summary.connections as { failures: number }).failures,
    connect_failures_pct: o.clients > 0 ? ((summary.connections as { failures: number }).failures / o.clients) * 100 : 0,
    connect_p99: con.p99,
    peak_connections: (summary.connections as { peak: number }).peak,
    errors: errorsTotal,
    reconnects: summary.reconnects as number,
    resumes: summary.resumes as number,
    deliveries_per_s: (summary.throughput as { deliveriesPerSec: number }).deliveriesPerSec,
    send_per_s: (summary.throughput as { sendPerSec: number }).sendPerSec,
    gen_cpu: Math.max(0, ...gen.perProcessCpuPct),
  };
  summary.thresholds = evaluate(checksOf(o), values);
  const changes = summary.changes as StateComparison | undefined;
  const split = changes ? changes.disagreements : 0;
  summary.passed = !facts.aborted && summary.thresholds.every((t) => t.ok) && split === 0;
  if (!summary.passed) {
    const counts = { expected: m.expectedDeliveries, clients: o.clients };
    summary.reasons = [
      ...(facts.aborted ? [`the run was aborted: ${facts.aborted}`] : []),
      ...(split ? [`${split} changed messages ended in different states at different members (e.g. ${changes!.example})`] : []),
      ...summary.thresholds.filter((t) => !t.ok).map((t) => reasonOf(t, counts)),
    ];
  }
  return { summary, loss };
}

/** The end state of changed messages across members: every member that holds one must hold the same state. */
export interface StateComparison {
  /** Changed messages held by at least one member. */
  messages: number;
  /** (member, message) states compared. */
  states: number;
  /** Messages whose members disagree (a bug: the same changes in the same order give the same state). */
  disagreements: number;
  example?: string;
}

export function compareStates(results: readonly { states?: { room: string; seq: number; v: number; fp: string }[] }[]): StateComparison {
  const by = new Map<string, Set<string>>();
  let states = 0;
  for (const r of results) {
    for (const x of r.states ?? []) {
      states++;
      const key = `${x.room}#${x.seq}`;
      const seen = by.get(key) ?? by.set(key, new Set()).get(key)!;
      seen.add(`${x.v} ${x.fp}`);
    }
  }
  let disagreements = 0;
  let example: string | undefined;
  for (const [key, seen] of by) {
    if (seen.size <= 1) continue;
    disagreements++;
    example ??= `${key}: ${[...seen].slice(0, 2).join(' | ').slice(0, 200)}`;
  }
  return { messages: by.size, states, disagreements, ...(example ? { example } : {}) };
}
