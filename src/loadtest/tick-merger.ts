/**
 * Merges the workers' per-second ticks into one row per second (timeseries.csv): counters summed,
 * the second's latency histograms merged, rates from the difference with the previous second.
 * A row is emitted once every worker has reported that second (or at the end, with what arrived).
 */
import { addEncoded, newHistogram } from './histograms.js';
import type { Tick } from './ipc.js';
import { TIMESERIES_COLUMNS } from './report/timeseries.js';

/** The header of timeseries.csv: the columns `scale-chat report` reads (report/timeseries.ts), in its order. */
export const TIMESERIES_HEADER = TIMESERIES_COLUMNS.join(',') + '\n';

export interface Row {
  sec: number;
  /** End of the second, epoch ms. */
  at: number;
  connected: number;
  connectedMax: number;
  sent: number;
  acked: number;
  received: number;
  sendPerSec: number;
  deliveriesPerSec: number;
  p50: number | null;
  p90: number | null;
  p99: number | null;
  max: number | null;
  errors: number;
  reconnects: number;
  /** Longest wall time a worker's tick of this second covered (over 1 s: it fired late, the loop was busy). */
  intervalS: number;
  /** Sum over processes (% of one core), and the busiest process. */
  genCpu: number;
  genCpuMax: number;
  loopP99Max: number;
  serverCpu: number | undefined;
}

const ms = (us: number): number => Math.round(us) / 1000;

export class TickMerger {
  readonly rows: Row[] = [];
  /** CPU microseconds and wall ms of each worker per emitted second. */
  readonly cpuByWorker: { cpuUs: number; wallMs: number }[][];
  /** Ticks not emitted yet, by second then worker. */
  private readonly pending = new Map<number, Map<number, Tick>>();
  /** Each worker's last emitted tick (its cumulative counters carry over seconds it did not report). */
  private readonly last: (Tick | undefined)[];
  /** The second of each worker's final tick, once sent. */
  private readonly finalSec: (number | undefined)[];
  private next = 0;

  constructor(
    private readonly workers: number,
    private readonly origin: number,
    private readonly serverCpu: () => number | undefined,
    private readonly onRow: (row: Row) => void,
  ) {
    this.cpuByWorker = Array.from({ length: workers }, () => []);
    this.last = new Array(workers).fill(undefined);
    this.finalSec = new Array(workers).fill(undefined);
  }

  add(tick: Tick): void {
    if (tick.sec < this.next) return;
    let p = this.pending.get(tick.sec);
    if (!p) this.pending.set(tick.sec, (p = new Map()));
    p.set(tick.worker, tick);
    if (tick.final) this.finalSec[tick.worker] = tick.sec;
    while (this.complete(this.next)) this.emit();
  }

  /** Every worker reported second `sec`, or had finished before it. */
  private complete(sec: number): boolean {
    const p = this.pending.get(sec);
    let any = false;
    for (let w = 0; w < this.workers; w++) {
      if (p?.has(w)) any = true;
      else if (!(this.finalSec[w] !== undefined && this.finalSec[w]! < sec)) return false;
    }
    return any;
  }

  /** Emits every second still pending (end of run). */
  flush(): void {
    const last = Math.max(-1, ...this.pending.keys());
    while (this.next <= last) this.emit();
  }

  private emit(): void {
    const sec = this.next++;
    const p = this.pending.get(sec);
    this.pending.delete(sec);
    const prev = this.rows[this.rows.length - 1];
    const hist = newHistogram();
    const t = { connected: 0, connectedMax: 0, sent: 0, acked: 0, received: 0, errors: 0, reconnects: 0, genCpu: 0, genCpuMax: 0, loopP99Max: 0, intervalS: 0 };
    for (let w = 0; w < this.workers; w++) {
      const own = p?.get(w);
      const tick = own ?? this.last[w];
      if (!tick) continue;
      this.last[w] = tick;
      const done = this.finalSec[w] !== undefined && this.finalSec[w]! < sec;
      if (!done) {
        t.connected += tick.connected;
        t.connectedMax += own ? tick.connectedMax : tick.connected;
      }
      t.sent += tick.sent;
      t.acked += tick.acked;
      t.received += tick.received;
      t.errors += tick.errors;
      t.reconnects += tick.reconnects;
      if (own) {
        t.genCpu += own.cpuPct;
        t.genCpuMax = Math.max(t.genCpuMax, own.cpuPct);
        t.loopP99Max = Math.max(t.loopP99Max, own.loopP99Ms);
        this.cpuByWorker[w][sec] = { cpuUs: own.cpuUs, wallMs: own.wallMs };
        t.intervalS = Math.max(t.intervalS, own.wallMs / 1000);
        addEncoded(hist, own.hist);
      }
    }
    const has = hist.totalCount > 0;
    const row: Row = {
      sec,
      at: this.origin + (sec + 1) * 1000,
      connected: t.connected,
      connectedMax: t.connectedMax,
      sent: t.sent,
      acked: t.acked,
      received: t.received,
      sendPerSec: Math.max(0, t.sent - (prev?.sent ?? 0)),
      deliveriesPerSec: Math.max(0, t.received - (prev?.received ?? 0)),
      p50: has ? ms(hist.getValueAtPercentile(50)) : null,
      p90: has ? ms(hist.getValueAtPercentile(90)) : null,
      p99: has ? ms(hist.getValueAtPercentile(99)) : null,
      max: has ? ms(hist.maxValue) : null,
      errors: t.errors,
      reconnects: t.reconnects,
      intervalS: t.intervalS,
      genCpu: t.genCpu,
      genCpuMax: t.genCpuMax,
      loopP99Max: t.loopP99Max,
      serverCpu: this.serverCpu(),
    };
    hist.destroy();
    this.rows.push(row);
    this.onRow(row);
  }
}

export function csvRow(r: Row): string {
  const o = (v: number | null | undefined) => (v === null || v === undefined ? '' : String(Math.round(v * 1000) / 1000));
  return [
    Math.round(r.at / 1000),
    r.sec + 1,
    r.connected,
    r.sent,
    r.acked,
    r.received,
    r.sendPerSec,
    r.deliveriesPerSec,
    o(r.p50),
    o(r.p90),
    o(r.p99),
    o(r.max),
    r.errors,
    r.reconnects,
    o(r.genCpu),
    o(r.serverCpu),
  ].join(',') + '\n';
}
