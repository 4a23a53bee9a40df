/**
 * Samples the server's Prometheus /metrics each second: connections, accepted messages, deliveries,
 * frames, CPU and memory (scale-chat exports the process metrics with the `scalechat_` prefix;
 * unprefixed `process_*` names are read too, for other targets). With several URLs (a cluster) the
 * values are summed. A failing scrape is counted, never fatal.
 */

/** Sums every sample of each metric name over its label sets (comments and malformed lines skipped). */
export function parsePrometheus(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.charCodeAt(0) === 35 /* # */) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const v = Number(m[3] === '+Inf' ? Infinity : m[3] === '-Inf' ? -Infinity : m[3]);
    if (!Number.isFinite(v)) continue;
    out.set(m[1], (out.get(m[1]) ?? 0) + v);
  }
  return out;
}

const CPU = ['scalechat_process_cpu_seconds_total', 'process_cpu_seconds_total'];
const RSS = ['scalechat_process_resident_memory_bytes', 'process_resident_memory_bytes'];
const COUNTERS = ['scalechat_messages_accepted_total', 'scalechat_deliveries_total', 'scalechat_frames_sent_total', 'scalechat_sent_bytes_total'];

function pick(m: Map<string, number>, names: string[]): number | undefined {
  for (const n of names) {
    const v = m.get(n);
    if (v !== undefined) return v;
  }
  return undefined;
}

export class MetricsScraper {
  /** Server CPU over the last scrape interval, % of one core (summed over URLs); undefined: unknown. */
  cpuPct: number | undefined;
  connections: number | undefined;
  failures = 0;
  private first: Map<string, number> | undefined;
  private last: Map<string, number> | undefined;
  private lastAt = 0;
  private lastCpu: number | undefined;
  private connectionsMax = 0;
  private rssMax = 0;
  /** CPU % samples with their time (epoch ms), for averaging over a window. */
  readonly cpuSamples: { at: number; pct: number }[] = [];
  private timer: ReturnType<typeof setInterval> | undefined;
  /** The scrape in flight: the next tick skips it, the final one waits for it. */
  private inflight: Promise<void> | null = null;

  constructor(private readonly urls: string[]) {}

  start(): void {
    if (this.urls.length === 0) return;
    void this.scrape();
    this.timer = setInterval(() => void this.scrape(), 1000);
  }

  /**
   * Resolves once a scrape has succeeded (the counters' starting values), or `boundMs` passed: the run
   * calls it before sending starts, so the run's deltas never miss messages accepted before a late first
   * scrape (a busy server can miss the first ones' 900 ms timeout).
   */
  async baseline(boundMs: number): Promise<void> {
    if (this.urls.length === 0) return;
    const until = Date.now() + boundMs;
    while (!this.first && Date.now() < until) {
      await this.scrape();
      if (!this.first) await new Promise((r) => setTimeout(r, 100));
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    if (this.urls.length === 0) return;
    // Final values: after the scrape in flight (it may have started before the last messages were
    // accepted), never instead of it.
    await this.inflight;
    await this.scrape();
  }

  /** One scrape, unless one is already in flight (then that one). */
  private scrape(): Promise<void> {
    this.inflight ??= this.fetchAll().finally(() => (this.inflight = null));
    return this.inflight;
  }

  private async fetchAll(): Promise<void> {
    try {
      const texts = await Promise.all(
        this.urls.map(async (u) => {
          const res = await fetch(u, { signal: AbortSignal.timeout(900) });
          if (!res.ok) throw new Error(`HTTP ${res.status}`);
          return res.text();
        }),
      );
      const sum = new Map<string, number>();
      for (const t of texts) for (const [k, v] of parsePrometheus(t)) sum.set(k, (sum.get(k) ?? 0) + v);
      this.observe(sum, Date.now());
    } catch {
      this.failures++;
    }
  }

  private observe(m: Map<string, number>, now: number): void {
    this.first ??= m;
    this.last = m;
    const cpu = pick(m, CPU);
    if (cpu !== undefined && this.lastCpu !== undefined && now > this.lastAt) {
      this.cpuPct = Math.max(0, ((cpu - this.lastCpu) / ((now - this.lastAt) / 1000)) * 100);
      this.cpuSamples.push({ at: now, pct: this.cpuPct });
    }
    this.lastCpu = cpu;
    this.lastAt = now;
    this.connections = m.get('scalechat_connections');
    if (this.connections !== undefined) this.connectionsMax = Math.max(this.connectionsMax, this.connections);
    const rss = pick(m, RSS);
    if (rss !== undefined) this.rssMax = Math.max(this.rssMax, rss);
  }

  /** Mean server CPU % over [from, to] (epoch ms), undefined when not sampled. */
  cpuMean(from: number, to: number): number | undefined {
    const s = this.cpuSamples.filter((x) => x.at > from && x.at <= to + 1000);
    if (s.length === 0) return undefined;
    return Math.round((s.reduce((a, x) => a + x.pct, 0) / s.length) * 10) / 10;
  }

  /** summary.server.metrics: peaks, last values and the run's deltas of the counters. */
  summary(): Record<string, number> | undefined {
    if (!this.last || !this.first) return undefined;
    const out: Record<string, number> = {};
    if (this.last.has('scalechat_connections')) {
      out.scalechat_connections_max = this.connectionsMax;
      out.scalechat_connections_last = this.last.get('scalechat_connections')!;
    }
    for (const name of COUNTERS) {
      const a = this.first.get(name);
      const b = this.last.get(name);
      if (a !== undefined && b !== undefined) out[`${name}_delta`] = b - a;
    }
    const c0 = pick(this.first, CPU);
    const c1 = pick(this.last, CPU);
    if (c0 !== undefined && c1 !== undefined) out.process_cpu_seconds_delta = Math.round((c1 - c0) * 1000) / 1000;
    if (this.rssMax > 0) out.process_resident_memory_bytes_max = this.rssMax;
    out.scrape_failures = this.failures;
    return out;
  }
}
