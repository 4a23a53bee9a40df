/**
 * Server CPU over a load run's sending window, measured from outside: every `periodMs` the sampler
 * reads the server's /metrics (`scalechat_messages_accepted_total`) and, right after, the server
 * pid's user+system CPU time from /proc (bench/lib/lab.ts `cpuSeconds`). The sending window is the
 * span from the last sample before the first accepted message to the first sample after the last
 * one, so connect and join phases and the idle tail are left out, and messages and CPU are read at
 * the same instants. The scrapes cost the server a little CPU (prom-client renders the registry):
 * at 2 scrapes per second that is well under 1% of a core.
 */
import { cpuSeconds } from './lab.js';

export interface Sample {
  /** performance.now() ms */
  at: number;
  cpuS: number;
  accepted: number;
  /** `scalechat_frames_sent_total`: WebSocket frames written (a frame can carry a batch of events). */
  frames: number;
}

export interface SendWindow {
  wallS: number;
  cpuS: number;
  /** Messages the server accepted (stored and acked) in the window. */
  messages: number;
  /** Server CPU over the window, % of one core. */
  cpuPct: number;
  /** Server CPU per accepted message, microseconds. */
  usPerMessage: number;
  /** WebSocket frames the server wrote in the window (NaN when its /metrics has no such counter). */
  frames: number;
}

/** Reads one counter from a Prometheus text body, summed over its label sets (e.g. `{node="..."}`); NaN when absent. */
export function counterOf(body: string, name: string): number {
  let sum = NaN;
  for (const m of body.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.eE+-]+)$`, 'gm'))) sum = (Number.isNaN(sum) ? 0 : sum) + Number(m[1]);
  return sum;
}

/** The sending window of a series of samples; null when no message was accepted. */
export function sendWindow(samples: readonly Sample[]): SendWindow | null {
  const first = samples.findIndex((s, i) => i > 0 && s.accepted > samples[0].accepted);
  if (first < 1) return null;
  let last = first;
  for (let i = first; i < samples.length; i++) if (samples[i].accepted > samples[i - 1].accepted) last = i;
  const a = samples[first - 1];
  const b = samples[last];
  const wallS = (b.at - a.at) / 1000;
  const cpuS = b.cpuS - a.cpuS;
  const messages = b.accepted - a.accepted;
  return { wallS, cpuS, messages, cpuPct: wallS > 0 ? (cpuS / wallS) * 100 : 0, usPerMessage: messages > 0 ? (cpuS / messages) * 1e6 : NaN, frames: b.frames - a.frames };
}

export class ServerSampler {
  readonly samples: Sample[] = [];
  private timer: NodeJS.Timeout | null = null;
  private busy = false;
  failures = 0;

  private stopped = false;

  constructor(
    private readonly pid: number,
    private readonly metricsUrl: string,
    private readonly periodMs = 500,
    private readonly steadyMs = 2000,
  ) {}

  start(): void {
    const tick = async () => {
      await this.take();
      if (this.stopped) return;
      const started = this.samples.length > 1 && this.samples[this.samples.length - 1].accepted > this.samples[0].accepted;
      this.timer = setTimeout(() => void tick(), started ? this.steadyMs : this.periodMs);
    };
    void tick();
  }

  /** Stops sampling after one last sample. */
  async stop(): Promise<SendWindow | null> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    while (this.busy) await new Promise((r) => setTimeout(r, 20));
    await this.take();
    return sendWindow(this.samples);
  }

  private async take(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const res = await fetch(this.metricsUrl, { signal: AbortSignal.timeout(2000) });
      const body = await res.text();
      const cpuS = cpuSeconds(this.pid);
      const accepted = counterOf(body, 'scalechat_messages_accepted_total');
      if (Number.isFinite(accepted)) this.samples.push({ at: performance.now(), cpuS, accepted, frames: counterOf(body, 'scalechat_frames_sent_total') });
      else this.failures++;
    } catch {
      this.failures++; // the server is busy or gone: a missing sample only widens the window's edges
    } finally {
      this.busy = false;
    }
  }
}
