/**
 * Live statistics for the admin page: nodes, connections, online users, rooms and messages per second.
 *
 * msgs/s is cluster-wide: the store's count of messages ever sent (sum of every room's last_seq, which resets
 * keep) sampled at each request; the rate is the difference to the oldest sample of the last `windowMs`.
 * The same rate for this node alone comes from the metrics counter `scalechat_messages_accepted_total`.
 */
import type { AdminStats } from '../../protocol/admin.js';
import type { ClusterState } from '../cluster/state.js';
import type { Metrics } from '../metrics.js';
import type { AdminStore } from '../store/store.js';

interface Sample {
  at: number;
  total: number;
  node: number;
}

export class StatsSampler {
  private samples: Sample[] = [];
  private readonly started = Date.now();

  constructor(
    private readonly store: AdminStore,
    private readonly cluster: ClusterState,
    private readonly metrics: Metrics,
    private readonly nodeId: string,
    private readonly connections: () => number,
    private readonly windowMs = 10_000,
  ) {}

  private async nodeAccepted(): Promise<number> {
    const m = await this.metrics.messagesAccepted.get();
    return m.values.reduce((n, v) => n + v.value, 0);
  }

  async read(now = Date.now()): Promise<AdminStats> {
    const [counts, nodes, node] = await Promise.all([this.store.counts(), this.cluster.nodes(), this.nodeAccepted()]);
    this.samples.push({ at: now, total: counts.messages, node });
    // Keep the newest sample older than the window (the rate's base) and everything after it; bounded.
    while (this.samples.length > 2 && this.samples[1].at <= now - this.windowMs) this.samples.shift();
    if (this.samples.length > 1000) this.samples.splice(0, this.samples.length - 1000);
    const base = this.samples[0];
    const dt = (now - base.at) / 1000;
    const rate = (d: number) => (dt > 0 ? Math.max(0, d) / dt : null);
    return {
      node: this.nodeId,
      nodes,
      connections: this.connections(),
      onlineUsers: this.cluster.onlineCount(),
      rooms: counts.rooms,
      messages: counts.messages,
      msgsPerSec: rate(counts.messages - base.total),
      nodeMsgsPerSec: rate(node - base.node),
      windowSec: dt,
      uptimeSec: Math.round((now - this.started) / 1000),
      at: now,
    };
  }
}
