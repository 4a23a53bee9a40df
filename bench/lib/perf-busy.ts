/**
 * When a server's main thread stops working on something: polls the thread's run time
 * (/proc/<pid>/task/<pid>/schedstat, nanoseconds, unlike the 10 ms ticks of /proc/<pid>/stat) about
 * every millisecond from `start()` to `stop()`, and reports the main thread's CPU over that span and
 * the time (from `start`) of the last poll in which it ran more than `busyUs` microseconds: e.g. when
 * the server had written a broadcast to every socket. Timers' resolution (~1 ms) bounds its precision;
 * the polling costs the calling process a few percent of a core while it runs.
 */
import { readFileSync } from 'node:fs';

/** Run time of a process's main thread, nanoseconds. */
export function mainThreadNs(pid: number): number {
  return Number(readFileSync(`/proc/${pid}/task/${pid}/schedstat`, 'utf8').split(' ')[0]);
}

export class BusyWatch {
  private t0 = 0;
  private ns0 = 0;
  private lastNs = 0;
  private lastBusyAt = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly pid: number,
    private readonly busyUs = 200,
  ) {}

  start(): void {
    this.t0 = performance.now();
    this.ns0 = this.lastNs = mainThreadNs(this.pid);
    this.lastBusyAt = 0;
    const poll = () => {
      const ns = mainThreadNs(this.pid);
      if (ns - this.lastNs > this.busyUs * 1000) this.lastBusyAt = performance.now() - this.t0;
      this.lastNs = ns;
      this.timer = setTimeout(poll, 1);
    };
    this.timer = setTimeout(poll, 1);
  }

  /** Main-thread CPU since start (ms) and the last busy poll (ms after start). */
  stop(): { cpuMs: number; busyUntilMs: number } {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    return { cpuMs: (mainThreadNs(this.pid) - this.ns0) / 1e6, busyUntilMs: this.lastBusyAt };
  }
}
