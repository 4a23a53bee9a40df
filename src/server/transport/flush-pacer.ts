/**
 * How long a connection that was just written to waits before its next frame: 0 while the event loop
 * has time to spare (every event goes out on the turn it was produced: no added latency at light
 * load), rising to `maxMs` as the loop saturates, so that under load a connection's events of several
 * turns leave as one frame. Each frame costs a syscall and the kernel's loopback/TCP work whatever its
 * size (about 10 us here, most of a big room's fan-out), so fewer, larger frames are what lets a
 * saturated server keep up instead of queueing; the added wait is bounded by `maxMs`.
 *
 * The load signal is the event loop's utilization (busy share of wall time, which also counts time a
 * CPU quota held the process back while it had work), sampled every `sampleMs`: below `lo` the delay
 * is 0, at `hi` and above it is `maxMs`, linear between. It rises at once and falls by half the gap per
 * sample, so one quiet sample in a burst does not undo the batching.
 */
import { performance } from 'node:perf_hooks';

export class FlushPacer {
  private delay = 0;
  private last = performance.eventLoopUtilization();
  private readonly timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly maxMs: number,
    sampleMs = 100,
    private readonly lo = 0.6,
    private readonly hi = 0.95,
  ) {
    if (maxMs > 0) {
      this.timer = setInterval(this.sample, sampleMs);
      this.timer.unref();
    }
  }

  /** Milliseconds a recently written connection waits before its next frame (0: flush this turn). */
  get delayMs(): number {
    return this.delay;
  }

  /** Sets the delay for a utilization in [0, 1] (the sampler's step; exposed for tests). */
  observe(utilization: number): void {
    const share = Math.min(1, Math.max(0, (utilization - this.lo) / (this.hi - this.lo)));
    const target = share * this.maxMs;
    this.delay = target >= this.delay ? target : this.delay - (this.delay - target) / 2;
    if (target === 0 && this.delay < 0.5) this.delay = 0;
  }

  private readonly sample = (): void => {
    const now = performance.eventLoopUtilization();
    this.observe(performance.eventLoopUtilization(now, this.last).utilization);
    this.last = now;
  };

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }
}
