/**
 * A worker runs a share of the clients (all of them with --procs 1, in the coordinator's process;
 * client i belongs to worker (i >> 1) % procs otherwise, each worker a child process). It connects
 * its clients at its share of --connect-rate, follows the ramp, sends on an open-loop schedule,
 * counts every delivery, reports a tick every second and, at the end, exact totals (see ./ipc.ts).
 *
 * Every phase is bounded: the connect phase by --connect-timeout, the settling of outstanding acks
 * by --ack-timeout, the drain by the coordinator's deadline.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { EventLog } from './events.js';
import { encode, LatencyRecorder, newHistogram, type Histogram } from './histograms.js';
import type { FromWorker, TickCounters, ToWorker, WorkerInit, WorkerResult } from './ipc.js';
import type { LoadOptions } from './options.js';
import { clientName, makePlan, partnerOf, rng, workerOf } from './plan.js';
import { reportOf } from './accounting.js';
import { targetAt } from './ramp.js';
import type { TokenBucket } from '../protocol/token-bucket.js';
import { connectPacer } from './schedule.js';
import { SendLoop } from './sender.js';
import { Slot, type SlotHost } from './slot.js';
import { targetFor } from './targets/index.js';
import type { TargetAdapter } from './targets/types.js';

const LOOP_MS = 50;

type Post = (msg: FromWorker) => void;

export class Worker implements SlotHost {
  readonly options: LoadOptions;
  readonly adapter: TargetAdapter;
  readonly eventsSample: number;
  readonly events: EventLog | null;
  readonly latency = new LatencyRecorder();
  private readonly secLatency: Histogram = newHistogram();
  readonly connectLatency: Histogram = newHistogram();
  private readonly totalLatency: Histogram = newHistogram();
  readonly counters = {
    sent: 0,
    acked: 0,
    sendFailed: 0,
    received: 0,
    foreign: 0,
    errorsTotal: 0,
    reconnects: 0,
    resumes: 0,
    connectFailures: 0,
    connectedEver: 0,
    leaves: 0,
  };
  frameUs = 0;
  readonly pad: string;

  private readonly id: number;
  private readonly slots: Slot[] = [];
  private readonly byIndex: (Slot | undefined)[];
  private readonly acked = new Map<string, number[]>();
  private readonly errors: Record<string, number> = {};
  private readonly random: () => number;
  private readonly bucket: TokenBucket;
  private readonly sends: SendLoop;
  private readonly loopDelay = monitorEventLoopDelay({ resolution: 10 });

  private connected = 0;
  private connectedMax = 0;
  private peakConnected = 0;
  private settledCount = 0;
  /** Slots started so far, in order (the ramp's prefix). */
  private started = 0;
  private phase: 'connect' | 'run' | 'settle' | 'drain' | 'done' = 'connect';
  private readySent = false;
  private lastSetupPost = 0;
  private connectDeadline = Infinity;
  private rampStart = 0;
  private loopTimer: ReturnType<typeof setInterval> | undefined;
  private tickTimer: ReturnType<typeof setTimeout> | undefined;
  private sec = 0;
  private lastCpu = process.cpuUsage();
  private lastTickWall = performance.now();
  private readonly cpuStart = process.cpuUsage();
  private readonly wallStart = performance.now();

  constructor(
    private readonly init: WorkerInit,
    private readonly post: Post,
  ) {
    const o = init.options;
    this.options = o;
    this.id = init.worker;
    this.adapter = targetFor(o.target);
    this.eventsSample = init.eventsSample;
    this.events = init.eventsFile ? new EventLog(init.eventsFile) : null;
    this.pad = 'x'.repeat(o.msgSize);
    this.random = rng(o.seed * 31 + init.worker + 1);
    this.bucket = connectPacer(o.connectRate / o.procs, performance.now());
    const plan = makePlan(o, init.tag);
    this.byIndex = new Array(o.clients);
    for (let i = 0; i < o.clients; i++) {
      if (workerOf(i, o.procs) !== this.id) continue;
      const partner = this.adapter.supportsDm ? partnerOf(i, o) : -1;
      const ip = o.sourceIps.length ? o.sourceIps[i % o.sourceIps.length] : undefined;
      const slot = new Slot(this, i, this.slots.length, clientName(init.tag, i), plan.clientRooms[i].map((r) => plan.roomIds[r]), partner, o.urls[i % o.urls.length], ip);
      this.slots.push(slot);
      this.byIndex[i] = slot;
    }
    this.sends = new SendLoop(this.slots, o.rate > 0 ? 1000 / o.rate : Infinity, this.random, o.maxInflight);
    this.loopDelay.enable();
  }

  /** Starts: the connect phase (no ramp) or waiting for `start` (ramp). */
  run(): void {
    const o = this.options;
    if (!o.ramp) {
      for (const s of this.slots) s.wanted = true;
      const budget = o.connectTimeoutMs ?? (o.clients / o.connectRate) * 1000 + 30_000;
      this.connectDeadline = performance.now() + budget;
    }
    this.loopTimer = setInterval(() => this.loop(), LOOP_MS);
    this.scheduleTick();
    if (this.slots.length === 0) this.maybeReady();
  }

  handle(msg: ToWorker): void {
    switch (msg.type) {
      case 'start':
        return this.start(msg.at);
      case 'finish':
        return void this.finish();
      case 'drain':
        return void this.drain(msg.maxSeq, msg.deadline);
      case 'abort':
        return this.abort();
      case 'init':
        return;
    }
  }

  // ---- SlotHost ------------------------------------------------------------------------------

  ackedSeqs(room: string): number[] {
    let a = this.acked.get(room);
    if (!a) this.acked.set(room, (a = []));
    return a;
  }

  error(code: string): void {
    this.errors[code] = (this.errors[code] ?? 0) + 1;
    this.counters.errorsTotal++;
  }

  connectedDelta(d: number): void {
    this.connected += d;
    if (this.connected > this.connectedMax) this.connectedMax = this.connected;
    if (this.connected > this.peakConnected) this.peakConnected = this.connected;
  }

  slotJoined(slot: Slot): void {
    if (this.phase === 'run' && performance.now() < this.sends.end) this.sends.first(slot);
  }

  setupSettled(): void {
    this.settledCount++;
    if (this.phase === 'connect') this.maybeReady();
  }

  slotAt(index: number): Slot | undefined {
    return this.byIndex[index];
  }

  // ---- phases --------------------------------------------------------------------------------

  private maybeReady(): void {
    if (this.readySent || this.options.ramp) return;
    const all = this.settledCount >= this.slots.length;
    if (!all && performance.now() < this.connectDeadline) return;
    if (!all) {
      // Connect phase over: clients still not set up are given up (counted), not left retrying.
      for (const s of this.slots) {
        if (s.settled) continue;
        if (!s.everOpen && !s.failureCounted) {
          s.failureCounted = true;
          this.counters.connectFailures++;
          this.error('connect_timeout');
        } else this.error('setup_timeout');
        s.setupFailed = true;
        s.stop();
      }
    }
    this.readySent = true;
    this.post({ type: 'ready', worker: this.id, connected: this.connected, failed: this.counters.connectFailures });
  }

  private start(atEpochMs: number): void {
    const at = atEpochMs - performance.timeOrigin;
    this.phase = 'run';
    this.rampStart = at;
    this.sends.start = at;
    this.sends.end = at + this.options.durationMs;
    if (!this.options.ramp) for (const s of this.slots) if (s.joined) this.sends.first(s);
  }

  /** The control loop: connect pacing, ramp targets, connect deadline. */
  private loop(): void {
    const now = performance.now();
    const o = this.options;
    if (this.phase === 'connect' && !o.ramp) {
      this.connectSome(this.slots.length, now);
      if (now >= this.connectDeadline) this.maybeReady();
      if (!this.readySent && now - this.lastSetupPost >= 500) {
        this.lastSetupPost = now;
        this.post({ type: 'setup', worker: this.id, connected: this.connected, failed: this.counters.connectFailures, total: this.slots.length });
      }
      return;
    }
    if (this.phase !== 'run' || !o.ramp || now < this.rampStart) return;
    const target = targetAt(o.ramp, now - this.rampStart);
    // My slots wanted now: those with a client index below the global target (slots are in index order).
    let k = 0;
    let hi = this.slots.length;
    while (k < hi) {
      const mid = (k + hi) >>> 1;
      if (this.slots[mid].index < target) k = mid + 1;
      else hi = mid;
    }
    for (let j = Math.min(k, this.started); j < this.started; j++) {
      const s = this.slots[j];
      if (!s.wanted) continue;
      s.wanted = false;
      s.leave();
    }
    if (k < this.started) this.started = k;
    this.connectSome(k, now);
  }

  /** Starts wanted slots below `limit`, at the connect rate. */
  private connectSome(limit: number, now: number): void {
    let n = this.bucket.available(now);
    while (n > 0 && this.started < limit) {
      const s = this.slots[this.started++];
      s.wanted = true;
      s.start();
      this.bucket.take(now);
      n--;
    }
  }

  // ---- ticks ---------------------------------------------------------------------------------

  private scheduleTick(): void {
    const due = this.init.origin + (this.sec + 1) * 1000;
    this.tickTimer = setTimeout(() => this.tick(), Math.max(0, due - Date.now()));
  }

  private tick(final = false): void {
    const cpu = process.cpuUsage(this.lastCpu);
    this.lastCpu = process.cpuUsage();
    const wall = performance.now();
    const wallMs = Math.max(1, wall - this.lastTickWall);
    this.lastTickWall = wall;
    const c = this.counters;
    const counters: TickCounters = {
      connected: this.connected,
      connectedMax: this.connectedMax,
      sent: c.sent,
      acked: c.acked,
      sendFailed: c.sendFailed,
      received: c.received,
      errors: c.errorsTotal,
      reconnects: c.reconnects,
    };
    this.latency.flushInto(this.secLatency);
    const hist = this.secLatency.totalCount > 0 ? encode(this.secLatency) : '';
    this.totalLatency.add(this.secLatency);
    this.secLatency.reset();
    this.connectedMax = this.connected;
    const loopP99Ms = this.loopDelay.percentile(99) / 1e6;
    this.loopDelay.reset();
    this.post({ type: 'tick', worker: this.id, sec: this.sec, cpuPct: Math.round((cpu.user + cpu.system) / 10 / wallMs), cpuUs: cpu.user + cpu.system, wallMs, loopP99Ms, hist, final, ...counters });
    this.sec++;
    if (this.phase !== 'done' && !final) this.scheduleTick();
  }

  // ---- the end -------------------------------------------------------------------------------

  /** Stops sending and waits (bounded) for outstanding acks; reports the highest acked seq per room. */
  private async finish(): Promise<void> {
    if (this.phase !== 'run' && this.phase !== 'connect') return;
    this.phase = 'settle';
    this.sends.stop();
    const until = performance.now() + this.options.ackTimeoutMs + 1000;
    let pending = 0;
    for (;;) {
      pending = this.slots.reduce((a, s) => a + s.pending, 0);
      if (pending === 0 || performance.now() > until) break;
      await sleep(20);
    }
    const maxAcked: Record<string, number> = {};
    for (const [room, seqs] of this.acked) {
      let m = 0;
      for (const s of seqs) if (s > m) m = s;
      maxAcked[room] = m;
    }
    this.post({ type: 'settled', worker: this.id, maxAcked, unsettled: pending });
  }

  /** Waits until every live client got each of its rooms up to maxSeq (or the deadline), then reports. */
  private async drain(maxSeq: Record<string, number>, deadline: number): Promise<void> {
    if (this.phase !== 'settle') return;
    this.phase = 'drain';
    for (;;) {
      if (Date.now() >= deadline || (this.caughtUp(maxSeq) && !this.stillConnecting())) break;
      await sleep(20);
    }
    // A ramp has no connect deadline: a client the ramp wanted that never got a connection by now failed.
    for (const s of this.slots) {
      if (s.wanted && s.client && !s.everOpen && !s.failureCounted) {
        s.failureCounted = true;
        this.counters.connectFailures++;
        this.error('connect_timeout');
      }
    }
    clearInterval(this.loopTimer);
    for (const s of this.slots) s.stop();
    await this.report();
  }

  /** Ramp clients still trying to get their first connection (the drain gives them until its deadline). */
  private stillConnecting(): boolean {
    return this.slots.some((s) => s.wanted && s.client !== null && !s.everOpen && !s.failureCounted && s.state !== 'closed');
  }

  private caughtUp(maxSeq: Record<string, number>): boolean {
    for (const s of this.slots) {
      if (!s.client || s.state === 'closed') continue;
      for (const [room, t] of s.tracks) {
        const m = maxSeq[room];
        if (m !== undefined && !t.closed && t.last < m) return false;
      }
    }
    return true;
  }

  private async report(): Promise<void> {
    let eventRows = { sent: 0, received: 0 };
    if (this.events) {
      try {
        await this.events.close();
      } catch (err) {
        this.post({ type: 'warn', worker: this.id, message: `events file: ${(err as Error).message}` });
      }
      eventRows = { sent: this.events.sentRows, received: this.events.receivedRows };
    }
    const total = newHistogram();
    clearTimeout(this.tickTimer);
    this.tick(true); // the last, partial second: timeseries.csv ends with the final counts
    total.add(this.totalLatency);
    const tracks: WorkerResult['tracks'] = [];
    for (const s of this.slots) for (const [room, t] of s.tracks) tracks.push({ ...reportOf(room, t), duplicates: t.duplicates, outOfOrder: t.outOfOrder });
    const cpu = process.cpuUsage(this.cpuStart);
    const c = this.counters;
    const result: WorkerResult = {
      type: 'result',
      worker: this.id,
      sent: c.sent,
      acked: c.acked,
      sendFailed: c.sendFailed,
      skipped: this.sends.skipped,
      received: c.received,
      foreign: c.foreign,
      reconnects: c.reconnects,
      resumes: c.resumes,
      connectFailures: c.connectFailures,
      connectedEver: c.connectedEver,
      leaves: c.leaves,
      peakConnected: this.peakConnected,
      errors: this.errors,
      latency: encode(total),
      connect: encode(this.connectLatency),
      acked_seqs: Object.fromEntries(this.acked),
      tracks,
      ...(this.options.editRatio + this.options.reactRatio > 0 ? { states: this.slots.flatMap((s) => s.changedStates()) } : {}),
      eventRows,
      cpuUs: cpu.user + cpu.system,
      wallMs: performance.now() - this.wallStart,
    };
    this.phase = 'done';
    clearTimeout(this.tickTimer);
    this.loopDelay.disable();
    this.post(result);
  }

  private abort(): void {
    this.phase = 'done';
    clearInterval(this.loopTimer);
    this.sends.stop();
    clearTimeout(this.tickTimer);
    for (const s of this.slots) s.stop();
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
