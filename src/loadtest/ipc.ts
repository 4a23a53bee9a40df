/**
 * Messages between the coordinator and its workers (child processes over IPC with the 'advanced'
 * serialization, or one in-process worker), and the link abstraction over both.
 *
 *   coordinator                         worker
 *   init ---------------------------->  connects its clients (no ramp) / waits (ramp)
 *        <---------------------------- setup (progress), ready (no ramp)
 *   start {at} ---------------------->  sends from `at` (and follows the ramp) until at + duration
 *        <---------------------------- tick (every second from `origin`)
 *   finish -------------------------->  stops sending, waits for outstanding acks
 *        <---------------------------- settled {maxAcked per room}
 *   drain {maxSeq, deadline} -------->  waits until each live client got every room up to maxSeq
 *        <---------------------------- result (exact counters, histograms, tracks, acked seqs)
 */
import type { TrackReport } from './accounting.js';
import type { MessageStateReport } from './targets/types.js';
import type { LoadOptions } from './options.js';

export interface WorkerInit {
  type: 'init';
  options: LoadOptions;
  tag: string;
  worker: number;
  /** Epoch ms of tick 0; ticks every second after it. */
  origin: number;
  eventsSample: number;
  /** Where this worker writes its events.csv rows (null: no event log). */
  eventsFile: string | null;
}

export type ToWorker =
  | WorkerInit
  | { type: 'start'; at: number }
  | { type: 'finish' }
  | { type: 'drain'; maxSeq: Record<string, number>; deadline: number }
  | { type: 'abort' };

export interface TickCounters {
  /** Clients open right now, and the most open during the second. */
  connected: number;
  connectedMax: number;
  sent: number;
  acked: number;
  sendFailed: number;
  received: number;
  errors: number;
  reconnects: number;
}

export interface Tick extends TickCounters {
  type: 'tick';
  worker: number;
  sec: number;
  /** CPU used by this process during the second, % of one core. */
  cpuPct: number;
  /** The same as CPU microseconds, and the wall time the tick covers (more than 1 s when it fired late). */
  cpuUs: number;
  wallMs: number;
  /** Event-loop delay p99 during the second (ms). */
  loopP99Ms: number;
  /** That second's delivery latencies (encoded HDR histogram, us). */
  hist: string;
  /** The worker's last tick (a partial second, sent with its result). */
  final: boolean;
}

export interface WorkerResult {
  type: 'result';
  worker: number;
  sent: number;
  acked: number;
  sendFailed: number;
  /** Scheduled sends skipped: client not ready, too many unacked, or the generator behind schedule. */
  skipped: Record<string, number>;
  received: number;
  /** Deliveries in rooms the plan does not know (another user's traffic). */
  foreign: number;
  reconnects: number;
  resumes: number;
  connectFailures: number;
  connectedEver: number;
  /** Clients that left on purpose (ramp-down). */
  leaves: number;
  peakConnected: number;
  errors: Record<string, number>;
  latency: string;
  connect: string;
  acked_seqs: Record<string, number[]>;
  tracks: (TrackReport & { duplicates: number; outOfOrder: number })[];
  /** Runs with edits or reactions: every changed message each live client holds, as it ended with it. */
  states?: MessageStateReport[];
  eventRows: { sent: number; received: number };
  cpuUs: number;
  wallMs: number;
}

export type FromWorker =
  | { type: 'setup'; worker: number; connected: number; failed: number; total: number }
  | { type: 'ready'; worker: number; connected: number; failed: number }
  | Tick
  | { type: 'settled'; worker: number; maxAcked: Record<string, number>; unsettled: number }
  | WorkerResult
  | { type: 'warn'; worker: number; message: string }
  | { type: 'fatal'; worker: number; message: string };

/** The coordinator's view of one worker. */
export interface WorkerLink {
  send(msg: ToWorker): void;
  onMessage(fn: (msg: FromWorker) => void): void;
  /** The worker ended (exit code / signal) before or after its result. */
  onExit(fn: (why: string) => void): void;
  kill(): void;
}
