/**
 * Isolation guard (cluster deployments: a Redis bus and a PostgreSQL store). A node that can reach
 * neither is cut off from the rest of the cluster: it can neither commit a send nor hear the other
 * nodes, and a network partition makes that silent (packets dropped: no error, requests just hang),
 * so its clients would wait on it for as long as the partition lasts while the other nodes work.
 *
 * Every `everyMs` each probe runs, bounded by `timeoutMs`. When every probe has failed for `afterMs`
 * in a row, the node is isolated: `onIsolated` runs (the app then refuses upgrades with 503, answers
 * /readyz with 503 and closes its connections with 1013 "try again later", so the clients reconnect
 * through the load balancer to a node that works, and resend their unacked sends with the same ids);
 * once any probe answers again, `onRecovered`. A store or a bus that is down for every node (a Redis or
 * PostgreSQL outage) is not isolation of one node: the node keeps its clients, refuses sends with
 * `unavailable` or delivers from the store, as before.
 */
export interface Probe {
  readonly name: string;
  /** Resolves when the dependency answered. */
  check(): Promise<unknown>;
}

export interface IsolationOptions {
  probes: readonly Probe[];
  everyMs: number;
  timeoutMs: number;
  afterMs: number;
  onIsolated(failing: string[]): void;
  onRecovered(): void;
  now?: () => number;
}

export class IsolationGuard {
  private readonly lastOk: number[];
  private timer: ReturnType<typeof setInterval> | undefined;
  private running = false;
  isolated = false;

  constructor(private readonly o: IsolationOptions) {
    const t = this.now();
    this.lastOk = o.probes.map(() => t);
  }

  private now(): number {
    return this.o.now?.() ?? Date.now();
  }

  start(): void {
    this.timer ??= setInterval(() => void this.tick(), this.o.everyMs);
    this.timer.unref?.();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One round of probes (exposed for tests); overlapping rounds are skipped. */
  async tick(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      const ok = await Promise.all(this.o.probes.map((p) => bounded(p.check(), this.o.timeoutMs)));
      const t = this.now();
      ok.forEach((answered, i) => answered && (this.lastOk[i] = t));
      const cut = this.lastOk.every((at) => t - at >= this.o.afterMs);
      if (cut && !this.isolated) {
        this.isolated = true;
        this.o.onIsolated(this.o.probes.map((p) => p.name));
      } else if (!cut && this.isolated) {
        this.isolated = false;
        this.o.onRecovered();
      }
    } finally {
      this.running = false;
    }
  }
}

/** true when `p` resolves within `ms`; false when it rejects or is late. */
async function bounded(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([p.then(() => true, () => false), new Promise<boolean>((res) => (timer = setTimeout(() => res(false), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}
