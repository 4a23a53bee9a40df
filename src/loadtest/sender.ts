/**
 * The open-loop send schedule of one worker: every client sends every 1/rate s (+-10% jitter, a
 * random first phase) inside the sending window, whether or not its earlier sends were acknowledged.
 * One timer for all clients, over a heap of due times (./schedule.ts). A send due more than 1 s ago
 * is skipped and counted (`generator_behind`): the generator cannot keep up and must not hide it by
 * sending in bursts. A client at --max-inflight unacknowledged sends skips (`inflight_limit`), one
 * with nowhere to send yet skips (`no_room_yet`).
 */
import { SendHeap } from './schedule.js';

const BEHIND_MS = 1000;

/** What the schedule needs of a client (a Slot). */
export interface Sender {
  readonly id: number;
  /** Bumped by the client to cancel its scheduled sends. */
  epoch: number;
  readonly joined: boolean;
  readonly pending: number;
  /** Sends one message now; false when it has nowhere to send yet. */
  send(random: () => number): boolean;
}

export class SendLoop {
  /** The sending window (performance.now() ms). */
  start = Infinity;
  end = -Infinity;
  readonly skipped: Record<string, number> = {};
  private readonly heap = new SendHeap();
  private readonly popped = { slot: 0, epoch: 0, at: 0 };
  private timer: ReturnType<typeof setTimeout> | undefined;
  private timerAt = Infinity;
  private running = false;

  constructor(
    private readonly senders: Sender[],
    /** 1000 / rate (Infinity: no sends). */
    private readonly intervalMs: number,
    private readonly random: () => number,
    private readonly maxInflight: number,
  ) {}

  /** Schedules a client's first send: a random phase within one interval from now or the window's start. */
  first(s: Sender): void {
    if (this.intervalMs === Infinity) return;
    s.epoch++;
    const from = Math.max(performance.now(), this.start);
    this.push(from + this.random() * this.intervalMs, s);
  }

  /** Ends the window now (or keeps an earlier end); cancels the timer. */
  stop(): void {
    this.end = Math.min(this.end, performance.now());
    clearTimeout(this.timer);
    this.timerAt = Infinity;
  }

  private push(at: number, s: Sender): void {
    if (at >= this.end) return;
    this.heap.push(at, s.id, s.epoch);
    if (!this.running && at < this.timerAt) this.arm();
  }

  private arm(): void {
    clearTimeout(this.timer);
    const at = this.heap.peek();
    this.timerAt = at;
    if (at === Infinity) return;
    this.timer = setTimeout(() => this.due(), Math.max(0, at - performance.now()));
  }

  private due(): void {
    this.running = true;
    const now = performance.now();
    const p = this.popped;
    while (this.heap.peek() <= now && this.heap.pop(p)) {
      const s = this.senders[p.slot];
      if (p.epoch !== s.epoch || !s.joined || now >= this.end) continue;
      let next = p.at + this.intervalMs * (0.9 + 0.2 * this.random());
      if (now - p.at > BEHIND_MS) {
        this.skip('generator_behind');
        next = now + this.intervalMs * this.random();
      } else if (s.pending >= this.maxInflight) this.skip('inflight_limit');
      else if (!s.send(this.random)) this.skip('no_room_yet');
      this.push(next, s);
    }
    this.running = false;
    this.arm();
  }

  private skip(why: string): void {
    this.skipped[why] = (this.skipped[why] ?? 0) + 1;
  }
}
