/**
 * Cluster state of a single process: names in the in-memory NameRegistry, online users in a map.
 * This node is the whole cluster, so every node-level transition is a cluster-level one.
 */
import { randomBytes } from 'node:crypto';
import type { UserRef } from '../../protocol/types.js';
import { NameRegistry } from './name-registry.js';
import type { ClusterState } from './state.js';

export class LocalClusterState implements ClusterState {
  readonly kind = 'local' as const;
  readonly names = new NameRegistry();
  private readonly online = new Map<string, string>();

  constructor(readonly nodeId: string = randomBytes(3).toString('hex')) {}

  /** Nothing to start: on one node the hub sees every presence change itself. */
  async start(): Promise<void> {}

  async stop(): Promise<void> {}

  async userOnline(user: UserRef): Promise<boolean> {
    const was = this.online.has(user.id);
    this.online.set(user.id, user.name);
    return !was;
  }

  async userOffline(user: UserRef): Promise<boolean> {
    return this.online.delete(user.id);
  }

  async onlineAmong(uids: string[]): Promise<Set<string>> {
    return new Set(uids.filter((u) => this.online.has(u)));
  }

  async onlineUsers(limit: number): Promise<{ users: UserRef[]; total: number }> {
    const users: UserRef[] = [];
    for (const [id, name] of this.online) {
      if (users.length >= limit) break;
      users.push({ id, name });
    }
    return { users, total: this.online.size };
  }

  async nodes(): Promise<string[]> {
    return [this.nodeId];
  }

  onlineCount(): number {
    return this.online.size;
  }

  async agree(_key: string, candidate: string): Promise<string> {
    return candidate;
  }
}
